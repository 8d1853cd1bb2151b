/**
 * Airflow's KubernetesSecretsBackend (apache-airflow-providers-cncf-kubernetes 10.25.0, spec §7.6;
 * the provider's code is the ground truth where the spec differs): a lookup lists the Secrets of
 * one namespace whose label `<label>=<id>` matches, and answers the base64-decoded `data[<key>]`
 * of the first one.
 *
 * - Labels default to `airflow.apache.org/connection-id`, `.../variable-key`, `.../config-key`
 *   (the spec's `connection-name` / `variable-name` / `config-name` are not what 10.25.0 reads);
 *   a label of `null` answers `null` without a request.
 * - The selector also says `!airflow.apache.org/team` (`team_label`), so a team's Secret is never
 *   served globally; an id shaped `_<team>___<id>` answers `null` without a request.
 * - `GET /api/v1/namespaces/<ns>/secrets?labelSelector=...&resourceVersion=0`: served from the API
 *   server's watch cache, in name order. None: `null`. Several: a warning, the first wins. No
 *   `data[<key>]`: `null` with a warning.
 * - The namespace is the kwarg, else the pod's namespace file (read once); no file is a
 *   configuration error. Credentials come from the pod (`in-cluster.ts`), read at the first lookup.
 *
 * `request_timeout` (seconds, per request) is this package's addition: Airflow's class sets none.
 */
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { BaseSecretsBackend, type BaseBackendOptions } from '../../model/contract';
import {
  ConfigurationError,
  ForbiddenError,
  InvalidNameError,
  ThrottledError,
  TimeoutError,
  UnauthorizedError,
  UnavailableError,
} from '../../model/errors';
import { loadInClusterConfig, podFromKwargs, type InClusterConfig, type InClusterPod } from './in-cluster';

export const DEFAULT_CONNECTIONS_LABEL = 'airflow.apache.org/connection-id';
export const DEFAULT_VARIABLES_LABEL = 'airflow.apache.org/variable-key';
export const DEFAULT_CONFIG_LABEL = 'airflow.apache.org/config-key';
export const DEFAULT_TEAM_LABEL = 'airflow.apache.org/team';
export const DEFAULT_DATA_KEY = 'value';

export interface KubernetesBackendKwargs {
  namespace?: string | null;
  connections_label?: string | null;
  variables_label?: string | null;
  config_label?: string | null;
  team_label?: string | null;
  connections_data_key?: string;
  variables_data_key?: string;
  config_data_key?: string;
  /** Seconds per request; none by default, as Airflow's class. */
  request_timeout?: number | null;
  [adapter: `incluster_${string}`]: unknown;
}

/** One Secret as a list answers it: what a lookup needs of it. */
export interface ListedSecret {
  readonly name: string;
  readonly data: Readonly<Record<string, string>> | null;
}

/** `_is_team_specific_accessed_as_global`: `_<team>___<id>` asked without a team. */
export function isTeamScopedId(id: string): boolean {
  return /^_[^_]+___[\s\S]+$/.test(id);
}

function labelOption(kwargs: KubernetesBackendKwargs, name: keyof KubernetesBackendKwargs, fallback: string): string | null {
  return name in kwargs ? ((kwargs[name] as string | null | undefined) ?? null) : fallback;
}

export class KubernetesSecretsBackend extends BaseSecretsBackend {
  readonly kind: string = 'KubernetesSecretsBackend';
  readonly connectionsLabel: string | null;
  readonly variablesLabel: string | null;
  readonly configLabel: string | null;
  readonly teamLabel: string | null;
  readonly connectionsDataKey: string;
  readonly variablesDataKey: string;
  readonly configDataKey: string;
  /** What Airflow's class logs with `log.warning`, in order (ids and names only, never values). */
  readonly warnings: string[] = [];
  /** As constructed, so a mutant can be rebuilt from them. */
  readonly kwargs: Readonly<KubernetesBackendKwargs>;
  private readonly explicitNamespace: string | null;
  private readonly pod: InClusterPod;
  private readonly timeoutMs: number | null;
  private resolvedNamespace: string | undefined;
  private config: InClusterConfig | undefined;
  private sent = 0;

