/**
 * The provider's construction-time reading of `backend_kwargs` (its `VaultBackend.__init__` and
 * `_VaultClient.__init__`): the same defaults and normalisation, and its `VaultError`s, in its
 * order and with its messages, as `ConfigurationError`. Kept apart from the backend so a store or
 * a suite can ask where the provider looks without building one.
 */
import { pyRepr, pyStr } from '../../model/connection/python-values';
import { ConfigurationError } from '../../model/errors';

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

/** A refused kwarg; also for one found wrong only at first use (an unreadable CA or token file). */
export function kwargError(message: string, kwarg: string, hint: string): ConfigurationError {
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

/** The `timeout` kwarg (seconds, as hvac.Client takes it) in ms. */
export function timeoutKwargMs(value: unknown): number {
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
    timeoutMs: timeoutKwargMs(kwargs.timeout),
    namespace: optionalText(kwargs, 'namespace'),
    verify: verifySetting(kwargs.verify),
  };
}
