/**
 * The server kinds of `--provision=external`: a Vault and an AWS (or AWS-compatible) endpoint a team
 * already runs. "Starting" one reads its configuration (external-config.ts) and asks the server who
 * it is and who we are: Vault's `sys/health` version and the token's `auth/token/lookup-self`
 * (display name and accessor; for an AppRole, of the token its login returns, revoked after), AWS's
 * `sts:GetCallerIdentity` ARN of the keys, the profile's keys, or the role they assume. Stopping does
 * nothing: the server is not ours. A wrong address, token or key is one typed error with a hint.
 */
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromIni } from '@aws-sdk/credential-provider-ini';
import { ConfigurationError, isSecretsError, UnauthorizedError, UnavailableError, type SecretsError } from '../model/errors';
import { requestGate, type RequestGate } from '../model/request-gate';
import type { RunningServer, ServerInfo, ServerKind } from './contract';
import {
  readExternalConfig,
  requireExternal,
  type AwsKeys,
  type ExternalAwsConfig,
  type ExternalVaultConfig,
  type VaultCredential,
} from './external-config';
import { httpsJson } from './https-json';

const PROBE_TIMEOUT_MS = 10_000;

export interface ExternalVaultEndpoint extends ServerInfo {
  readonly address: string;
  readonly caPem?: string;
  readonly caCertFile?: string;
  /** The backend's credential: a token, or an AppRole the backend logs in with itself. */
  readonly credential: VaultCredential;
  /** How the identity was found, for reports: `auth/token/lookup-self of ASC_EXTERNAL_VAULT_TOKEN`. */
  readonly identitySource: string;
  readonly adminToken?: string;
  readonly adminIdentity?: string;
  readonly mount: string;
  readonly prefix: string;
  readonly kvEngineVersion: 1 | 2;
  readonly maxRps: number;
}

export interface ExternalAwsEndpoint extends ServerInfo {
  /** Where the requests go, for reports: the configured endpoint or the region's Secrets Manager endpoint. */
  readonly address: string;
  /** Absent: the SDK's default endpoint (real AWS). */
  readonly endpointUrl?: string;
  readonly region: string;
  /** What the backend reads with: the given keys, the profile's, or the assumed role's temporary keys. */
  readonly keys: AwsKeys;
  /** Where those keys came from, for reports: `ASC_EXTERNAL_AWS_ACCESS_KEY_ID`, a profile, an assumed role. */
  readonly keysSource: string;
  readonly adminKeys?: AwsKeys;
  readonly adminIdentity?: string;
  readonly prefix: string;
  readonly maxRps: number;
}

