/**
 * Airflow's VaultBackend (apache-airflow-providers-hashicorp 4.8.4, spec §7.1): connections,
 * variables and config read from a KV v1 or v2 engine. Mirrors `secrets/vault.py` and
 * `_internal_client/vault_client.py` of that provider, on the node-vault client.
 *
 * Kwargs are Airflow's `backend_kwargs`, snake_case. Where this reference is deliberately stricter
 * than the provider (which answers every 403 with "Vault Authentication Error!"): a token Vault
 * does not accept is `UnauthorizedError`, checked once per instance with `lookup-self` (what hvac's
 * `is_authenticated()` sends; provider 4.8.4 itself sends no such check, so its cold token lookup
 * costs one request where this one costs two); a 403 on a read with an accepted token is
 * `ForbiddenError`.
 * Implemented authentication: token, approle, userpass, ldap, aws_iam (a SigV4-signed
 * `sts:GetCallerIdentity` the server checks against its own STS endpoint, `./aws-iam-login`) and
 * kubernetes (the service-account JWT at `kubernetes_jwt_path`, stripped, which Vault checks with
 * the API server's TokenReview).
 * `verify` (hvac.Client's, through the provider's `**kwargs`) is `true` (the system's CAs), `false`
 * (nothing checked) or the path of a CA file; a certificate the client refuses is an
 * UnavailableError naming the TLS failure, never "not found".
 *
 * Every request goes through the provider's urllib3 `Retry` (see `./retry`), as hvac's session
 * does in Airflow, and is counted (`requestsSent`), so a suite can hold a lookup to its budget.
 */
import type { RequestGate } from '../../model/request-gate';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import NodeVault from 'node-vault';
import { pythonStrip } from '../../model/connection/python-builtins';
import { plainToPy, pyRepr, pyStr, pyTruthy } from '../../model/connection/python-values';
import { pyJsonDumps } from '../../model/connection/python-json-dumps';
import { quote } from '../../model/connection/python-url';
import { BaseSecretsBackend, buildPath, type BaseBackendOptions } from '../../model/contract';
import { awsIamLoginBody } from './aws-iam-login';
import {
  PROVIDER_VAULT_RETRY,
  urllib3LookupBudget,
  withUrllib3Retry,
  type AttemptFailure,
  type LookupBudget,
  type Urllib3RetryPolicy,
} from '../../model/retry';
import {
  ConfigurationError,
  ConnectionFormatError,
  ForbiddenError,
  MalformedSecretError,
  ThrottledError,
  TimeoutError,
  UnauthorizedError,
  UnavailableError,
  type SecretsError,
} from '../../model/errors';

/** `VALID_AUTH_TYPES` of vault_client.py, in its order (the refusal message prints the list). */
export const AIRFLOW_VAULT_AUTH_TYPES = [
  'approle',
  'aws_iam',
  'azure',
  'github',
  'gcp',
  'jwt',
  'kubernetes',
  'ldap',
  'radius',
  'token',
  'userpass',
] as const;

export const IMPLEMENTED_AUTH_TYPES = ['token', 'approle', 'userpass', 'ldap', 'aws_iam', 'kubernetes'] as const;

/** The provider's `DEFAULT_KUBERNETES_JWT_PATH`. */
const DEFAULT_KUBERNETES_JWT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** hvac's default is 30 s; a conformance run wants a dead server noticed sooner. */
export const DEFAULT_TIMEOUT_SECONDS = 10;

/** hvac's `DEFAULT_URL`, used when neither `url` nor `VAULT_ADDR` is set. */
export const DEFAULT_VAULT_URL = 'http://localhost:8200';

