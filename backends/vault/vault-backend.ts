/**
 * Airflow's VaultBackend (apache-airflow-providers-hashicorp 4.8.4, spec §7.1): connections,
 * variables and config read from a KV v1 or v2 engine. Mirrors `secrets/vault.py` and
 * `_internal_client/vault_client.py` of that provider, on the node-vault client.
 *
 * Kwargs are Airflow's `backend_kwargs`, snake_case, read as the provider reads them
 * (`./vault-kwargs`); a lookup reads where the provider would (`./vault-paths`), and a failure
 * becomes the error its status and phase call for (`./vault-failures`). Where this reference is
 * deliberately stricter than the provider (which answers every 403 with "Vault Authentication
 * Error!"): a token Vault does not accept is `UnauthorizedError`, checked once per instance with
 * `lookup-self` (what hvac's `is_authenticated()` sends; provider 4.8.4 itself sends no such
 * check, so its cold token lookup costs one request where this one costs two); a 403 on a read
 * with an accepted token is `ForbiddenError`.
 * Implemented authentication (`./vault-login`): token, approle, userpass, ldap, aws_iam (a
 * SigV4-signed `sts:GetCallerIdentity` the server checks against its own STS endpoint,
 * `./aws-iam-login`) and kubernetes (the service-account JWT at `kubernetes_jwt_path`, stripped,
 * which Vault checks with the API server's TokenReview).
 * `verify` (hvac.Client's, through the provider's `**kwargs`) is `true` (the system's CAs), `false`
 * (nothing checked) or the path of a CA file; a certificate the client refuses is an
 * UnavailableError naming the TLS failure, never "not found".
 *
 * Every request goes through the provider's urllib3 `Retry` (see `./retry`), as hvac's session
 * does in Airflow, and is counted (`requestsSent`), so a suite can hold a lookup to its budget.
 */
import type { RequestGate } from '../../model/request-gate';
import { readFileSync } from 'node:fs';
import NodeVault from 'node-vault';
import { plainToPy, pyTruthy } from '../../model/connection/python-values';
import { pyJsonDumps } from '../../model/connection/python-json-dumps';
import { BaseSecretsBackend, type BaseBackendOptions } from '../../model/contract';
import { PROVIDER_VAULT_RETRY, urllib3LookupBudget, withUrllib3Retry, type LookupBudget, type Urllib3RetryPolicy } from '../../model/retry';
import { ConnectionFormatError, MalformedSecretError, UnauthorizedError } from '../../model/errors';
import { classifyVaultFailure, describeVaultFailure, vaultAttemptFailure, type VaultRequestPhase } from './vault-failures';
import { kwargError, readVaultKwargs, timeoutKwargMs, type SecretKind, type VaultSettings } from './vault-kwargs';
import { vaultLoginRequest, vaultToken } from './vault-login';
import { kvReadPath, locateSecret, type SecretLocation } from './vault-paths';

/** What one Vault read may cost with this `timeout` kwarg: hvac's session retries, each bounded by it. */
export function vaultLookupBudget(kwargs: Record<string, unknown>, policy: Urllib3RetryPolicy = PROVIDER_VAULT_RETRY): LookupBudget {
  return urllib3LookupBudget(policy, timeoutKwargMs(kwargs.timeout));
}

export type VaultClient = ReturnType<typeof NodeVault>;

const KIND_WORD: Readonly<Record<SecretKind, string>> = { connections: 'connection', variables: 'variable', config: 'config' };

function addressOf(url: string): string {
  try {
    // Userinfo in a URL is a credential; the origin is enough to say where.
    return new URL(url).origin;
  } catch {
    return 'the configured url';
  }
}

export interface VaultBackendOptions extends BaseBackendOptions {
  /** Not a kwarg in Airflow (the provider fixes it); replaceable here for tests and mutants. */
  retry?: Urllib3RetryPolicy;
  /** A cap on the request rate (a server the harness does not own): every attempt takes a slot first. */
  gate?: RequestGate;
}

export class VaultBackend extends BaseSecretsBackend {
  readonly kind = 'VaultBackend';
  /** The kwargs as given, so a variant (a mutant, a counted copy) can be built from them. */
  readonly kwargs: Readonly<Record<string, unknown>>;
  protected readonly settings: VaultSettings;
  private readonly address: string;
  /** One login per instance, made on first use; dropped when Vault stops accepting the token. */
  private session: Promise<VaultClient> | undefined;
  /** The token in use, wherever it came from (a token file too), so no message repeats it. */
  private tokenInUse = '';
  /** The service-account JWT of a kubernetes login, withheld from messages like every credential. */
  private kubernetesJwt: string | null = null;
  protected readonly retryPolicy: Urllib3RetryPolicy;
  private readonly gate: RequestGate | undefined;
  private requests = 0;

