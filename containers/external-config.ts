/**
 * `--provision=external`: the servers a team already runs, named by environment variables. Nothing
 * here starts a server; this file only reads and checks the configuration (see
 * docs/external-servers.md). Every value is checked before a request is sent, and a
 * mistake is one ConfigurationError naming the variable.
 */
import { readFileSync } from 'node:fs';
import { ConfigurationError } from '../model/errors';

/** Requests per second to an external server when `ASC_EXTERNAL_MAX_RPS` is not set. */
export const DEFAULT_EXTERNAL_MAX_RPS = 10;

/** How the backend logs in in production: a token (`ASC_EXTERNAL_VAULT_TOKEN`) or an AppRole (`ASC_EXTERNAL_VAULT_ROLE_ID`). */
export type VaultCredential =
  | { readonly kind: 'token'; readonly token: string }
  | {
      readonly kind: 'approle';
      readonly roleId: string;
      readonly secretId: string;
      /** `ASC_EXTERNAL_VAULT_AUTH_MOUNT`; absent: `approle`. */
      readonly authMount?: string;
    };

export interface ExternalVaultConfig {
  readonly address: string;
  /** PEM text of `ASC_EXTERNAL_VAULT_CACERT`; absent: the system's CAs. */
  readonly caPem?: string;
  readonly caCertFile?: string;
  /** The backend's production credential: what the backend under test reads with. */
  readonly credential: VaultCredential;
  /** A token that may write under `<mount>/<prefix>/`; absent: read-only run. */
  readonly adminToken?: string;
  readonly mount: string;
  /** The folder inside the mount the harness may use; every path it touches starts with it. */
  readonly prefix: string;
  /** `ASC_EXTERNAL_VAULT_KV_VERSION`; absent: asked of the server. */
  readonly kvEngineVersion?: 1 | 2;
}

export interface AwsKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface ExternalAwsConfig {
  /** `ASC_EXTERNAL_AWS_ENDPOINT`; absent: real AWS. */
  readonly endpointUrl?: string;
  readonly region: string;
  /** The backend's production credential: the keys, or (exactly one of the two) a profile of the shared AWS files. */
  readonly keys?: AwsKeys;
  /** `ASC_EXTERNAL_AWS_PROFILE`: read with the SDK's shared config and credentials files. */
  readonly profile?: string;
  /** `ASC_EXTERNAL_AWS_ROLE_ARN`: assumed (sts:AssumeRole) with the keys or profile; the backend gets the temporary keys. */
  readonly roleArn?: string;
  /** Keys that may create and delete secrets under the prefix; absent: read-only run. */
  readonly adminKeys?: AwsKeys;
  /** The name prefix the harness may use (`team/airflow-conformance`); every name it touches starts with it. */
  readonly prefix: string;
}

export interface ExternalConfig {
  readonly vault?: ExternalVaultConfig;
  readonly aws?: ExternalAwsConfig;
  readonly maxRps: number;
}

function problem(variable: string, message: string, hint: string): ConfigurationError {
  return new ConfigurationError(`${variable} ${message}`, { what: variable, where: '--provision=external', hint });
}

function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const text = env[name]?.trim();
  return text === undefined || text === '' ? undefined : text;
}

/** A path segment list the harness may write under: no empty, `.` or `..` segment, no leading or trailing `/`. */
function storePath(env: NodeJS.ProcessEnv, name: string, example: string, fallback?: string): string {
  const text = value(env, name) ?? fallback;
  if (text === undefined)
    throw problem(name, 'is not set', `name the folder the harness may use, e.g. ${name}=${example}; it writes and reads under it only`);
  const segments = text.replace(/^\/+|\/+$/g, '').split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..' || !/^[A-Za-z0-9_.+=@-]+$/.test(segment))) {
    throw problem(name, `is not a plain path ("${text}")`, 'use letters, digits, "_.+=@-" and "/" between segments, e.g. ' + example);
  }
  return segments.join('/');
}

function httpUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const text = value(env, name);
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw problem(name, `is not a URL ("${text}")`, `e.g. ${name}=https://vault.staging.example:8200`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw problem(name, `must be http:// or https://, not ${url.protocol}`, 'give the server address');
  if (url.username || url.password)
    throw problem(name, 'carries credentials in the URL', 'give credentials in their own variables, not in the address');
  return url.origin;
}