/** The parameters of the provider's `VaultBackend.__init__`, all accepted by name. */
const AIRFLOW_KWARGS = [
  'connections_path',
  'variables_path',
  'config_path',
  'use_team_secrets_path',
  'global_secrets_path',
  'url',
  'auth_type',
  'auth_mount_point',
  'mount_point',
  'kv_engine_version',
  'token',
  'token_path',
  'username',
  'password',
  'key_id',
  'secret_id',
  'role_id',
  'assume_role_kwargs',
  'region',
  'kubernetes_role',
  'kubernetes_jwt_path',
  'gcp_key_path',
  'gcp_keyfile_dict',
  'gcp_scopes',
  'azure_tenant_id',
  'azure_resource',
  'radius_host',
  'radius_secret',
  'radius_port',
  'jwt_role',
  'jwt_token',
  'jwt_token_path',
] as const;

/** hvac.Client kwargs the provider passes through (`**kwargs`) that this reference honours. */
const CLIENT_KWARGS = ['timeout', 'namespace', 'verify'] as const;

export type SecretKind = 'connections' | 'variables' | 'config';

export type VaultAuth =
  | { readonly type: 'token'; readonly token: string | null; readonly tokenPath: string | null }
  | { readonly type: 'approle'; readonly mountPoint: string; readonly roleId: string; readonly secretId: string | null }
  | { readonly type: 'userpass' | 'ldap'; readonly mountPoint: string; readonly username: string | null; readonly password: string | null }
  | {
      readonly type: 'aws_iam';
      readonly mountPoint: string;
      readonly keyId: string | null;
      readonly secretId: string | null;
      /** The Vault role (`role_id`); absent, Vault picks the role named like the principal. */
      readonly role: string | null;
      readonly region: string | null;
    }
  | { readonly type: 'kubernetes'; readonly mountPoint: string; readonly role: string; readonly jwtPath: string };

export interface VaultSettings {
  readonly url: string;
  /** `null` (or `""`, which Airflow tests for truthiness): the first id segment is the mount. */
  readonly mountPoint: string | null;
  readonly kvEngineVersion: 1 | 2;
  /** Base paths tried in order; `null` disables that kind of lookup. */
  readonly paths: Readonly<Record<SecretKind, readonly string[] | null>>;
  readonly auth: VaultAuth;
  readonly timeoutMs: number;
  readonly namespace: string | null;
  /** requests' `verify`: check against the system's CAs, check nothing, or check against this CA file. */
  readonly verify: boolean | string;
}

// ---------------------------------------------------------------------------------------------
// Kwargs: the provider's construction-time validation, in its order and with its messages.

function kwargError(message: string, kwarg: string, hint: string): ConfigurationError {
  return new ConfigurationError(message, { what: 'backend_kwargs', where: `VaultBackend ${kwarg}`, hint });
}

function optionalText(kwargs: Record<string, unknown>, name: string): string | null {
  const value = kwargs[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw kwargError(`${name} must be a string, got a ${typeof value}`, name, `give ${name} as text`);
  return value;
}

/** `_normalize_paths`: a string or a list of strings, each `rstrip("/")`; `None` stays `None`. */
function normalizePaths(kwargs: Record<string, unknown>, name: string, fallback: string): string[] | null {
  const value = name in kwargs ? kwargs[name] : fallback;
  if (value === null || value === undefined) return value === undefined ? [fallback] : null;
  const items = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(items) || items.some((item) => typeof item !== 'string')) {
    throw kwargError(`${name} must be a path, a list of paths or null`, name, `e.g. "${fallback}", ["${fallback}/team", "${fallback}"] or null`);
  }
  return (items as string[]).map((item) => item.replace(/\/+$/, ''));
}

function kvEngineVersion(value: unknown): 1 | 2 {
  // `kv_engine_version or 2`: any falsy value means the default; True == 1 in Python.
  if (value === undefined || value === null || value === 0 || value === false || value === '') return 2;
  if (value === 1 || value === true) return 1;
  if (value === 2) return 2;
  throw kwargError(`The version is not supported: ${pyStr(value)}. It should be one of [1, 2]`, 'kv_engine_version', 'use 1 or 2 (a number)');
}