interface VaultAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** One JSON request to the external Vault, trusting its CA file when one is given. */
async function vaultRequest(vault: ExternalVaultConfig, path: string, token?: string, post?: Record<string, unknown>): Promise<VaultAnswer> {
  const url = `${vault.address}/v1/${path}`;
  const headers: Record<string, string> = token === undefined ? {} : { 'x-vault-token': token };
  const method = post === undefined ? 'GET' : 'POST';
  if (vault.caPem !== undefined)
    return httpsJson(url, { method, ca: vault.caPem, headers, timeoutMs: PROBE_TIMEOUT_MS, ...(post ? { body: post } : {}) });
  try {
    const response = await fetch(url, {
      method,
      headers: post ? { ...headers, 'content-type': 'application/json' } : headers,
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      ...(post ? { body: JSON.stringify(post) } : {}),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Not JSON: kept as text, refused below.
    }
    return { status: response.status, body };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (error as Error).name;
    throw new UnavailableError(`Vault at ${vault.address} does not answer (${why})`, {
      where: 'ASC_EXTERNAL_VAULT_ADDR',
      hint: 'check the address and that this machine can reach it; for https with a private CA set ASC_EXTERNAL_VAULT_CACERT',
    });
  }
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

async function vaultVersion(vault: ExternalVaultConfig): Promise<string> {
  // standbyok/perfstandbyok: a standby answers 200 too; the version is what matters here.
  const answer = await vaultRequest(vault, 'sys/health?standbyok=true&perfstandbyok=true');
  const health = record(answer.body);
  if (health.sealed === true) {
    throw new UnavailableError(`Vault at ${vault.address} is sealed`, {
      where: 'sys/health',
      hint: 'unseal it, or point ASC_EXTERNAL_VAULT_ADDR at an unsealed node',
    });
  }
  if (typeof health.version !== 'string') {
    throw new UnavailableError(`${vault.address} answered sys/health without a version (HTTP ${answer.status})`, {
      where: 'ASC_EXTERNAL_VAULT_ADDR',
      hint: 'is this a Vault (or OpenBao) server address?',
    });
  }
  return health.version;
}

/** `display_name (accessor ...)` of a token, from its own lookup; the token itself is never kept in the answer. */
async function tokenIdentity(vault: ExternalVaultConfig, token: string, variable: string): Promise<string> {
  const answer = await vaultRequest(vault, 'auth/token/lookup-self', token);
  if (answer.status === 403 || answer.status === 401 || answer.status === 400) {
    throw new UnauthorizedError(`Vault refused ${variable} (HTTP ${answer.status} on auth/token/lookup-self)`, {
      where: vault.address,
      hint: `check that ${variable} is a live token of this server (a token may look itself up under the default policy)`,
    });
  }
  const data = record(record(answer.body).data);
  if (answer.status !== 200) {
    throw new UnavailableError(`Vault answered HTTP ${answer.status} to auth/token/lookup-self`, {
      where: vault.address,
      hint: 'check the server log',
    });
  }
  const name = typeof data.display_name === 'string' ? data.display_name : 'token';
  const accessor = typeof data.accessor === 'string' ? data.accessor : 'no accessor';
  const policies = Array.isArray(data.policies) ? data.policies.filter((p): p is string => typeof p === 'string') : [];
  return `${name} (token accessor ${accessor}${policies.length > 0 ? `, policies ${policies.join(', ')}` : ''})`;
}

/** A token the reader's credential stands for: the token itself, or the one an AppRole login returns (revoked after the probe). */
interface ReaderToken {
  readonly token: string;
  readonly variable: string;
  readonly source: string;
  readonly loggedIn: boolean;
}

async function readerToken(vault: ExternalVaultConfig): Promise<ReaderToken> {
  const credential = vault.credential;
  if (credential.kind === 'token') {
    const variable = 'ASC_EXTERNAL_VAULT_TOKEN';
    return { token: credential.token, variable, source: `auth/token/lookup-self of ${variable}`, loggedIn: false };
  }
  const mount = credential.authMount ?? 'approle';
  const variable = 'ASC_EXTERNAL_VAULT_ROLE_ID / ASC_EXTERNAL_VAULT_SECRET_ID';
  const answer = await vaultRequest(vault, `auth/${mount}/login`, undefined, { role_id: credential.roleId, secret_id: credential.secretId });
  const token = record(record(answer.body).auth).client_token;
  if (answer.status === 400 || answer.status === 401 || answer.status === 403) {
    throw new UnauthorizedError(`Vault refused the AppRole ${variable} (HTTP ${answer.status} on auth/${mount}/login)`, {
      where: vault.address,
      hint: 'check the role_id and that the secret_id is live (not expired, not used up)',
    });
  }
  if (answer.status !== 200 || typeof token !== 'string') {
    throw new UnavailableError(`Vault answered HTTP ${answer.status} to auth/${mount}/login without a token`, {
      where: vault.address,
      hint: `check that an AppRole auth method is mounted at auth/${mount} (ASC_EXTERNAL_VAULT_AUTH_MOUNT)`,
    });
  }
  return {
    token,
    variable,
    source: `auth/token/lookup-self after an AppRole login at auth/${mount} with ASC_EXTERNAL_VAULT_ROLE_ID`,
    loggedIn: true,
  };
}

/** The KV version of the mount, as the reader may ask it (`sys/internal/ui/mounts/<mount>`); 2 when it cannot. */
async function mountVersion(vault: ExternalVaultConfig, token: string): Promise<1 | 2> {
  if (vault.kvEngineVersion) return vault.kvEngineVersion;
  const answer = await vaultRequest(vault, `sys/internal/ui/mounts/${vault.mount}`, token);
  const options = record(record(record(answer.body).data).options);
  return options.version === '1' ? 1 : 2;
}

export async function probeExternalVault(vault: ExternalVaultConfig, maxRps: number): Promise<ExternalVaultEndpoint> {
  const version = await vaultVersion(vault);
  const reader = await readerToken(vault);
  let identity: string;
  let kvEngineVersion: 1 | 2;
  try {
    identity = await tokenIdentity(vault, reader.token, reader.variable);
    kvEngineVersion = await mountVersion(vault, reader.token);
  } finally {
    // The probe's own login is not left behind; a refused revoke only leaves a token that expires.
    if (reader.loggedIn) await vaultRequest(vault, 'auth/token/revoke-self', reader.token, {}).catch(() => undefined);
  }
  const adminIdentity = vault.adminToken ? await tokenIdentity(vault, vault.adminToken, 'ASC_EXTERNAL_VAULT_ADMIN_TOKEN') : undefined;
  return {
    provisioning: 'external',
    version,
    identity,
    identitySource: reader.source,
    address: vault.address,
    credential: vault.credential,
    mount: vault.mount,
    prefix: vault.prefix,
    kvEngineVersion,
    maxRps,
    ...(vault.caPem !== undefined ? { caPem: vault.caPem } : {}),
    ...(vault.caCertFile !== undefined ? { caCertFile: vault.caCertFile } : {}),
    ...(vault.adminToken ? { adminToken: vault.adminToken } : {}),
    ...(adminIdentity ? { adminIdentity } : {}),
  };
}

/** What a refused or failed GetCallerIdentity means, without the SDK's request (which holds the keys). */
function awsProbeError(error: unknown, aws: ExternalAwsConfig, variable: string, operation = 'sts:GetCallerIdentity'): SecretsError {
  if (isSecretsError(error)) return error;
  const name = error instanceof Error ? error.name : 'Error';
  const where = aws.endpointUrl ?? `AWS ${aws.region}`;
  if (/InvalidClientTokenId|SignatureDoesNotMatch|UnrecognizedClient|ExpiredToken|AccessDenied|InvalidAccessKeyId|Unauthorized/i.test(name)) {
    return new UnauthorizedError(`AWS refused ${variable} (${name} on ${operation})`, {
      where,
      hint:
        operation === 'sts:AssumeRole'
          ? `check that the keys or profile may assume ${variable}: the role's trust policy and sts:AssumeRole in theirs`
          : `check ${variable} and its secret key (and the session token, if the keys are temporary)`,
    });
  }
  const code = (error as { code?: string }).code ?? name;
  return new UnavailableError(`AWS at ${where} does not answer ${operation} (${code})`, {
    where: 'ASC_EXTERNAL_AWS_ENDPOINT / ASC_EXTERNAL_AWS_REGION',
    hint: 'check the endpoint, the region and that this machine can reach it',
  });
}

function stsClient(aws: ExternalAwsConfig, keys: AwsKeys): STSClient {
  return new STSClient({
    region: aws.region,
    credentials: keys,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: PROBE_TIMEOUT_MS, requestTimeout: PROBE_TIMEOUT_MS },
    ...(aws.endpointUrl ? { endpoint: aws.endpointUrl } : {}),
  });
}

/** The keys of `ASC_EXTERNAL_AWS_PROFILE`, as the SDK reads the shared files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE). */
async function profileKeys(aws: ExternalAwsConfig, profile: string): Promise<AwsKeys> {
  try {
    const found = await fromIni({ profile, ignoreCache: true, clientConfig: { region: aws.region } })();
    return {
      accessKeyId: found.accessKeyId,
      secretAccessKey: found.secretAccessKey,
      ...(found.sessionToken ? { sessionToken: found.sessionToken } : {}),
    };
  } catch (error) {
    // The SDK's message names the profile and files, never a key.
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ConfigurationError(`ASC_EXTERNAL_AWS_PROFILE "${profile}" gives no credentials (${why})`, {
      what: 'ASC_EXTERNAL_AWS_PROFILE',
      where: '--provision=external',
      hint: 'check the profile in ~/.aws/credentials and ~/.aws/config (or AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE)',
    });
  }
}

/** The temporary keys of `ASC_EXTERNAL_AWS_ROLE_ARN`, assumed with the given keys. */
async function assumedKeys(aws: ExternalAwsConfig, keys: AwsKeys, roleArn: string): Promise<AwsKeys> {
  const client = stsClient(aws, keys);
  try {
    const answer = await client.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'airflow-secrets-conformance' }));
    const found = answer.Credentials;
    if (!found?.AccessKeyId || !found.SecretAccessKey || !found.SessionToken) {
      throw new UnavailableError(`sts:AssumeRole of ASC_EXTERNAL_AWS_ROLE_ARN answered without credentials`, {
        where: aws.endpointUrl ?? `AWS ${aws.region}`,
        hint: 'check the endpoint: it must be STS',
      });
    }
    return { accessKeyId: found.AccessKeyId, secretAccessKey: found.SecretAccessKey, sessionToken: found.SessionToken };
  } catch (error) {
    throw awsProbeError(error, aws, 'ASC_EXTERNAL_AWS_ROLE_ARN', 'sts:AssumeRole');
  } finally {
    client.destroy();
  }
}