  constructor(kwargs: Record<string, unknown> = {}, options: VaultBackendOptions = {}) {
    // Provider lookups run in workers, which read connections with the task SDK's class.
    super({ parser: options.parser ?? 'sdk' });
    this.kwargs = { ...kwargs };
    this.settings = readVaultKwargs(kwargs);
    this.address = addressOf(this.settings.url);
    this.retryPolicy = options.retry ?? PROVIDER_VAULT_RETRY;
    this.gate = options.gate;
  }

  /** HTTP requests sent to Vault so far, every retry and authentication included. */
  get requestsSent(): number {
    return this.requests;
  }

  async getConnValue(connId: string): Promise<string | null> {
    const data = await this.readFirst('connections', connId);
    return data === null ? null : this.connectionText(data, connId);
  }

  async getVariable(key: string): Promise<string | null> {
    return this.valueText(await this.readFirst('variables', key));
  }

  override async getConfig(key: string): Promise<string | null> {
    return this.valueText(await this.readFirst('config', key));
  }

  async close(): Promise<void> {
    this.session = undefined;
  }

  /** Where a lookup of `key` under `basePath` reads; `null`: answered None without a request. */
  protected locate(basePath: string, key: string): SecretLocation | null {
    return locateSecret(this.settings.mountPoint, basePath, key);
  }

  /** The API path of a KV read. */
  protected readPath(location: SecretLocation): string {
    return kvReadPath(this.settings.kvEngineVersion, location);
  }

  /** `_get_secret`: each base path in order until one holds the secret. */
  private async readFirst(kind: SecretKind, key: string): Promise<Record<string, unknown> | null> {
    for (const basePath of this.settings.paths[kind] ?? []) {
      const location = this.locate(basePath, key);
      if (location === null) continue;
      const data = await this.readSecret(location, `${KIND_WORD[kind]} "${key}"`);
      if (data !== null) return data;
    }
    return null;
  }

  /** A truthy `conn_uri`, else the whole secret as JSON, which the base class reads with from_json. */
  protected connectionText(data: Record<string, unknown>, connId: string): string | null {
    const uri = data.conn_uri;
    if (uri !== undefined && pyTruthy(plainToPy(uri))) {
      if (typeof uri === 'string') return uri;
      throw new ConnectionFormatError('conn_uri is set but is not text', {
        what: `connection "${connId}"`,
        where: this.address,
        hint: 'store the URI as a string under conn_uri, or the fields without conn_uri',
      });
    }
    return pyJsonDumps(plainToPy(data));
  }

  /** `response["value"]`; a secret without it (or an empty one) is None, as Airflow logs and returns. */
  protected valueText(data: Record<string, unknown> | null): string | null {
    if (data === null || Object.keys(data).length === 0 || !('value' in data)) return null;
    const value = data.value;
    if (value === null || value === undefined || typeof value === 'string') return value ?? null;
    // Airflow hands back the JSON value itself; this contract is text, so it is Python's json.dumps.
    return pyJsonDumps(plainToPy(value));
  }

  private async readSecret(location: SecretLocation, what: string): Promise<Record<string, unknown> | null> {
    const client = await this.authenticated();
    const path = this.readPath(location);
    const where = `${this.address}/v1/${path}`;
    let body: { data?: unknown };
    try {
      body = (await this.send('GET', () => client.read(path))) as { data?: unknown };
    } catch (error) {
      const failure = describeVaultFailure(error);
      if (failure.status === 404) return null;
      if (failure.status === 403) await this.confirmToken(client, what);
      throw classifyVaultFailure(failure, { phase: 'read', what, where, hidden: this.credentials(), timeoutMs: this.settings.timeoutMs });
    }
    const data = this.settings.kvEngineVersion === 2 ? (body.data as { data?: unknown } | null | undefined)?.data : body.data;
    if (data === null || data === undefined) return null;
    if (typeof data !== 'object' || Array.isArray(data)) {
      throw new MalformedSecretError(`the secret for ${what} is not a key/value object`, {
        what,
        where,
        hint: `check kv_engine_version (${this.settings.kvEngineVersion}) against the engine at mount "${location.mount}"`,
      });
    }
    return data as Record<string, unknown>;
  }

