/**
 * What `kubernetes.config.load_incluster_config()` reads inside a pod, and where the reference
 * backend reads it from instead when told: the API server's host and port
 * (`KUBERNETES_SERVICE_HOST` / `KUBERNETES_SERVICE_PORT`), the service-account token and CA files,
 * and the namespace file Airflow's backend auto-detects its namespace from.
 *
 * Outside a pod these are given as `incluster_*` kwargs: an adapter of this harness, not kwargs of
 * Airflow's class. The Airflow bridge's kubernetes plugin (backends/kubernetes/bridge_plugin.py)
 * applies the same kwargs to Airflow's own class, so both read one "pod".
 */
import { readFileSync } from 'node:fs';
import { ConfigurationError } from '../../model/errors';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface InClusterPod {
  readonly host: string | undefined;
  readonly port: string | undefined;
  readonly tokenFile: string;
  readonly caFile: string;
  readonly namespaceFile: string;
}

export interface InClusterConfig {
  /** `https://<host>:<port>`, IPv6 hosts bracketed. */
  readonly server: string;
  readonly token: string;
  readonly caPem: string;
}

function text(kwargs: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = kwargs[name];
  if (value === undefined || value === null) return undefined;
  return String(value);
}

export function podFromKwargs(kwargs: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv = process.env): InClusterPod {
  return {
    host: text(kwargs, 'incluster_host') ?? env.KUBERNETES_SERVICE_HOST,
    port: text(kwargs, 'incluster_port') ?? env.KUBERNETES_SERVICE_PORT,
    tokenFile: text(kwargs, 'incluster_token_file') ?? `${SERVICE_ACCOUNT_DIR}/token`,
    caFile: text(kwargs, 'incluster_ca_file') ?? `${SERVICE_ACCOUNT_DIR}/ca.crt`,
    namespaceFile: text(kwargs, 'incluster_namespace_file') ?? `${SERVICE_ACCOUNT_DIR}/namespace`,
  };
}

function notInCluster(message: string): ConfigurationError {
  return new ConfigurationError(message, {
    what: 'load_incluster_config',
    where: 'the pod',
    hint: 'run inside a pod with a mounted service-account token, or give the incluster_* kwargs',
  });
}

function readNonEmpty(path: string, missing: string, empty: string): string {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch {
    throw notInCluster(`${missing} (${path})`);
  }
  if (content === '') throw notInCluster(`${empty} (${path})`);
  return content;
}

/**
 * As `InClusterConfigLoader._load_config` (kubernetes 36.0.3), in its order and words: host and
 * port set and non-empty, then the token file, then the CA file. The token is sent as read.
 */
export function loadInClusterConfig(pod: InClusterPod): InClusterConfig {
  if (pod.host === undefined || pod.port === undefined) throw notInCluster('Service host/port is not set.');
  if (pod.host === '' || pod.port === '') throw notInCluster('Service host/port is set but empty.');
  const host = pod.host.includes(':') ? `[${pod.host}]` : pod.host;
  const token = readNonEmpty(pod.tokenFile, 'Service token file does not exist.', 'Token file exists but empty.');
  const caPem = readNonEmpty(pod.caFile, 'Service certification file does not exist.', 'Cert file exists but empty.');
  return { server: `https://${host}:${pod.port}`, token, caPem };
}