  constructor(kwargs: KubernetesBackendKwargs = {}, options: BaseBackendOptions = {}) {
    super(options);
    this.kwargs = { ...kwargs };
    this.explicitNamespace = kwargs.namespace || null;
    this.connectionsLabel = labelOption(kwargs, 'connections_label', DEFAULT_CONNECTIONS_LABEL);
    this.variablesLabel = labelOption(kwargs, 'variables_label', DEFAULT_VARIABLES_LABEL);
    this.configLabel = labelOption(kwargs, 'config_label', DEFAULT_CONFIG_LABEL);
    this.teamLabel = labelOption(kwargs, 'team_label', DEFAULT_TEAM_LABEL);
    this.connectionsDataKey = kwargs.connections_data_key ?? DEFAULT_DATA_KEY;
    this.variablesDataKey = kwargs.variables_data_key ?? DEFAULT_DATA_KEY;
    this.configDataKey = kwargs.config_data_key ?? DEFAULT_DATA_KEY;
    this.pod = podFromKwargs(kwargs as Record<string, unknown>);
    this.timeoutMs = typeof kwargs.request_timeout === 'number' ? kwargs.request_timeout * 1000 : null;
  }

  get requestsSent(): number {
    return this.sent;
  }

  /** The configured namespace, else the pod's namespace file, read once (Airflow's cached_property). */
  get namespace(): string {
    if (this.explicitNamespace) return this.explicitNamespace;
    if (this.resolvedNamespace === undefined) {
      try {
        this.resolvedNamespace = readFileSync(this.pod.namespaceFile, 'utf8').trim();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        throw new ConfigurationError(
          `Could not auto-detect Kubernetes namespace from ${this.pod.namespaceFile}. Is automountServiceAccountToken disabled for this pod?`,
          { what: 'namespace', where: this.pod.namespaceFile, hint: "set the 'namespace' parameter explicitly in backend_kwargs" },
        );
      }
    }
    return this.resolvedNamespace;
  }

  async getConnValue(connId: string): Promise<string | null> {
    if (isTeamScopedId(connId)) return null;
    return this.lookup(this.connectionsLabel, connId, this.connectionsDataKey);
  }

  async getVariable(key: string): Promise<string | null> {
    if (isTeamScopedId(key)) return null;
    return this.lookup(this.variablesLabel, key, this.variablesDataKey);
  }

  override async getConfig(key: string): Promise<string | null> {
    return this.lookup(this.configLabel, key, this.configDataKey);
  }

  /** The label selector of a lookup: `<label>=<id>`, and no team label. */
  selectorFor(label: string, id: string): string {
    return this.teamLabel ? `${label}=${id},!${this.teamLabel}` : `${label}=${id}`;
  }

  protected async lookup(label: string | null, id: string, dataKey: string): Promise<string | null> {
    if (label === null) return null;
    const selector = this.selectorFor(label, id);
    const namespace = this.namespace;
    const items = await this.listSecrets(namespace, selector);
    return this.pick(items, selector, namespace, dataKey);
  }

  /** The rules after the list: none, several (warned, first wins), the data key, base64. */
  protected pick(items: readonly ListedSecret[], selector: string, namespace: string, dataKey: string): string | null {
    const first = items[0];
    if (!first) {
      this.warnings.push(`No secret found with label ${selector} in namespace ${namespace}.`);
      return null;
    }
    if (items.length > 1) this.warnings.push(`Multiple secrets found with label ${selector} in namespace ${namespace}. Using the first one.`);
    const encoded = first.data?.[dataKey];
    if (encoded === undefined) {
      this.warnings.push(`Secret '${first.name}' does not have data key '${dataKey}'.`);
      return null;
    }
    return Buffer.from(encoded, 'base64').toString('utf8');
  }