function timeoutMs(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_TIMEOUT_SECONDS * 1000;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw kwargError(
      `timeout must be a positive number of seconds, got ${pyStr(value)}`,
      'timeout',
      'e.g. "timeout": 10 (seconds, as hvac.Client takes it)',
    );
  }
  return Math.max(1, Math.round(value * 1000));
}

function verifySetting(value: unknown): boolean | string {
  if (value === undefined || value === null || value === true) return true;
  if (value === false || typeof value === 'string') return value;
  throw kwargError('verify must be true, false or the path of a CA file', 'verify', 'e.g. "verify": "/etc/ssl/vault-ca.pem"');
}

function authSettings(kwargs: Record<string, unknown>, env: NodeJS.ProcessEnv): VaultAuth {
  const authType = kwargs.auth_type ?? 'token';
  if (typeof authType !== 'string' || !(AIRFLOW_VAULT_AUTH_TYPES as readonly string[]).includes(authType)) {
    throw kwargError(
      `The auth_type is not supported: ${pyStr(authType)}. It should be one of ${pyRepr(AIRFLOW_VAULT_AUTH_TYPES)}`,
      'auth_type',
      `use one of ${IMPLEMENTED_AUTH_TYPES.join(', ')}`,
    );
  }
  const token = optionalText(kwargs, 'token');
  const tokenPath = optionalText(kwargs, 'token_path');
  const roleId = optionalText(kwargs, 'role_id');
  const authMountPoint = optionalText(kwargs, 'auth_mount_point');
  if (authType === 'token' && !token && !tokenPath && !('VAULT_TOKEN' in env)) {
    throw kwargError("The 'token' authentication type requires 'token' or 'token_path'", 'token', 'set token, token_path or VAULT_TOKEN');
  }
  if (authType === 'kubernetes' && !optionalText(kwargs, 'kubernetes_role')) {
    throw kwargError(
      "The 'kubernetes' authentication type requires 'kubernetes_role'",
      'kubernetes_role',
      'set kubernetes_role to the Vault role bound to the service account',
    );
  }
  if (authType === 'kubernetes' && 'kubernetes_jwt_path' in kwargs && !optionalText(kwargs, 'kubernetes_jwt_path')) {
    throw kwargError(
      "The 'kubernetes' authentication type requires 'kubernetes_jwt_path'",
      'kubernetes_jwt_path',
      'leave it unset for the pod token, or give its path',
    );
  }
  if (authType === 'approle' && !roleId) {
    throw kwargError("The 'approle' authentication type requires 'role_id'", 'role_id', 'set role_id (and secret_id) of the AppRole');
  }
  switch (authType) {
    case 'token':
      // `token or os.getenv("VAULT_TOKEN")`; a token file, when given, wins at login.
      return { type: 'token', token: token || env.VAULT_TOKEN || null, tokenPath };
    case 'approle':
      return { type: 'approle', mountPoint: authMountPoint || 'approle', roleId: roleId as string, secretId: optionalText(kwargs, 'secret_id') };
    case 'userpass':
    case 'ldap':
      return {
        type: authType,
        mountPoint: authMountPoint || authType,
        username: optionalText(kwargs, 'username'),
        password: optionalText(kwargs, 'password'),
      };
    case 'aws_iam':
      return {
        type: 'aws_iam',
        mountPoint: authMountPoint || 'aws',
        keyId: optionalText(kwargs, 'key_id'),
        secretId: optionalText(kwargs, 'secret_id'),
        role: roleId,
        region: optionalText(kwargs, 'region'),
      };
    case 'kubernetes':
      return {
        type: 'kubernetes',
        mountPoint: authMountPoint || 'kubernetes',
        role: optionalText(kwargs, 'kubernetes_role') as string,
        jwtPath: optionalText(kwargs, 'kubernetes_jwt_path') ?? DEFAULT_KUBERNETES_JWT_PATH,
      };
    default:
      throw kwargError(
        `auth_type "${authType}" is valid in Airflow, but this reference backend implements ${IMPLEMENTED_AUTH_TYPES.join(', ')} only`,
        'auth_type',
        `certify with ${IMPLEMENTED_AUTH_TYPES.join(', ')} authentication`,
      );
  }
}