/** The backend's keys: given, read from the profile, then (with a role ARN) traded for the role's temporary keys. */
async function readerKeys(aws: ExternalAwsConfig): Promise<{ keys: AwsKeys; source: string; variable: string }> {
  let keys: AwsKeys;
  let source: string;
  if (aws.keys) [keys, source] = [aws.keys, 'ASC_EXTERNAL_AWS_ACCESS_KEY_ID'];
  else if (aws.profile !== undefined) [keys, source] = [await profileKeys(aws, aws.profile), `profile ${aws.profile} (ASC_EXTERNAL_AWS_PROFILE)`];
  else throw requireKeys();
  if (aws.roleArn === undefined) return { keys, source, variable: aws.keys ? 'ASC_EXTERNAL_AWS_ACCESS_KEY_ID' : 'ASC_EXTERNAL_AWS_PROFILE' };
  return {
    keys: await assumedKeys(aws, keys, aws.roleArn),
    source: `ASC_EXTERNAL_AWS_ROLE_ARN assumed with ${source}`,
    variable: 'ASC_EXTERNAL_AWS_ROLE_ARN',
  };
}

function requireKeys(): ConfigurationError {
  return new ConfigurationError('ASC_EXTERNAL_AWS_ACCESS_KEY_ID is not set (nor ASC_EXTERNAL_AWS_PROFILE)', {
    what: 'ASC_EXTERNAL_AWS_ACCESS_KEY_ID',
    where: '--provision=external',
    hint: 'give the keys or the profile the backend reads with in production',
  });
}

