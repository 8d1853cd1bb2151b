/**
 * Secrets Manager and Parameter Store as the fixture side sees them (put, remove, list under a
 * root, the service's own versions), through the AWS SDK with the server's admin keys.
 */
import { createHash } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { DeleteParameterCommand, GetParameterCommand, GetParametersByPathCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { MotoEndpoint } from '../../containers/moto';
import { ConfigurationError, UnavailableError } from '../../model/errors';
import type { RequestGate } from '../../model/request-gate';
import { gateRequests } from './aws-sdk-client';
import type { AwsService } from './layout';

type Service = AwsService;

/** Bounds on listing a run's secrets: 100 pages of up to 100 (SM) or 10 (SSM) names. */
const MAX_LIST_PAGES = 100;
/** Secrets Manager holds at most 64 KiB in a SecretString (moto 5.2.5 does not check). */
const SECRET_STRING_MAX_BYTES = 65_536;
/** Parameter Store: 4 KB in the Standard tier, 8 KB in Advanced (moto 5.2.5 checks neither). */
const STANDARD_TIER_MAX_BYTES = 4_096;
const ADVANCED_TIER_MAX_BYTES = 8_192;

export function runHash(runId: string): string {
  return createHash('sha256').update(runId).digest('hex').slice(0, 10);
}

/** The name prefix this run owns in a service. */
export function runRoot(service: Service, runId: string): string {
  return service === 'ssm' ? `/asc/${runHash(runId)}` : `asc/${runHash(runId)}`;
}

export function fixtureError(message: string, target: string, hint: string): ConfigurationError {
  return new ConfigurationError(message, { what: 'fixture', where: `${target} target`, hint });
}

export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

/** Where the fixture side sends requests, with whose keys; `endpoint: ''` is the SDK's default (real AWS). */
export type StoreEndpoint = Pick<MotoEndpoint, 'endpoint' | 'region' | 'version' | 'accessKeyId' | 'secretAccessKey'> & {
  readonly sessionToken?: string;
};

export function sdkConfig(endpoint: StoreEndpoint, keys: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = endpoint) {
  return {
    ...(endpoint.endpoint === '' ? {} : { endpoint: endpoint.endpoint }),
    region: endpoint.region,
    credentials: {
      accessKeyId: keys.accessKeyId,
      secretAccessKey: keys.secretAccessKey,
      ...(keys.sessionToken === undefined ? {} : { sessionToken: keys.sessionToken }),
    },
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 30_000, throwOnRequestTimeout: true },
  };
}

// ---------------------------------------------------------------------------------------------
// The two services as fixture stores see them: put, remove, list under a root.

export interface ServiceStore {
  readonly service: Service;
  put(name: string, value: string): Promise<void>;
  putBinary?(name: string, value: Uint8Array): Promise<void>;
  remove(name: string): Promise<void>;
  namesUnder(root: string): Promise<string[]>;
  /** The service's own versions of a name (Secrets Manager staging labels, SSM parameter versions). */
  readonly versions: NamedVersions;
  close(): void;
}

/** `VariableVersions` by store name rather than Airflow id. */
interface NamedVersions {
  readonly scheme: string;
  current(name: string): Promise<string | null>;
  previous(name: string): Promise<string | null>;
  rollBack(name: string): Promise<void>;
  stageAndPromote?(name: string, value: string): Promise<void>;
  readonly unqualifiedReadIgnoresStageMoves?: string;
}

/**
 * moto 5.2.x keeps answering a GetSecretValue without VersionStage from the version that was
 * current before an UpdateSecretVersionStage (it never moves its default version); AWS answers
 * AWSCURRENT. Seen on moto 5.2.1 here; written down in /work/shared/research/servers.md.
 */
function stageMoveDivergence(endpoint: StoreEndpoint): string | undefined {
  return /^5\.2\./.test(endpoint.version)
    ? `moto ${endpoint.version} answers GetSecretValue without VersionStage from the version current before UpdateSecretVersionStage (AWS answers AWSCURRENT); see research/servers.md, "Fidelity notes"`
    : undefined;
}