/**
 * Where the provider looks (mount, KV version, base paths per kind) from the kwargs that say so,
 * with its defaults and normalisation; the other kwargs (address, auth) are not looked at.
 */
export function readVaultLayout(kwargs: Record<string, unknown>): Pick<VaultSettings, 'mountPoint' | 'kvEngineVersion' | 'paths'> {
  const paths: Record<SecretKind, string[] | null> = {
    connections: normalizePaths(kwargs, 'connections_path', 'connections'),
    variables: normalizePaths(kwargs, 'variables_path', 'variables'),
    config: normalizePaths(kwargs, 'config_path', 'config'),
  };
  const globalPath = optionalText(kwargs, 'global_secrets_path');
  if (globalPath !== null) {
    // Deprecated fallback: appended even to a disabled (None) path, which it thereby re-enables.
    const fallback = globalPath.replace(/\/+$/, '');
    for (const kind of Object.keys(paths) as SecretKind[]) paths[kind] = [...(paths[kind] ?? []), fallback];
  }
  const mountPoint = 'mount_point' in kwargs ? optionalText(kwargs, 'mount_point') : 'secret';
  return { mountPoint, kvEngineVersion: kvEngineVersion(kwargs.kv_engine_version), paths };
}

/**
 * Reads `backend_kwargs` as the provider does at construction: the same defaults, the same
 * `VaultError`s (as `ConfigurationError`), plus a refusal of names neither Airflow nor this
 * reference knows (Airflow would hand them to `hvac.Client` and fail at first use).
 */
export function readVaultKwargs(kwargs: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): VaultSettings {
  const known: readonly string[] = [...AIRFLOW_KWARGS, ...CLIENT_KWARGS];
  for (const name of Object.keys(kwargs)) {
    if (!known.includes(name)) {
      throw kwargError(`VaultBackend got an unexpected keyword argument "${name}"`, name, `known kwargs: ${known.join(', ')}`);
    }
  }
  const layout = readVaultLayout(kwargs);
  const auth = authSettings(kwargs, env);
  return {
    url: optionalText(kwargs, 'url') || env.VAULT_ADDR || DEFAULT_VAULT_URL,
    ...layout,
    auth,
    timeoutMs: timeoutMs(kwargs.timeout),
    namespace: optionalText(kwargs, 'namespace'),
    verify: verifySetting(kwargs.verify),
  };
}

// ---------------------------------------------------------------------------------------------
// Paths: `VaultBackend._parse_path` / `_get_secret_with_base`, then `_VaultClient._parse_secret_path`.

export interface SecretLocation {
  readonly mount: string;
  readonly path: string;
}

/**
 * Where `key` under `basePath` is read, or `null` when Airflow returns None without a request
 * (`mount_point` unset and no `/` in the id). Both of Airflow's splitting steps are kept as they
 * are, quirks included: `mount_point=None` with the id `/x` reads mount `connections`, path `x`.
 */
export function locateSecret(mountPoint: string | null, basePath: string, key: string): SecretLocation | null {
  let idMount = '';
  let keyPart = key;
  if (!mountPoint) {
    const slash = key.indexOf('/');
    if (slash < 0) return null;
    idMount = key.slice(0, slash);
    keyPart = key.slice(slash + 1);
  }
  const secretPath = basePath === '' ? keyPart : buildPath(basePath, keyPart);
  const fullPath = (idMount ? `${idMount}/` : '') + secretPath;
  if (mountPoint) return { mount: mountPoint, path: fullPath };
  const slash = fullPath.indexOf('/');
  // The client raises InvalidPath here, which get_secret turns into None.
  if (slash < 0) return null;
  return { mount: fullPath.slice(0, slash), path: fullPath.slice(slash + 1) };
}