  /**
   * After a 403 on a read: a token that expired or was revoked since login is Unauthorized, not
   * Forbidden. The next lookup then authenticates again (the provider re-authenticates too).
   */
  private async confirmToken(client: VaultClient, what: string): Promise<void> {
    try {
      await this.send('GET', () => client.read('auth/token/lookup-self'));
    } catch (error) {
      const failure = describeVaultFailure(error);
      if (failure.status !== null && [400, 401, 403, 404].includes(failure.status)) this.session = undefined;
      throw classifyVaultFailure(failure, {
        phase: 'token-check',
        what: `the token (after a 403 reading ${what})`,
        where: `${this.address}/v1/auth/token/lookup-self`,
        hidden: this.credentials(),
        timeoutMs: this.settings.timeoutMs,
      });
    }
  }

  /** One attempt and its retries under the session's urllib3 rules, each attempt counted. */
  protected send<T>(method: 'GET' | 'POST', call: () => Promise<T>): Promise<T> {
    const gate = this.gate;
    const attempt = gate ? () => gate.take().then(call) : call;
    return withUrllib3Retry(this.retryPolicy, method, attempt, vaultAttemptFailure, {
      onAttempt: () => {
        this.requests += 1;
      },
    });
  }

  /** The authenticated client of this instance (a hook: a mutant may log in on every lookup). */
  protected authenticated(): Promise<VaultClient> {
    // Like the provider's cached_property: a failed login is not kept, the next lookup tries again.
    this.session ??= this.authenticate().catch((error: unknown) => {
      this.session = undefined;
      throw error;
    });
    return this.session;
  }

  protected newClient(): VaultClient {
    const client = NodeVault({ endpoint: this.settings.url, requestOptions: { timeout: this.settings.timeoutMs, ...this.tlsOptions() } });
    // node-vault would also pick these up from VAULT_TOKEN / VAULT_PREFIX / VAULT_NAMESPACE.
    client.token = '';
    (client as { pathPrefix?: string }).pathPrefix = '';
    (client as { namespace?: string | undefined }).namespace = this.settings.namespace ?? undefined;
    return client;
  }

  /** node-vault's request options for `verify`: the CA's text, no check at all, or the system's CAs. */
  protected tlsOptions(): Record<string, unknown> {
    const { verify } = this.settings;
    if (verify === false) return { strictSSL: false };
    if (verify === true) return {};
    try {
      return { ca: readFileSync(verify, 'utf8') };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw kwargError(
        `cannot read the CA file (${typeof code === 'string' ? code : 'unreadable'})`,
        'verify',
        `check that ${verify} exists and is readable`,
      );
    }
  }

  protected async authenticate(): Promise<VaultClient> {
    const client = this.newClient();
    const { auth } = this.settings;
    if (auth.type === 'token') {
      client.token = await vaultToken(auth, this.kind);
      this.tokenInUse = client.token;
      await this.request(client, 'auth/token/lookup-self', null, 'token-check', 'the token');
      return client;
    }
    const login = await vaultLoginRequest(auth);
    if (auth.type === 'kubernetes') this.kubernetesJwt = login.body.jwt as string;
    const answer = (await this.request(client, login.path, login.body, 'login', `the ${auth.type} login`)) as { auth?: { client_token?: unknown } };
    const token = answer.auth?.client_token;
    if (typeof token !== 'string' || token === '') {
      throw new UnauthorizedError(`the ${auth.type} login gave no token`, {
        what: `the ${auth.type} login`,
        where: `${this.address}/v1/${login.path}`,
        hint: 'check that auth_mount_point names the auth method the credentials belong to',
      });
    }
    client.token = token;
    this.tokenInUse = token;
    return client;
  }

  private async request(
    client: VaultClient,
    path: string,
    body: Record<string, unknown> | null,
    phase: VaultRequestPhase,
    what: string,
  ): Promise<unknown> {
    try {
      return body === null ? await this.send('GET', () => client.read(path)) : await this.send('POST', () => client.write(path, body));
    } catch (error) {
      throw classifyVaultFailure(describeVaultFailure(error), {
        phase,
        what,
        where: `${this.address}/v1/${path}`,
        hidden: this.credentials(),
        timeoutMs: this.settings.timeoutMs,
      });
    }
  }

  private credentials(): string[] {
    const { auth } = this.settings;
    const given =
      auth.type === 'token'
        ? [auth.token]
        : auth.type === 'approle'
          ? [auth.roleId, auth.secretId]
          : auth.type === 'aws_iam'
            ? [auth.secretId]
            : auth.type === 'kubernetes'
              ? [this.kubernetesJwt]
              : [auth.password];
    return [this.tokenInUse, ...given].filter((text): text is string => !!text);
  }
}
