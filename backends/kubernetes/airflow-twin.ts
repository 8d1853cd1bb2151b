/** `airflow:kubernetes`: the cncf-kubernetes provider's own KubernetesSecretsBackend, run by Airflow on the kubernetes fixtures. */
import { findingKey } from '../../suites/findings';
import { bridgedTarget } from '../../targets/airflow-bridge';
import { sessionKwargs } from '../../targets/command-target';
import { AIRFLOW_KUBERNETES_NETWORK } from './network';
import { kubernetesTarget } from './targets';

const NO_TIMEOUT =
  'provider 10.25.0 has no timeout kwarg (KubernetesSecretsBackend passes **kwargs to LoggingMixin.__init__, which refuses request_timeout) and ' +
  'calls list_namespaced_secret without _request_timeout (kubernetes_secrets_backend.py _get_secret_by_selector): a stalled API server holds the lookup for as long as the connection lives';

export const KUBERNETES_BACKEND_CLASS = 'airflow.providers.cncf.kubernetes.secrets.kubernetes_secrets_backend.KubernetesSecretsBackend';
export const KUBERNETES_DISTRIBUTIONS = ['apache-airflow-providers-cncf-kubernetes', 'kubernetes'] as const;

export const airflowKubernetesTarget = bridgedTarget(kubernetesTarget, {
  name: 'airflow:kubernetes',
  summary:
    "apache-airflow-providers-cncf-kubernetes's KubernetesSecretsBackend through the bridge, on the kubernetes fixtures, " +
    'its load_incluster_config() pointed at a pod folder by the in-cluster adapter of backends/kubernetes/bridge_plugin.py',
  backendClass: KUBERNETES_BACKEND_CLASS,
  distributions: KUBERNETES_DISTRIBUTIONS,
  parser: 'sdk',
  kwargs: sessionKwargs,
  knownFindings: {
    [findingKey('kubernetes-labels', 'through Toxiproxy: a stalled API server is a Timeout within request_timeout')]: NO_TIMEOUT,
    [findingKey('failover', 'latency: TimeoutError within the bound, the chain falls through, retries within budget, then recovery')]: NO_TIMEOUT,
    [findingKey(
      'failover',
      'timeout: TimeoutError/UnavailableError within the bound, the chain falls through, retries within budget, then recovery',
    )]: NO_TIMEOUT,
  },
  network: AIRFLOW_KUBERNETES_NETWORK,
  described: () => ({
    kwargs: {},
    notes: [
      "kwargs: the same as the reference target's session: no namespace (auto-detected) and the incluster_* adapter kwargs",
      'in-cluster adapter (backends/kubernetes/bridge_plugin.py adapt_open): for this instance only, load_incluster_config() runs with ' +
        "KUBERNETES_SERVICE_HOST/PORT and the token and CA file names set to the pod folder's, and SERVICE_ACCOUNT_NAMESPACE_PATH points at its namespace file; " +
        "everything else is the provider's own code",
    ],
  }),
});
