/**
 * How the harness reaches a kubernetes target's API server for the common network cases: a front
 * of its own speaks HTTPS with the server's certificate (kube-apiserver serves nothing else), the
 * backend is sent there through the in-cluster adapter's `incluster_host`/`incluster_port`, and a
 * lookup is one list of Secrets, with no login (the pod's token rides on every request).
 */
import { endpointOf } from '../../containers/contract';
import { kubeApiServer } from '../../containers/kube-apiserver';
import type { ObservedRequest } from '../../containers/request-log-proxy';
import type { LookupBudget } from '../../model/retry';
import type { TargetNetwork } from '../../suites/target';

const SECRETS_LIST = /^\/api\/v1\/namespaces\/[^/]+\/secrets$/;

/** A list of Secrets in a namespace is the read; there is no authentication request to count. */
function kubernetesRequestKind(request: ObservedRequest): 'read' | 'other' {
  const path = request.path.split('?')[0] ?? '';
  return request.method === 'GET' && SECRETS_LIST.test(path) ? 'read' : 'other';
}

/**
 * What the provider's client allows one lookup: kubernetes' RESTClientObject sets no `retries`
 * unless its Configuration does, so urllib3's default `Retry(3)` applies (a GET is retried after a
 * connect or read error, three times, with no backoff): at most 4 lists, each bounded by
 * `request_timeout` when given, else not at all. The reference lists once.
 */
export const KUBERNETES_CLIENT_ATTEMPTS = 4;

function kubernetesLookupBudget(kwargs: Record<string, unknown>): LookupBudget {
  const seconds = kwargs.request_timeout;
  const worstCaseMs = typeof seconds === 'number' ? KUBERNETES_CLIENT_ATTEMPTS * seconds * 1000 : Number.POSITIVE_INFINITY;
  return { attempts: KUBERNETES_CLIENT_ATTEMPTS, worstCaseMs, throttledWaitsMs: 0 };
}

export const KUBERNETES_NETWORK: TargetNetwork = {
  server: kubeApiServer,
  serverUrl: (servers) => endpointOf(servers, kubeApiServer)?.address ?? null,
  proxyTls: (servers) => endpointOf(servers, kubeApiServer)?.proxyTls ?? null,
  addressKwargs(address) {
    const { hostname, port } = new URL(`https://${address}`);
    return { incluster_host: hostname, incluster_port: port };
  },
  timeoutKwargs: (seconds) => ({ request_timeout: seconds }),
  lookupBudget: kubernetesLookupBudget,
  requestKind: kubernetesRequestKind,
};

/**
 * The provider's own class: the same server and client, but no timeout kwarg (its **kwargs go to
 * LoggingMixin) and no `_request_timeout` on the list, so nothing bounds a lookup's wait.
 */
export const AIRFLOW_KUBERNETES_NETWORK: TargetNetwork = {
  ...KUBERNETES_NETWORK,
  timeoutKwargs: () => ({}),
  lookupBudget: () => ({ attempts: KUBERNETES_CLIENT_ATTEMPTS, worstCaseMs: Number.POSITIVE_INFINITY, throttledWaitsMs: 0 }),
};