/** hvac's `format_url`: each value `urllib.parse.quote`d with `/` kept. */
export function quoteVaultPath(text: string): string {
  return quote(text).replace(/%2F/g, '/');
}

/** The API path (after `/v1/`) hvac reads: `read_secret_version` for v2, `read_secret` for v1. */
export function kvReadPath(kvEngineVersion: 1 | 2, location: SecretLocation): string {
  const mount = quoteVaultPath(location.mount);
  const path = quoteVaultPath(location.path);
  return kvEngineVersion === 2 ? `${mount}/data/${path}` : `${mount}/${path}`;
}

// ---------------------------------------------------------------------------------------------
// Failures: what went wrong talking to Vault, in the closed error set, without a secret.

/** What a failed node-vault call tells: the HTTP status, or the socket error code. */
export interface VaultFailure {
  readonly status: number | null;
  readonly code: string | null;
  /** Vault's first error line, when it sent one. */
  readonly detail: string | null;
}

export function describeVaultFailure(error: unknown): VaultFailure {
  const record = (typeof error === 'object' && error !== null ? error : {}) as {
    response?: { statusCode?: unknown };
    code?: unknown;
    message?: unknown;
  };
  const status = typeof record.response?.statusCode === 'number' ? record.response.statusCode : null;
  const code = typeof record.code === 'string' ? record.code : null;
  const message = typeof record.message === 'string' ? record.message : null;
  // node-vault puts Vault's `errors[0]` in the message; a socket error's message is Node's own.
  const detail = status !== null && message && !/^Status \d+$/.test(message) ? message : null;
  return { status, code, detail };
}

/** What the request was for: the error class of a status depends on it. */
export type VaultRequestPhase = 'read' | 'login' | 'token-check' | 'admin';

export interface VaultRequestContext {
  readonly phase: VaultRequestPhase;
  /** `connection "my_db"`, `the AppRole login`. */
  readonly what: string;
  /** Server address and API path, never a credential. */
  readonly where: string;
  /** Texts to blank out of Vault's own message (credentials sent in the request). */
  readonly hidden?: readonly string[];
  readonly timeoutMs?: number;
}

const TIMEOUT_CODES = ['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT'];

/** Node's codes for a server certificate the client refuses, and what each means. */
const TLS_REFUSALS: Readonly<Record<string, string>> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate is not signed by a CA the client trusts',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the certificate is not signed by a CA the client trusts',
  SELF_SIGNED_CERT_IN_CHAIN: 'the certificate chain ends in a CA the client does not trust',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate is issued for another host name',
};

function vaultSaid(failure: VaultFailure, hidden: readonly string[]): string {
  if (!failure.detail) return `HTTP ${failure.status}`;
  let detail = failure.detail.replace(/\s+/g, ' ').trim();
  for (const secret of hidden) if (secret) detail = detail.split(secret).join('***');
  if (detail.length > 160) detail = `${detail.slice(0, 157)}...`;
  return `HTTP ${failure.status}: ${detail}`;
}

/**
 * The error a failed request becomes. Status first (hvac's `VaultError.from_status`), then the
 * socket: a refused, reset or unresolvable connection is unavailable, no answer in time a timeout.
 */