class SecretsManagerStore implements ServiceStore {
  readonly service = 'secretsmanager';
  private readonly client: SecretsManagerClient;
  readonly versions: NamedVersions;

  constructor(endpoint: StoreEndpoint, gate?: RequestGate) {
    this.client = gateRequests(new SecretsManagerClient(sdkConfig(endpoint)), gate);
    const divergence = stageMoveDivergence(endpoint);
    this.versions = {
      scheme: 'staging label',
      current: (name) => this.valueAt(name, 'AWSCURRENT'),
      previous: (name) => this.valueAt(name, 'AWSPREVIOUS'),
      rollBack: async (name) => {
        const stages = await this.stages(name);
        if (stages.previous === undefined) throw fixtureError(`"${name}" has no AWSPREVIOUS version`, 'aws-sm', 'write the secret twice first');
        await this.moveCurrent(name, stages.previous, stages.current);
      },
      stageAndPromote: async (name, value) => {
        const staged = await this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value, VersionStages: ['AWSPENDING'] }));
        if (!staged.VersionId)
          throw new UnavailableError(`PutSecretValue of "${name}" answered without a VersionId`, {
            where: 'aws-sm target',
            hint: 'check the moto version',
          });
        await this.moveCurrent(name, staged.VersionId, (await this.stages(name)).current);
      },
      ...(divergence ? { unqualifiedReadIgnoresStageMoves: divergence } : {}),
    };
  }

  private async valueAt(name: string, stage: 'AWSCURRENT' | 'AWSPREVIOUS'): Promise<string | null> {
    try {
      return (await this.client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: stage }))).SecretString ?? null;
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return null;
      throw error;
    }
  }

  private async stages(name: string): Promise<{ current: string | undefined; previous: string | undefined }> {
    const described = await this.client.send(new DescribeSecretCommand({ SecretId: name }));
    const entries = Object.entries(described.VersionIdsToStages ?? {});
    return {
      current: entries.find(([, stages]) => stages.includes('AWSCURRENT'))?.[0],
      previous: entries.find(([, stages]) => stages.includes('AWSPREVIOUS'))?.[0],
    };
  }

  /** The way AWS rolls a secret back or forward: AWSCURRENT moved, the old holder losing it. */
  private async moveCurrent(name: string, to: string, from: string | undefined): Promise<void> {
    await this.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: to,
        ...(from ? { RemoveFromVersionId: from } : {}),
      }),
    );
  }

  async put(name: string, value: string): Promise<void> {
    // moto stores no version for "" (GetSecretValue then answers ResourceNotFoundException).
    if (value === '') throw fixtureError(`cannot store an empty SecretString under "${name}"`, 'aws-sm', 'declare empty-values missing instead');
    if (Buffer.byteLength(value) > SECRET_STRING_MAX_BYTES) {
      throw fixtureError(`a SecretString holds at most ${SECRET_STRING_MAX_BYTES} bytes ("${name}")`, 'aws-sm', 'store a smaller value');
    }
    await this.createOrUpdate(name, { SecretString: value });
  }

  async putBinary(name: string, value: Uint8Array): Promise<void> {
    await this.createOrUpdate(name, { SecretBinary: value });
  }

  async remove(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
    } catch (error) {
      if (errorName(error) !== 'ResourceNotFoundException') throw error;
    }
  }

  async namesUnder(root: string): Promise<string[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page += 1) {
      const response = await this.client.send(
        new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [`${root}/`] }], MaxResults: 100, NextToken: nextToken }),
      );
      // AWS's name filter is a case-insensitive prefix match (moto's is case-sensitive): keep exact prefixes only.
      for (const secret of response.SecretList ?? []) if (secret.Name?.startsWith(`${root}/`)) names.push(secret.Name);
      nextToken = response.NextToken;
      if (!nextToken) return names;
    }
    throw new UnavailableError(`listing the secrets under "${root}" did not end within ${MAX_LIST_PAGES} pages`, {
      where: 'aws-sm target',
      hint: 'remove the left-over secrets of earlier runs',
    });
  }

  close(): void {
    this.client.destroy();
  }

  private async createOrUpdate(name: string, value: { SecretString: string } | { SecretBinary: Uint8Array }): Promise<void> {
    try {
      await this.client.send(new CreateSecretCommand({ Name: name, ...value }));
    } catch (error) {
      if (errorName(error) !== 'ResourceExistsException') throw error;
      await this.client.send(new PutSecretValueCommand({ SecretId: name, ...value }));
    }
  }
}