async function callerArn(aws: ExternalAwsConfig, keys: AwsKeys, variable: string): Promise<string> {
  const client = stsClient(aws, keys);
  try {
    const answer = await client.send(new GetCallerIdentityCommand({}));
    return answer.Arn ?? `account ${answer.Account ?? 'unknown'}`;
  } catch (error) {
    throw awsProbeError(error, aws, variable);
  } finally {
    client.destroy();
  }
}

export async function probeExternalAws(aws: ExternalAwsConfig, maxRps: number): Promise<ExternalAwsEndpoint> {
  const reader = await readerKeys(aws);
  const identity = await callerArn(aws, reader.keys, reader.variable);
  const adminIdentity = aws.adminKeys ? await callerArn(aws, aws.adminKeys, 'ASC_EXTERNAL_AWS_ADMIN_ACCESS_KEY_ID') : undefined;
  return {
    provisioning: 'external',
    // AWS reports no server version: the endpoint and region are what identify it.
    version: `AWS API, region ${aws.region}${aws.endpointUrl ? `, endpoint ${aws.endpointUrl}` : ''}`,
    identity,
    address: aws.endpointUrl ?? `https://secretsmanager.${aws.region}.amazonaws.com`,
    region: aws.region,
    keys: reader.keys,
    keysSource: reader.source,
    prefix: aws.prefix,
    maxRps,
    ...(aws.endpointUrl ? { endpointUrl: aws.endpointUrl } : {}),
    ...(aws.adminKeys ? { adminKeys: aws.adminKeys } : {}),
    ...(adminIdentity ? { adminIdentity } : {}),
  };
}

function found<Endpoint extends ServerInfo>(endpoint: Endpoint): RunningServer<Endpoint> {
  // Not ours: nothing to stop.
  return { endpoint, stop: async () => {} };
}

/** The Vault a team runs, from `ASC_EXTERNAL_VAULT_*`. */
export const externalVaultServer: ServerKind<ExternalVaultEndpoint> = {
  name: 'vault-external',
  external: true,
  async start() {
    const config = readExternalConfig();
    return found(await probeExternalVault(requireExternal(config, 'vault'), config.maxRps));
  },
};

/** The AWS account (or AWS-compatible endpoint) a team runs, from `ASC_EXTERNAL_AWS_*`. */
export const externalAwsServer: ServerKind<ExternalAwsEndpoint> = {
  name: 'aws-external',
  external: true,
  async start() {
    const config = readExternalConfig();
    return found(await probeExternalAws(requireExternal(config, 'aws'), config.maxRps));
  },
};

/** Before a run: every external kind it needs answers, with the credentials given; else the first typed error. */
export async function checkExternalServers(kinds: readonly ServerKind[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = readExternalConfig(env);
  for (const kind of kinds) {
    if (kind === externalVaultServer) await probeExternalVault(requireExternal(config, 'vault'), config.maxRps);
    else if (kind === externalAwsServer) await probeExternalAws(requireExternal(config, 'aws'), config.maxRps);
    else {
      throw new ConfigurationError(`the server ${kind.name} is not one --provision=external can name`, {
        where: '--provision=external',
        hint: 'select the external targets (vault-external, aws-sm-external) or run without --provision=external',
      });
    }
  }
}

/** One gate per external server address in this process: every client aimed at it shares the cap. */
export function externalGates(): (address: string, maxRps: number) => RequestGate {
  const gates = new Map<string, RequestGate>();
  return (address, maxRps) => {
    let gate = gates.get(address);
    if (!gate) gates.set(address, (gate = requestGate(maxRps)));
    return gate;
  };
}