export function classifyVaultFailure(failure: VaultFailure, context: VaultRequestContext): SecretsError {
  const details = { what: context.what, where: context.where };
  const said = () => vaultSaid(failure, context.hidden ?? []);
  const { status } = failure;
  if (status === null) {
    const tlsRefusal = failure.code === null ? undefined : TLS_REFUSALS[failure.code];
    if (tlsRefusal) {
      return new UnavailableError(`TLS verification of the Vault server failed for ${context.what}: ${tlsRefusal} (${failure.code})`, {
        ...details,
        hint: 'set verify to the CA file that signed the server certificate, and url to a host name the certificate names; verify=False trusts anyone',
      });
    }
    if (failure.code !== null && TIMEOUT_CODES.includes(failure.code)) {
      const limit = context.timeoutMs === undefined ? '' : ` within ${context.timeoutMs / 1000} s`;
      return new TimeoutError(`no answer from Vault${limit} for ${context.what}`, {
        ...details,
        hint: 'check that the server is responsive, or raise the timeout kwarg (seconds)',
      });
    }
    return new UnavailableError(`cannot reach Vault for ${context.what} (${failure.code ?? 'no connection'})`, {
      ...details,
      hint: 'check that Vault runs at the configured url and is reachable',
    });
  }
  if (status === 429) {
    return new ThrottledError(`Vault asked to slow down for ${context.what} (${said()})`, {
      ...details,
      hint: 'retry later, or lower the request rate',
    });
  }
  if (status >= 500 || status === 412) {
    return new UnavailableError(`Vault failed to answer for ${context.what} (${said()})`, {
      ...details,
      hint: 'check that Vault is unsealed and healthy (sys/health)',
    });
  }
  switch (context.phase) {
    case 'login':
      if (status === 404) {
        return new ConfigurationError(`no auth method answers at the login path for ${context.what} (${said()})`, {
          ...details,
          hint: 'check auth_mount_point: it must name the mount of the auth method',
        });
      }
      // Vault answers 400 for an identity source it cannot reach, as for bad credentials: the text tells them apart.
      if (status === 400 && /error connecting to host|connection refused|i\/o timeout/i.test(failure.detail ?? '')) {
        return new UnavailableError(`the auth method could not reach its identity source for ${context.what} (${said()})`, {
          ...details,
          hint: 'the directory (LDAP) or STS the auth method checks with is down or unreachable from Vault',
        });
      }
      if (status === 400 || status === 401 || status === 403) {
        return new UnauthorizedError(`Vault refused ${context.what} (${said()})`, {
          ...details,
          hint:
            status === 403
              ? 'no auth method at this mount in this namespace (check auth_mount_point and namespace), or the credentials are refused'
              : 'check the credentials: role_id/secret_id, username/password, or the IAM principal bound to the role',
        });
      }
      break;
    case 'token-check':
      // hvac's is_authenticated(): Forbidden, InvalidPath and InvalidRequest all mean "not authenticated".
      if ([400, 401, 403, 404].includes(status)) {
        return new UnauthorizedError(`Vault does not accept ${context.what} (${said()})`, {
          ...details,
          hint: 'check token, token_path or VAULT_TOKEN; the token may have expired or been revoked',
        });
      }
      break;
    case 'read':
    case 'admin':
      if (status === 401) {
        return new UnauthorizedError(`Vault did not authenticate the request for ${context.what} (${said()})`, {
          ...details,
          hint: 'check the credentials of the backend',
        });
      }
      if (status === 403) {
        return new ForbiddenError(`the token's policy does not allow reading ${context.what} (${said()})`, {
          ...details,
          hint: 'grant read on this path in the policy, or check mount_point and the *_path kwargs',
        });
      }
      if (status === 400) {
        return new ConfigurationError(`Vault refused the request for ${context.what} as invalid (${said()})`, {
          ...details,
          hint: 'check mount_point, kv_engine_version and the *_path kwargs',
        });
      }
      break;
  }
  return new UnavailableError(`unexpected answer from Vault for ${context.what} (${said()})`, {
    ...details,
    hint: 'check that the url points at a Vault server',
  });
}

/** Socket errors before the request reached Vault: urllib3 retries them whatever the method. */
const CONNECT_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/**
 * A failed node-vault call in urllib3's terms. axios cannot tell a connect timeout from a read
 * timeout (both ECONNABORTED), so every timeout counts as a read error; through a proxy on this
 * machine the connection itself never times out, so nothing here depends on the difference.
 */
