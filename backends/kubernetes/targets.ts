/**
 * The `kubernetes` target: our KubernetesSecretsBackend against a real kube-apiserver (kine and
 * SQLite beneath it), reading the run's namespace as the `airflow` service account, whose Role
 * may list Secrets there and nothing else. Credentials come from a pod folder (pods.ts) through
 * the `incluster_*` adapter kwargs; the namespace is auto-detected from the pod's namespace file.
 */
import { endpointOf } from '../../containers/contract';
import { kubeApiServer } from '../../containers/kube-apiserver';
import { toxiproxyServer } from '../../containers/toxiproxy';
import {
  referenceDescription,
  type Capability,
  type IdShape,
  type TargetDefinition,
  type TargetEnvironment,
  type TargetStore,
} from '../../suites/target';
import { KubernetesSecretsBackend } from './kubernetes-backend';
import { KUBERNETES_NETWORK } from './network';
import { kubernetesRunSetups, runNamespace, RUN_LABEL, type KubernetesRunSetup } from './run-setup';
import { openKubernetesSession } from './session';

export const KUBERNETES_PROVIDER = 'apache-airflow-providers-cncf-kubernetes 10.25.0';

/** Label values: at most 63 characters of alphanumerics and `-_.`, alphanumeric at both ends. */
export const KUBERNETES_ID_SHAPES: readonly IdShape[] = ['upper-case', 'dash', 'dot', 'leading-digit'];

/** What the family's own cases need of a target's store: the run's namespaces and pods. */
export interface KubernetesStore extends TargetStore {
  readonly layout: 'kubernetes';
  run(environment: TargetEnvironment): Promise<KubernetesRunSetup>;
}

export function isKubernetesStore(store: TargetStore): store is KubernetesStore {
  return store.layout === 'kubernetes';
}

const setupFor = kubernetesRunSetups('target kubernetes');

export const KUBERNETES_CAPABILITIES: readonly Capability[] = [
  'connections',
  'conn-value',
  'variables',
  'config',
  'json-connections',
  'empty-values',
  'multiline-values',
  'large-values',
  'mutable',
  'auth-wrong-credentials',
  'auth-expired-credentials',
  'auth-policy',
  'residue',
  'network-faults',
  'kubernetes-labels',
];

export const KUBERNETES_MISSING: Partial<Record<Capability, string>> = {
  'field-connections': 'a Secret value is text; structured connections are stored as JSON text (json-connections)',
  'env-var-names': 'ids are label values, not environment variable names',
  'raw-files': 'the backend reads no files of secrets',
  'vault-paths': 'not a Vault backend',
  'aws-naming': 'not an AWS backend',
  throttling: 'kube-apiserver throttles through API Priority and Fairness, which the run turns off to start fast',
  versions: 'a Secret holds its current value only',
  'staged-rotation': 'a Secret holds its current value only',
};

export const kubernetesStore: KubernetesStore = { layout: 'kubernetes', idShapes: KUBERNETES_ID_SHAPES, run: setupFor };

export const kubernetesTarget: TargetDefinition = {
  name: 'kubernetes',
  family: 'kubernetes',
  summary: `KubernetesSecretsBackend (${KUBERNETES_PROVIDER}) on kube-apiserver v1.37.2: Secrets labelled <label>=<id>, data.value base64`,
  backendKind: 'KubernetesSecretsBackend',
  capabilities: KUBERNETES_CAPABILITIES,
  missingCapabilityReasons: KUBERNETES_MISSING,
  servers: [kubeApiServer, toxiproxyServer],
  network: KUBERNETES_NETWORK,
  store: kubernetesStore,
  parser: 'sdk',
  describe: (environment) =>
    referenceDescription('KubernetesSecretsBackend', {
      kwargs: { incluster_host: '127.0.0.1', incluster_port: String(endpointOf(environment.servers, kubeApiServer)?.port ?? '(not started)') },
      notes: [
        `rules of ${KUBERNETES_PROVIDER}`,
        `reads namespace ${runNamespace(environment.runId)} (auto-detected from the pod's namespace file) as service account airflow, whose Role may list secrets there only`,
        'in-cluster config from a pod folder (token, ca.crt, namespace) through the incluster_* adapter kwargs',
      ],
    }),
  open: (environment) => openKubernetesSession(setupFor, (kwargs) => new KubernetesSecretsBackend(kwargs), environment),
  async residue(environment) {
    const setup = await setupFor(environment);
    return (await setup.admin.secretNames(`${RUN_LABEL}=${setup.tag}`)).length;
  },
};