  /**
   * `list_namespaced_secret(namespace, label_selector=selector, resource_version="0")`: served from
   * the watch cache. `resourceVersion` null leaves it out (a read from storage), which the provider never does.
   */
  protected async listSecrets(namespace: string, selector: string, resourceVersion: string | null = '0'): Promise<ListedSecret[]> {
    this.config ??= loadInClusterConfig(this.pod);
    const version = resourceVersion === null ? '' : `&resourceVersion=${encodeURIComponent(resourceVersion)}`;
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets?labelSelector=${encodeURIComponent(selector)}${version}`;
    const where = `namespace ${namespace} on ${this.config.server}`;
    this.sent++;
    const answer = await getJson(this.config, path, this.timeoutMs, where);
    if (answer.status === 200) {
      const items = (answer.body as { items?: Array<{ metadata?: { name?: string }; data?: Record<string, string> | null }> }).items ?? [];
      return items.map((item) => ({ name: item.metadata?.name ?? '', data: item.data ?? null }));
    }
    throw refusal(answer.status, answer.body, selector, where);
  }
}

interface JsonAnswer {
  readonly status: number;
  readonly body: unknown;
}

function getJson(config: InClusterConfig, path: string, timeoutMs: number | null, where: string): Promise<JsonAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${config.server}${path}`,
      { method: 'GET', ca: config.caPem, headers: { authorization: `Bearer ${config.token}`, accept: 'application/json' } },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', (error) => reject(unavailable(error, where)));
        incoming.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // A non-JSON answer (a proxy's page) is kept as text for the status mapping.
          }
          resolve({ status: incoming.statusCode ?? 0, body });
        });
      },
    );
    if (timeoutMs !== null) {
      outgoing.setTimeout(timeoutMs, () =>
        outgoing.destroy(
          new TimeoutError(`no answer from the Kubernetes API within ${timeoutMs} ms`, { where, hint: 'is the API server up and reachable?' }),
        ),
      );
    }
    outgoing.on('error', (error) => reject(error instanceof TimeoutError ? error : unavailable(error, where)));
    outgoing.end();
  });
}

function unavailable(error: Error & { code?: string }, where: string): UnavailableError {
  return new UnavailableError(`the Kubernetes API could not be reached: ${error.code ?? error.message}`, {
    where,
    hint: 'check KUBERNETES_SERVICE_HOST/PORT and that the server presents a certificate the pod CA signed',
    cause: error,
  });
}

/** The API server's Status message: the reason, never a Secret (a list answers no data when it refuses). */
function statusMessage(body: unknown): string {
  const message = (body as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : '';
}

function refusal(status: number, body: unknown, selector: string, where: string): Error {
  const said = statusMessage(body);
  if (status === 401) {
    return new UnauthorizedError('the Kubernetes API refused the service-account token (401 Unauthorized)', {
      where,
      hint: 'check the pod token: expired, revoked or from another cluster',
    });
  }
  if (status === 403) {
    return new ForbiddenError(`the service account may not list secrets (403 Forbidden): ${said}`, {
      where,
      hint: 'grant it a Role with list on secrets in this namespace',
    });
  }
  // The selector is the only text of the request a lookup's id shapes: a 400 is the id's.
  if (status === 400) {
    return new InvalidNameError(`the label selector ${selector} is not valid: ${said}`, {
      where,
      hint: 'ids must be valid label values: at most 63 characters, alphanumerics and -_., alphanumeric at both ends',
    });
  }
  if (status === 429) return new ThrottledError(`the Kubernetes API throttled the list (429): ${said}`, { where, hint: 'retry later' });
  return new UnavailableError(`the Kubernetes API answered HTTP ${status} to a secrets list: ${said}`, { where, hint: 'read the API server log' });
}