export function vaultAttemptFailure(error: unknown): AttemptFailure | null {
  const failure = describeVaultFailure(error);
  if (failure.status !== null) return { kind: 'status', status: failure.status };
  if (failure.code === null) return null;
  return CONNECT_CODES.has(failure.code) ? { kind: 'connect' } : { kind: 'read' };
}

/** What one Vault read may cost with this `timeout` kwarg: hvac's session retries, each bounded by it. */
export function vaultLookupBudget(kwargs: Record<string, unknown>, policy: Urllib3RetryPolicy = PROVIDER_VAULT_RETRY): LookupBudget {
  return urllib3LookupBudget(policy, timeoutMs(kwargs.timeout));
}

// ---------------------------------------------------------------------------------------------
// The backend.

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
      client.token = await this.tokenOf(auth);
      this.tokenInUse = client.token;
      await this.request(client, 'auth/token/lookup-self', null, 'token-check', 'the token');
      return client;
    }
    let loginPath: string;
    let body: Record<string, unknown>;
    if (auth.type === 'approle') {
      loginPath = `auth/${quoteVaultPath(auth.mountPoint)}/login`;
      body = { role_id: auth.roleId, ...(auth.secretId === null ? {} : { secret_id: auth.secretId }) };
    } else if (auth.type === 'aws_iam') {
      if (!auth.keyId || !auth.secretId) {
        throw kwargError('aws_iam authentication needs key_id and secret_id here', 'key_id', 'set key_id and secret_id (the IAM access key)');
      }
      loginPath = `auth/${quoteVaultPath(auth.mountPoint)}/login`;
      body = await awsIamLoginBody({
        credentials: { accessKeyId: auth.keyId, secretAccessKey: auth.secretId },
        ...(auth.region ? { region: auth.region } : {}),
        ...(auth.role ? { role: auth.role } : {}),
      });
    } else if (auth.type === 'kubernetes') {
      loginPath = `auth/${quoteVaultPath(auth.mountPoint)}/login`;
      // `open(kubernetes_jwt_path).read().strip()`, read at each login as the provider does.
      body = { role: auth.role, jwt: pythonStrip(await readFile(auth.jwtPath, 'utf8')) };
      this.kubernetesJwt = body.jwt as string;
    } else {
      if (!auth.username || auth.password === null) {
        throw kwargError(`${auth.type} authentication needs username and password`, 'username', 'set both username and password');
      }
      loginPath = `auth/${quoteVaultPath(auth.mountPoint)}/login/${quoteVaultPath(auth.username)}`;
      body = { password: auth.password };
    }
    const answer = (await this.request(client, loginPath, body, 'login', `the ${auth.type} login`)) as { auth?: { client_token?: unknown } };
    const token = answer.auth?.client_token;
    if (typeof token !== 'string' || token === '') {
      throw new UnauthorizedError(`the ${auth.type} login gave no token`, {
        what: `the ${auth.type} login`,
        where: `${this.address}/v1/${loginPath}`,
        hint: 'check that auth_mount_point names the auth method the credentials belong to',
      });
    }
    client.token = token;
    this.tokenInUse = token;
    return client;
  }

  private async tokenOf(auth: Extract<VaultAuth, { type: 'token' }>): Promise<string> {
    let token = auth.token;
    if (auth.tokenPath) {
      try {
        token = pythonStrip(await readFile(auth.tokenPath, 'utf8'));
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        throw kwargError(
          `cannot read the token file (${typeof code === 'string' ? code : 'unreadable'})`,
          'token_path',
          `check that ${auth.tokenPath} exists and is readable`,
        );
      }
    }
    if (!token) {
      // The provider's "Vault Authentication Error!": the auth method produced no token.
      throw new UnauthorizedError('no Vault token to authenticate with', {
        what: `${this.kind} token`,
        where: auth.tokenPath ? `token_path ${auth.tokenPath}` : 'token / VAULT_TOKEN',
        hint: 'set a non-empty token, token_path or VAULT_TOKEN',
      });
    }
    return token;
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