/** Exactly one of a token and an AppRole: both, or neither, is a mistake named in one line. */
function vaultCredential(env: NodeJS.ProcessEnv): VaultCredential {
  const token = value(env, 'ASC_EXTERNAL_VAULT_TOKEN');
  const roleId = value(env, 'ASC_EXTERNAL_VAULT_ROLE_ID');
  const secretId = value(env, 'ASC_EXTERNAL_VAULT_SECRET_ID');
  const authMount = value(env, 'ASC_EXTERNAL_VAULT_AUTH_MOUNT');
  const approle = roleId !== undefined || secretId !== undefined;
  if (token !== undefined && approle)
    throw problem(
      'ASC_EXTERNAL_VAULT_TOKEN',
      'is set together with an AppRole (ASC_EXTERNAL_VAULT_ROLE_ID / ASC_EXTERNAL_VAULT_SECRET_ID)',
      'give the one credential the backend uses in production: a token, or an AppRole, not both',
    );
  if (token !== undefined) {
    if (authMount !== undefined)
      throw problem(
        'ASC_EXTERNAL_VAULT_AUTH_MOUNT',
        'is set without an AppRole',
        'unset it, or give ASC_EXTERNAL_VAULT_ROLE_ID and ASC_EXTERNAL_VAULT_SECRET_ID',
      );
    return { kind: 'token', token };
  }
  if (!approle)
    throw problem(
      'ASC_EXTERNAL_VAULT_TOKEN',
      'is not set (nor ASC_EXTERNAL_VAULT_ROLE_ID)',
      'give the credential the backend reads with in production (its policy is what gets certified): a token, or an AppRole role_id and secret_id',
    );
  if (!roleId || !secretId) {
    const missing = roleId ? 'ASC_EXTERNAL_VAULT_SECRET_ID' : 'ASC_EXTERNAL_VAULT_ROLE_ID';
    throw problem(missing, 'is not set', 'an AppRole needs both ASC_EXTERNAL_VAULT_ROLE_ID and ASC_EXTERNAL_VAULT_SECRET_ID');
  }
  return {
    kind: 'approle',
    roleId,
    secretId,
    ...(authMount !== undefined ? { authMount: storePath(env, 'ASC_EXTERNAL_VAULT_AUTH_MOUNT', 'approle') } : {}),
  };
}