class ParameterStoreStore implements ServiceStore {
  readonly service = 'ssm';
  private readonly client: SSMClient;
  /** Every overwrite is a new parameter version; `name:n` reads version n. */
  readonly versions: NamedVersions = {
    scheme: 'parameter version',
    current: async (name) => (await this.read(name))?.Value ?? null,
    previous: async (name) => {
      const latest = (await this.read(name))?.Version ?? 0;
      return latest > 1 ? ((await this.read(`${name}:${latest - 1}`))?.Value ?? null) : null;
    },
    // GetParameter without a selector always answers the latest version: a rollback writes the old value again.
    rollBack: async (name) => {
      const previous = await this.versions.previous(name);
      if (previous === null) throw fixtureError(`"${name}" has no earlier version`, 'aws-ssm', 'write the parameter twice first');
      await this.put(name, previous);
    },
  };

  constructor(endpoint: StoreEndpoint, gate?: RequestGate) {
    this.client = gateRequests(new SSMClient(sdkConfig(endpoint)), gate);
  }

  private async read(selector: string): Promise<{ Value?: string; Version?: number } | undefined> {
    try {
      return (await this.client.send(new GetParameterCommand({ Name: selector, WithDecryption: true }))).Parameter;
    } catch (error) {
      if (errorName(error) === 'ParameterNotFound' || errorName(error) === 'ParameterVersionNotFound') return undefined;
      throw error;
    }
  }

  /**
   * SecureString, the type meant for secrets: the provider always asks WithDecryption=True, so a
   * SecureString exercises the decrypting read. Above 4 KB the Advanced tier, as on AWS.
   */
  async put(name: string, value: string): Promise<void> {
    const bytes = Buffer.byteLength(value);
    if (bytes === 0) throw fixtureError(`a parameter value cannot be empty ("${name}")`, 'aws-ssm', 'declare empty-values missing instead');
    if (bytes > ADVANCED_TIER_MAX_BYTES) {
      throw fixtureError(
        `a parameter value holds at most ${ADVANCED_TIER_MAX_BYTES} bytes ("${name}" would hold ${bytes})`,
        'aws-ssm',
        'declare large-values missing instead',
      );
    }
    const tier = bytes > STANDARD_TIER_MAX_BYTES ? 'Advanced' : 'Standard';
    await this.client.send(new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString', Overwrite: true, Tier: tier }));
  }

  async remove(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteParameterCommand({ Name: name }));
    } catch (error) {
      if (errorName(error) !== 'ParameterNotFound') throw error;
    }
  }

  async namesUnder(root: string): Promise<string[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page += 1) {
      const response = await this.client.send(new GetParametersByPathCommand({ Path: root, Recursive: true, MaxResults: 10, NextToken: nextToken }));
      for (const parameter of response.Parameters ?? []) if (parameter.Name) names.push(parameter.Name);
      nextToken = response.NextToken;
      if (!nextToken) return names;
    }
    throw new UnavailableError(`listing the parameters under "${root}" did not end within ${MAX_LIST_PAGES} pages`, {
      where: 'aws-ssm target',
      hint: 'remove the left-over parameters of earlier runs',
    });
  }

  close(): void {
    this.client.destroy();
  }
}

/** `gate`: a cap on the request rate, for a server the harness does not own. */
export function storeFor(service: Service, endpoint: StoreEndpoint, gate?: RequestGate): ServiceStore {
  return service === 'ssm' ? new ParameterStoreStore(endpoint, gate) : new SecretsManagerStore(endpoint, gate);
}
