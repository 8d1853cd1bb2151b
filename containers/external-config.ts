/**
 * `--provision=external`: the servers a team already runs, named by environment variables. Nothing
 * here starts a server; this file only reads and checks the configuration (see README.md,
 * "Certify against your own servers"). Every value is checked before a request is sent, and a
 * mistake is one ConfigurationError naming the variable.
 */
import { readFileSync } from 'node:fs';
import { ConfigurationError } from '../backends/errors';

/** Requests per second to an external server when `ASC_EXTERNAL_MAX_RPS` is not set. */
export const DEFAULT_EXTERNAL_MAX_RPS = 10;

export interface ExternalVaultConfig {
  readonly address: string;
  /** PEM text of `ASC_EXTERNAL_VAULT_CACERT`; absent: the system's CAs. */
  readonly caPem?: string;
  readonly caCertFile?: string;
  /** The backend's production credential: what the backend under test reads with. */
  readonly token: string;
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
  /** The backend's production credential. */
  readonly keys: AwsKeys;
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

function readVault(env: NodeJS.ProcessEnv): ExternalVaultConfig | undefined {
  const address = httpUrl(env, 'ASC_EXTERNAL_VAULT_ADDR');
  if (address === undefined) return undefined;
  const token = value(env, 'ASC_EXTERNAL_VAULT_TOKEN');
  if (!token)
    throw problem(
      'ASC_EXTERNAL_VAULT_TOKEN',
      'is not set',
      'give the token the backend reads with in production (its policy is what gets certified)',
    );
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
    token,
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
  if (!keys) {
    throw problem(
      'ASC_EXTERNAL_AWS_ACCESS_KEY_ID',
      'is not set',
      'give the keys the backend reads with in production (e.g. from `aws configure export-credentials --format env`, renamed ASC_EXTERNAL_AWS_*)',
    );
  }
  const adminKeys = keysFrom(env, 'ASC_EXTERNAL_AWS_ADMIN_');
  return {
    region,
    keys,
    prefix: storePath(env, 'ASC_EXTERNAL_AWS_PREFIX', 'airflow-conformance'),
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