function readVault(env: NodeJS.ProcessEnv): ExternalVaultConfig | undefined {
  const address = httpUrl(env, 'ASC_EXTERNAL_VAULT_ADDR');
  if (address === undefined) return undefined;
  const credential = vaultCredential(env);
  const caCertFile = value(env, 'ASC_EXTERNAL_VAULT_CACERT');
  let caPem: string | undefined;
  if (caCertFile !== undefined) {
    try {
      caPem = readFileSync(caCertFile, 'utf8');
    } catch (error) {
      throw problem(
        'ASC_EXTERNAL_VAULT_CACERT',
        `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        `check that ${caCertFile} exists and is a PEM file`,
      );
    }
  }
  const version = value(env, 'ASC_EXTERNAL_VAULT_KV_VERSION');
  if (version !== undefined && version !== '1' && version !== '2')
    throw problem('ASC_EXTERNAL_VAULT_KV_VERSION', `must be 1 or 2, not "${version}"`, 'or leave it unset: the mount is asked');
  const adminToken = value(env, 'ASC_EXTERNAL_VAULT_ADMIN_TOKEN');
  return {
    address,
    credential,
    mount: storePath(env, 'ASC_EXTERNAL_VAULT_MOUNT', 'secret', 'secret'),
    prefix: storePath(env, 'ASC_EXTERNAL_VAULT_PREFIX', 'airflow-conformance'),
    ...(caPem !== undefined && caCertFile !== undefined ? { caPem, caCertFile } : {}),
    ...(adminToken ? { adminToken } : {}),
    ...(version ? { kvEngineVersion: version === '1' ? 1 : 2 } : {}),
  } as ExternalVaultConfig;
}

function keysFrom(env: NodeJS.ProcessEnv, prefix: string): AwsKeys | undefined {
  const accessKeyId = value(env, `${prefix}ACCESS_KEY_ID`);
  const secretAccessKey = value(env, `${prefix}SECRET_ACCESS_KEY`);
  if (accessKeyId === undefined && secretAccessKey === undefined) return undefined;
  if (!accessKeyId || !secretAccessKey) {
    const missing = accessKeyId ? `${prefix}SECRET_ACCESS_KEY` : `${prefix}ACCESS_KEY_ID`;
    throw problem(missing, 'is not set', `give both ${prefix}ACCESS_KEY_ID and ${prefix}SECRET_ACCESS_KEY`);
  }
  const sessionToken = value(env, `${prefix}SESSION_TOKEN`);
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

function readAws(env: NodeJS.ProcessEnv): ExternalAwsConfig | undefined {
  const region = value(env, 'ASC_EXTERNAL_AWS_REGION');
  const endpointUrl = httpUrl(env, 'ASC_EXTERNAL_AWS_ENDPOINT');
  if (region === undefined) {
    if (endpointUrl !== undefined) throw problem('ASC_EXTERNAL_AWS_REGION', 'is not set', 'name the region the secrets live in, e.g. eu-west-1');
    return undefined;
  }
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw problem('ASC_EXTERNAL_AWS_REGION', `is not a region name ("${region}")`, 'e.g. eu-west-1');
  const keys = keysFrom(env, 'ASC_EXTERNAL_AWS_');
  const profile = value(env, 'ASC_EXTERNAL_AWS_PROFILE');
  const roleArn = value(env, 'ASC_EXTERNAL_AWS_ROLE_ARN');
  if (keys && profile !== undefined)
    throw problem(
      'ASC_EXTERNAL_AWS_PROFILE',
      'is set together with ASC_EXTERNAL_AWS_ACCESS_KEY_ID',
      'give the keys or the profile the backend uses in production, not both',
    );
  if (!keys && profile === undefined) {
    throw problem(
      'ASC_EXTERNAL_AWS_ACCESS_KEY_ID',
      'is not set (nor ASC_EXTERNAL_AWS_PROFILE)',
      'give the keys the backend reads with in production (e.g. from `aws configure export-credentials --format env`, renamed ASC_EXTERNAL_AWS_*), or ASC_EXTERNAL_AWS_PROFILE',
    );
  }
  if (roleArn !== undefined && !/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(roleArn))
    throw problem('ASC_EXTERNAL_AWS_ROLE_ARN', `is not a role ARN ("${roleArn}")`, 'e.g. arn:aws:iam::123456789012:role/airflow-prod');
  const adminKeys = keysFrom(env, 'ASC_EXTERNAL_AWS_ADMIN_');
  return {
    region,
    prefix: storePath(env, 'ASC_EXTERNAL_AWS_PREFIX', 'airflow-conformance'),
    ...(keys ? { keys } : {}),
    ...(profile !== undefined ? { profile } : {}),
    ...(roleArn !== undefined ? { roleArn } : {}),
    ...(endpointUrl ? { endpointUrl } : {}),
    ...(adminKeys ? { adminKeys } : {}),
  };
}

export function readExternalConfig(env: NodeJS.ProcessEnv = process.env): ExternalConfig {
  const rps = value(env, 'ASC_EXTERNAL_MAX_RPS');
  const maxRps = rps === undefined ? DEFAULT_EXTERNAL_MAX_RPS : Number(rps);
  if (!Number.isFinite(maxRps) || maxRps <= 0 || maxRps > 1000) {
    throw problem(
      'ASC_EXTERNAL_MAX_RPS',
      `must be a number of requests per second between 0 and 1000, not "${rps}"`,
      `or leave it unset (${DEFAULT_EXTERNAL_MAX_RPS})`,
    );
  }
  const vault = readVault(env);
  const aws = readAws(env);
  return { maxRps, ...(vault ? { vault } : {}), ...(aws ? { aws } : {}) };
}

/** The configuration of one family, or the error that says how to give it. */
export function requireExternal<Family extends 'vault' | 'aws'>(config: ExternalConfig, family: Family): NonNullable<ExternalConfig[Family]> {
  const found = config[family];
  if (found) return found as NonNullable<ExternalConfig[Family]>;
  throw family === 'vault'
    ? problem(
        'ASC_EXTERNAL_VAULT_ADDR',
        'is not set',
        'give the address of the Vault to certify against, e.g. ASC_EXTERNAL_VAULT_ADDR=https://vault.staging.example:8200',
      )
    : problem('ASC_EXTERNAL_AWS_REGION', 'is not set', 'name the AWS region (and ASC_EXTERNAL_AWS_ENDPOINT for an AWS-compatible server)');
}
