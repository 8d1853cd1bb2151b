/** The `kubernetes` family: Secrets of a Kubernetes API server, read by the cncf-kubernetes provider's KubernetesSecretsBackend by label. */
import { sessionKwargs } from '../../targets/command-target';
import type { BackendFamily } from '../../targets/family';
import { airflowKubernetesTarget, KUBERNETES_BACKEND_CLASS, KUBERNETES_DISTRIBUTIONS } from './airflow-twin';
import { kubernetesLabelsSuite } from './kubernetes-labels.suite';
import { kubernetesMutants } from './mutants';
import { kubernetesRawClient } from './raw-client';
import { kubernetesTarget } from './targets';

export const kubernetesFamily: BackendFamily = {
  name: 'kubernetes',
  targets: [kubernetesTarget],
  airflowTwins: [airflowKubernetesTarget],
  layouts: [
    {
      name: 'kubernetes',
      base: () => kubernetesTarget,
      sessionKwargs,
      keptKwargs: [
        'namespace',
        'connections_label',
        'variables_label',
        'config_label',
        'team_label',
        'connections_data_key',
        'variables_data_key',
        'config_data_key',
      ],
      airflowClasses: [KUBERNETES_BACKEND_CLASS],
      distributions: KUBERNETES_DISTRIBUTIONS,
    },
  ],
  suites: [kubernetesLabelsSuite],
  mutants: kubernetesMutants,
  rawClient: kubernetesRawClient,
};
