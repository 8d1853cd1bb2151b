/**
 * The server kinds of `--provision=external`: a Vault and an AWS (or AWS-compatible) endpoint a team
 * already runs. "Starting" one reads its configuration (external-config.ts) and asks the server who
 * it is and who we are: Vault's `sys/health` version and the token's `auth/token/lookup-self`
 * (display name and accessor), AWS's `sts:GetCallerIdentity` ARN. Stopping does nothing: the server
 * is not ours. A wrong address, token or key is one typed error with a hint.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ConfigurationError, isSecretsError, UnauthorizedError, UnavailableError, type SecretsError } from '../backends/errors';
import { requestGate, type RequestGate } from '../backends/request-gate';
import type { RunningServer, ServerInfo, ServerKind } from './contract';
import { readExternalConfig, requireExternal, type AwsKeys, type ExternalAwsConfig, type ExternalVaultConfig } from './external-config';
import { httpsJson } from './https-json';

const PROBE_TIMEOUT_MS = 10_000;

export interface ExternalVaultEndpoint extends ServerInfo {
  readonly address: string;
  readonly caPem?: string;
  readonly caCertFile?: string;
  readonly token: string;
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
  readonly keys: AwsKeys;
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
async function vaultRequest(vault: ExternalVaultConfig, path: string, token?: string): Promise<VaultAnswer> {
  const url = `${vault.address}/v1/${path}`;
  const headers: Record<string, string> = token === undefined ? {} : { 'x-vault-token': token };
  if (vault.caPem !== undefined) return httpsJson(url, { ca: vault.caPem, headers, timeoutMs: PROBE_TIMEOUT_MS });
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
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

/** The KV version of the mount, as the reader may ask it (`sys/internal/ui/mounts/<mount>`); 2 when it cannot. */
async function mountVersion(vault: ExternalVaultConfig): Promise<1 | 2> {
  if (vault.kvEngineVersion) return vault.kvEngineVersion;
  const answer = await vaultRequest(vault, `sys/internal/ui/mounts/${vault.mount}`, vault.token);
  const options = record(record(record(answer.body).data).options);
  return options.version === '1' ? 1 : 2;
}

export async function probeExternalVault(vault: ExternalVaultConfig, maxRps: number): Promise<ExternalVaultEndpoint> {
  const version = await vaultVersion(vault);
  const identity = await tokenIdentity(vault, vault.token, 'ASC_EXTERNAL_VAULT_TOKEN');
  const adminIdentity = vault.adminToken ? await tokenIdentity(vault, vault.adminToken, 'ASC_EXTERNAL_VAULT_ADMIN_TOKEN') : undefined;
  return {
    provisioning: 'external',
    version,
    identity,
    address: vault.address,
    token: vault.token,
    mount: vault.mount,
    prefix: vault.prefix,
    kvEngineVersion: await mountVersion(vault),
    maxRps,
    ...(vault.caPem !== undefined ? { caPem: vault.caPem } : {}),
    ...(vault.caCertFile !== undefined ? { caCertFile: vault.caCertFile } : {}),
    ...(vault.adminToken ? { adminToken: vault.adminToken } : {}),
    ...(adminIdentity ? { adminIdentity } : {}),
  };
}

/** What a refused or failed GetCallerIdentity means, without the SDK's request (which holds the keys). */
function awsProbeError(error: unknown, aws: ExternalAwsConfig, variable: string): SecretsError {
  if (isSecretsError(error)) return error;
  const name = error instanceof Error ? error.name : 'Error';
  const where = aws.endpointUrl ?? `AWS ${aws.region}`;
  if (/InvalidClientTokenId|SignatureDoesNotMatch|UnrecognizedClient|ExpiredToken|AccessDenied|InvalidAccessKeyId|Unauthorized/i.test(name)) {
    return new UnauthorizedError(`AWS refused ${variable} (${name} on sts:GetCallerIdentity)`, {
      where,
      hint: `check ${variable} and its secret key (and the session token, if the keys are temporary)`,
    });
  }
  const code = (error as { code?: string }).code ?? name;
  return new UnavailableError(`AWS at ${where} does not answer sts:GetCallerIdentity (${code})`, {
    where: 'ASC_EXTERNAL_AWS_ENDPOINT / ASC_EXTERNAL_AWS_REGION',
    hint: 'check the endpoint, the region and that this machine can reach it',
  });
}

async function callerArn(aws: ExternalAwsConfig, keys: AwsKeys, variable: string): Promise<string> {
  const client = new STSClient({
    region: aws.region,
    credentials: keys,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: PROBE_TIMEOUT_MS, requestTimeout: PROBE_TIMEOUT_MS },
    ...(aws.endpointUrl ? { endpoint: aws.endpointUrl } : {}),
  });
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
  const identity = await callerArn(aws, aws.keys, 'ASC_EXTERNAL_AWS_ACCESS_KEY_ID');
  const adminIdentity = aws.adminKeys ? await callerArn(aws, aws.adminKeys, 'ASC_EXTERNAL_AWS_ADMIN_ACCESS_KEY_ID') : undefined;
  return {
    provisioning: 'external',
    // AWS reports no server version: the endpoint and region are what identify it.
    version: `AWS API, region ${aws.region}${aws.endpointUrl ? `, endpoint ${aws.endpointUrl}` : ''}`,
    identity,
    address: aws.endpointUrl ?? `https://secretsmanager.${aws.region}.amazonaws.com`,
    region: aws.region,
    keys: aws.keys,
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
