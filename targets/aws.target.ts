/**
 * The `aws` family: Airflow's SecretsManagerBackend (`aws-sm`) and SystemsManagerParameterStoreBackend
 * (`aws-ssm`) against moto, read through `endpoint_url` with the endpoint's region and keys.
 *
 * A run writes only under its own root (`asc/<hash of runId>` in Secrets Manager,
 * `/asc/<hash of runId>` in Parameter Store), handed to the backend as its three prefixes. A
 * session deletes what it wrote when it closes. The auth scenarios run against `moto-iam`, the
 * moto that checks signatures and IAM policies.
 */
import { createHash, randomBytes } from 'node:crypto';
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
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { awsLookupBudget } from '../backends/aws-client';
import { SecretsManagerBackend } from '../backends/aws-secrets-manager';
import { SystemsManagerParameterStoreBackend } from '../backends/aws-systems-manager';
import type { SecretsBackend } from '../backends/contract';
import { ConfigurationError, UnavailableError } from '../backends/errors';
import type { MotoEndpoint, MotoIamEndpoint } from '../containers/contract';
import { runCanary } from '../suites/case-context';
import type {
  AuthScenario,
  AuthScenarios,
  Capability,
  ConnectionFixture,
  FixtureStore,
  StoreNames,
  TargetDefinition,
  TargetEnvironment,
  TargetSession,
} from './target';
import { referenceDescription, type ObservedRequest, type TargetNetwork, type VariableVersions } from './target';

type Service = 'secretsmanager' | 'ssm';
type Kind = 'connections' | 'variables' | 'config';

/** Bounds on listing a run's secrets: 100 pages of up to 100 (SM) or 10 (SSM) names. */
const MAX_LIST_PAGES = 100;
/** Secrets Manager holds at most 64 KiB in a SecretString (moto 5.2.5 does not check). */
const SECRET_STRING_MAX_BYTES = 65_536;
/** Parameter Store: 4 KB in the Standard tier, 8 KB in Advanced (moto 5.2.5 checks neither). */
const STANDARD_TIER_MAX_BYTES = 4_096;
const ADVANCED_TIER_MAX_BYTES = 8_192;

function runHash(runId: string): string {
  return createHash('sha256').update(runId).digest('hex').slice(0, 10);
}

/** The name prefix this run owns in a service. */
export function runRoot(service: Service, runId: string): string {
  return service === 'ssm' ? `/asc/${runHash(runId)}` : `asc/${runHash(runId)}`;
}

function fixtureError(message: string, target: string, hint: string): ConfigurationError {
  return new ConfigurationError(message, { what: 'fixture', where: `${target} target`, hint });
}

function connectionText(fixture: ConnectionFixture): string {
  if ('uri' in fixture) return fixture.uri;
  if ('raw' in fixture) return fixture.raw;
  // Stored as JSON text, which get_connection reads with from_json (after re-keying, in SM).
  return JSON.stringify(fixture.fields);
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

function sdkConfig(endpoint: MotoEndpoint, keys: { accessKeyId: string; secretAccessKey: string } = endpoint) {
  return {
    endpoint: endpoint.endpoint,
    region: endpoint.region,
    credentials: { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey },
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 30_000, throwOnRequestTimeout: true },
  };
}

// ---------------------------------------------------------------------------------------------
// The two services as fixture stores see them: put, remove, list under a root.

interface ServiceStore {
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
function stageMoveDivergence(endpoint: MotoEndpoint): string | undefined {
  return /^5\.2\./.test(endpoint.version)
    ? `moto ${endpoint.version} answers GetSecretValue without VersionStage from the version current before UpdateSecretVersionStage (AWS answers AWSCURRENT); see research/servers.md, "Fidelity notes"`
    : undefined;
}

class SecretsManagerStore implements ServiceStore {
  readonly service = 'secretsmanager';
  private readonly client: SecretsManagerClient;
  readonly versions: NamedVersions;

  constructor(endpoint: MotoEndpoint) {
    this.client = new SecretsManagerClient(sdkConfig(endpoint));
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
        if (!staged.VersionId) throw new UnavailableError(`PutSecretValue of "${name}" answered without a VersionId`, { where: 'aws-sm target', hint: 'check the moto version' });
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
      new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSCURRENT', MoveToVersionId: to, ...(from ? { RemoveFromVersionId: from } : {}) }),
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

  constructor(endpoint: MotoEndpoint) {
    this.client = new SSMClient(sdkConfig(endpoint));
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
      throw fixtureError(`a parameter value holds at most ${ADVANCED_TIER_MAX_BYTES} bytes ("${name}" would hold ${bytes})`, 'aws-ssm', 'declare large-values missing instead');
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

function storeFor(service: Service, endpoint: MotoEndpoint): ServiceStore {
  return service === 'ssm' ? new ParameterStoreStore(endpoint) : new SecretsManagerStore(endpoint);
}

// ---------------------------------------------------------------------------------------------
// Fixtures: Airflow ids to the names the provider reads by default, under the run's root.

class AwsFixtures implements FixtureStore {
  /** What this session wrote, by name, so it can be removed and copied to moto-iam. */
  private readonly written = new Map<string, string>();
  readonly storeNames: StoreNames;

  constructor(
    private readonly store: ServiceStore,
    readonly root: string,
    private readonly targetName: string,
  ) {
    const owned = (name: string) => {
      if (!name.startsWith(`${root}/`)) {
        throw fixtureError(`"${name}" is outside this run's root "${root}"`, targetName, `start the name with ${root}/`);
      }
    };
    this.storeNames = {
      root,
      put: async (name, value) => {
        owned(name);
        await this.write(name, value);
      },
      ...(store.putBinary
        ? {
            putBinary: async (name: string, value: Uint8Array) => {
              owned(name);
              this.written.set(name, '');
              await store.putBinary?.(name, value);
            },
          }
        : {}),
    };
  }

  nameOf(kind: Kind, id: string): string {
    return `${this.root}/${kind}/${id}`;
  }

  get versions(): VariableVersions {
    const named = this.store.versions;
    const name = (key: string) => this.nameOf('variables', key);
    return {
      scheme: named.scheme,
      current: (key) => named.current(name(key)),
      previous: (key) => named.previous(name(key)),
      rollBack: (key) => named.rollBack(name(key)),
      ...(named.stageAndPromote
        ? {
            stageAndPromote: async (key: string, value: string) => {
              this.written.set(name(key), value);
              await named.stageAndPromote?.(name(key), value);
            },
          }
        : {}),
      ...(named.unqualifiedReadIgnoresStageMoves ? { unqualifiedReadIgnoresStageMoves: named.unqualifiedReadIgnoresStageMoves } : {}),
    };
  }

  /** The value this session wrote for an id, if any. */
  valueOf(kind: Kind, id: string): string | undefined {
    return this.written.get(this.nameOf(kind, id));
  }

  async putConnection(connId: string, fixture: ConnectionFixture): Promise<void> {
    await this.write(this.nameOf('connections', connId), connectionText(fixture));
  }

  async putVariable(key: string, value: string): Promise<void> {
    await this.write(this.nameOf('variables', key), value);
  }

  async putConfig(key: string, value: string): Promise<void> {
    await this.write(this.nameOf('config', key), value);
  }

  async deleteConnection(connId: string): Promise<void> {
    await this.remove(this.nameOf('connections', connId));
  }

  async deleteVariable(key: string): Promise<void> {
    await this.remove(this.nameOf('variables', key));
  }

  /** Removes everything written; keeps going past a failure and reports the first. */
  async removeAll(): Promise<void> {
    const failures: unknown[] = [];
    for (const name of [...this.written.keys()]) await this.remove(name).catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  }

  private async write(name: string, value: string): Promise<void> {
    // Recorded first: a write that fails halfway may still have created the secret.
    this.written.set(name, value);
    await this.store.put(name, value);
  }

  private async remove(name: string): Promise<void> {
    await this.store.remove(name);
    this.written.delete(name);
  }
}

// ---------------------------------------------------------------------------------------------
// IAM on moto-iam, with the admin keys its endpoint carries.

/** The IAM calls the denied-read scenario makes; a refusal is UnavailableError naming the call. */
class IamAdmin {
  private readonly client: IAMClient;

  constructor(private readonly endpoint: MotoIamEndpoint) {
    this.client = new IAMClient({
      endpoint: endpoint.endpoint,
      region: endpoint.region,
      credentials: { accessKeyId: endpoint.accessKeyId, secretAccessKey: endpoint.secretAccessKey },
      maxAttempts: 1,
    });
  }

  async run<T>(action: string, call: (client: IAMClient, options: { abortSignal: AbortSignal }) => Promise<T>): Promise<T> {
    try {
      return await call(this.client, { abortSignal: AbortSignal.timeout(10_000) });
    } catch (error) {
      const code = error instanceof Error ? error.name : 'no error code';
      throw new UnavailableError(`moto-iam refused IAM ${action}: ${code}`, { where: this.endpoint.endpoint, hint: 'read the moto-iam log in the run report', cause: error });
    }
  }

  close(): void {
    this.client.destroy();
  }
}

/**
 * ARNs of the names a denied user may not read. A secret's ARN ends in `-` and six random
 * characters; AWS's own `-??????` wildcard makes moto 5.2.5 fail with HTTP 500 (it reads a policy
 * pattern as a regular expression, where `??` is an error), so `-*` it is.
 */
function arnOf(service: Service, endpoint: MotoIamEndpoint, name: string): string {
  return service === 'ssm'
    ? `arn:aws:ssm:${endpoint.region}:${endpoint.accountId}:parameter${name}`
    : `arn:aws:secretsmanager:${endpoint.region}:${endpoint.accountId}:secret:${name}-*`;
}

const READ_ACTION: Readonly<Record<Service, string>> = { secretsmanager: 'secretsmanager:GetSecretValue', ssm: 'ssm:GetParameter' };
const METADATA_ACTIONS: Readonly<Record<Service, string[]>> = {
  secretsmanager: ['secretsmanager:DescribeSecret', 'secretsmanager:ListSecrets'],
  ssm: ['ssm:DescribeParameters'],
};

class AwsAuth implements AuthScenarios {
  private readonly cleanups: Array<() => Promise<void>> = [];

  constructor(
    private readonly service: Service,
    private readonly environment: TargetEnvironment,
    private readonly fixtures: AwsFixtures,
    private readonly kwargsFor: (endpoint: MotoEndpoint, keys: { accessKeyId: string; secretAccessKey: string }) => Record<string, unknown>,
    private readonly make: (kwargs: Record<string, unknown>) => SecretsBackend,
  ) {}

  private scenario(endpoint: MotoEndpoint, keys: { accessKeyId: string; secretAccessKey: string }): AuthScenario {
    const kwargs = this.kwargsFor(endpoint, keys);
    return { backend: this.make(kwargs), kwargs, credentials: [keys.accessKeyId, keys.secretAccessKey] };
  }

  /** Keys moto-iam never issued, carrying the run canary so a leak shows in the canary scan. */
  async wrongCredentials(): Promise<AuthScenario> {
    const canary = runCanary();
    const keys = { accessKeyId: `ASCWRONG${canary}`, secretAccessKey: `${randomBytes(12).toString('hex')}${canary}` };
    return this.scenario(this.motoIam(), keys);
  }

  /**
   * Seeds the ids in moto-iam (the session's own values where it has seeded them), then makes a
   * user whose policy allows metadata reads and denies the read action on those names.
   *
   * moto 5.2.5 checks Secrets Manager and SSM actions against resource "*" only, so a Deny naming
   * the secrets' ARNs never matches there; the read is refused because nothing allows it. On AWS
   * the explicit Deny refuses it. Either way the answer is AccessDenied.
   */
  async deniedRead(ids: { connId: string; key: string }): Promise<AuthScenario> {
    const endpoint = this.motoIam();
    const store = storeFor(this.service, endpoint);
    this.cleanups.push(async () => store.close());
    const seeded = [
      { name: this.fixtures.nameOf('connections', ids.connId), value: this.fixtures.valueOf('connections', ids.connId) },
      { name: this.fixtures.nameOf('variables', ids.key), value: this.fixtures.valueOf('variables', ids.key) },
    ];
    for (const { name, value } of seeded) {
      this.cleanups.push(() => store.remove(name));
      await store.put(name, value || `postgres://seeded:${randomBytes(8).toString('hex')}@db.example/x`);
    }
    const admin = new IamAdmin(endpoint);
    this.cleanups.push(async () => admin.close());
    const userName = `asc-${runHash(this.environment.runId)}-denied-${randomBytes(4).toString('hex')}`;
    await admin.run('CreateUser', (client, options) => client.send(new CreateUserCommand({ UserName: userName }), options));
    this.cleanups.push(async () => {
      await admin.run('DeleteUser', (client, options) => client.send(new DeleteUserCommand({ UserName: userName }), options));
    });
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: METADATA_ACTIONS[this.service], Resource: '*' },
        { Effect: 'Deny', Action: READ_ACTION[this.service], Resource: seeded.map(({ name }) => arnOf(this.service, endpoint, name)) },
      ],
    };
    await admin.run('PutUserPolicy', (client, options) => client.send(new PutUserPolicyCommand({ UserName: userName, PolicyName: 'deny-seeded-reads', PolicyDocument: JSON.stringify(policy) }), options));
    this.cleanups.push(async () => {
      await admin.run('DeleteUserPolicy', (client, options) => client.send(new DeleteUserPolicyCommand({ UserName: userName, PolicyName: 'deny-seeded-reads' }), options));
    });
    const created = await admin.run('CreateAccessKey', (client, options) => client.send(new CreateAccessKeyCommand({ UserName: userName }), options));
    const keys = { accessKeyId: created.AccessKey?.AccessKeyId ?? '', secretAccessKey: created.AccessKey?.SecretAccessKey ?? '' };
    if (!keys.accessKeyId || !keys.secretAccessKey) {
      throw new UnavailableError('moto-iam CreateAccessKey answered without a key pair', { where: endpoint.endpoint, hint: 'check the moto version (5.2.x expected)' });
    }
    this.cleanups.push(async () => {
      await admin.run('DeleteAccessKey', (client, options) => client.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: keys.accessKeyId }), options));
    });
    return this.scenario(endpoint, keys);
  }

  /** Undoes the scenarios' setup, newest first; keeps going past a failure and reports the first. */
  async cleanUp(): Promise<void> {
    const failures: unknown[] = [];
    while (this.cleanups.length > 0) await this.cleanups.pop()?.().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  }

  private motoIam(): MotoIamEndpoint {
    return requireServer(this.environment, 'moto-iam') as MotoIamEndpoint;
  }
}

// ---------------------------------------------------------------------------------------------
// The targets.

function requireServer(environment: TargetEnvironment, name: 'moto' | 'moto-iam'): MotoEndpoint {
  const endpoint = environment.servers[name];
  if (!endpoint) {
    throw new ConfigurationError(`the ${name} server is not running in this run`, {
      what: 'servers',
      where: 'aws targets',
      hint: `start it with startServers(['${name}'], ...) or run through npm test`,
    });
  }
  return endpoint;
}

interface AwsTargetSpec {
  readonly name: string;
  readonly service: Service;
  readonly summary: string;
  readonly backendKind: string;
  readonly capabilities: readonly Capability[];
  readonly missing: Partial<Record<Capability, string>>;
  readonly build: (kwargs: Record<string, unknown>) => SecretsBackend;
}

/** The JSON protocol names the operation in a header: a read is GetSecretValue or GetParameter. */
function awsRequestKind(request: ObservedRequest): 'auth' | 'read' | 'other' {
  const operation = request.headers['x-amz-target'] ?? '';
  return /^(secretsmanager\.GetSecretValue|AmazonSSM\.GetParameter)$/.test(operation) ? 'read' : 'other';
}

function awsNetwork(backendKind: string): TargetNetwork {
  return {
    server: 'moto',
    addressKwargs: (address) => ({ endpoint_url: `http://${address}` }),
    // botocore's Config, in seconds.
    timeoutKwargs: (seconds) => ({ config_kwargs: { connect_timeout: seconds, read_timeout: seconds } }),
    lookupBudget: (kwargs) => awsLookupBudget(kwargs, backendKind),
    requestKind: awsRequestKind,
  };
}

/** Which AWS service a target's store is; targets built on an AWS target (Airflow's, bridged) keep it. */
export function awsServiceOf(target: TargetDefinition): Service | null {
  return (target as { aws?: { service: Service } }).aws?.service ?? null;
}

function awsTarget(spec: AwsTargetSpec): TargetDefinition & { readonly aws: { service: Service } } {
  const defaults = (endpoint: MotoEndpoint, keys: { accessKeyId: string; secretAccessKey: string }, root: string) => ({
    connections_prefix: `${root}/connections`,
    variables_prefix: `${root}/variables`,
    config_prefix: `${root}/config`,
    endpoint_url: endpoint.endpoint,
    region_name: endpoint.region,
    aws_access_key_id: keys.accessKeyId,
    aws_secret_access_key: keys.secretAccessKey,
  });
  return {
    name: spec.name,
    family: 'aws',
    summary: spec.summary,
    backendKind: spec.backendKind,
    capabilities: spec.capabilities,
    missingCapabilityReasons: spec.missing,
    servers: ['moto', 'moto-iam', 'toxiproxy'],
    aws: { service: spec.service },
    network: awsNetwork(spec.backendKind),
    parser: 'sdk',
    describe: (environment) => {
      const moto = environment.servers.moto;
      const kwargs = moto ? defaults(moto, moto, runRoot(spec.service, environment.runId)) : {};
      return referenceDescription(spec.backendKind, { kwargs, notes: ['rules of apache-airflow-providers-amazon 9.39.0'] });
    },
    async open(environment): Promise<TargetSession> {
      const moto = requireServer(environment, 'moto');
      const root = runRoot(spec.service, environment.runId);
      const store = storeFor(spec.service, moto);
      const fixtures = new AwsFixtures(store, root, spec.name);
      const made: SecretsBackend[] = [];
      const make = (kwargs: Record<string, unknown>) => {
        const backend = spec.build(kwargs);
        made.push(backend);
        return backend;
      };
      const auth = new AwsAuth(spec.service, environment, fixtures, (endpoint, keys) => defaults(endpoint, keys, root), make);
      const sessionKwargs = defaults(moto, moto, root);
      return {
        fixtures,
        auth,
        kwargs: sessionKwargs,
        backend: (kwargs = {}) => make({ ...sessionKwargs, ...kwargs }),
        async close() {
          const outcomes = await Promise.allSettled([fixtures.removeAll(), auth.cleanUp(), ...made.map(async (backend) => backend.close?.())]);
          store.close();
          const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
          if (failed) throw failed.reason;
        },
      };
    },
    async residue(environment) {
      const root = runRoot(spec.service, environment.runId);
      let count = 0;
      for (const name of ['moto', 'moto-iam'] as const) {
        const endpoint = environment.servers[name];
        if (!endpoint) continue;
        const store = storeFor(spec.service, endpoint);
        try {
          count += (await store.namesUnder(root)).length;
        } finally {
          store.close();
        }
      }
      return count;
    },
  };
}

const COMMON_CAPABILITIES: readonly Capability[] = [
  'connections',
  'conn-value',
  'variables',
  'config',
  'multiline-values',
  'mutable',
  'auth-wrong-credentials',
  'auth-policy',
  'residue',
  'aws-naming',
  'network-faults',
  'versions',
];

const COMMON_MISSING: Partial<Record<Capability, string>> = {
  'field-connections': 'a secret or parameter holds text; structured connections are stored as JSON text',
  'env-var-names': 'the backend reads an AWS service, not environment variables',
  'raw-files': 'the backend reads no files',
  'auth-expired-credentials':
    'moto 5.2.5 records an STS session\'s Expiration but never checks it (moto/iam/access_control.py), and it accepts any request date: expiry cannot be shown for real',
};

export const awsSecretsManagerTarget = awsTarget({
  name: 'aws-sm',
  service: 'secretsmanager',
  summary: 'SecretsManagerBackend (amazon provider 9.39.0) on moto: secrets named <prefix>/<id>, JSON secrets re-keyed',
  backendKind: 'SecretsManagerBackend',
  capabilities: [...COMMON_CAPABILITIES, 'large-values', 'staged-rotation'],
  missing: {
    ...COMMON_MISSING,
    'json-connections':
      'JSON secrets are re-keyed before from_json (aliases such as user/engine, unknown keys dropped), so from_json\'s own rules do not all hold, e.g. an unknown key is no error; the aws-naming suite checks JSON secrets as the provider reads them',
    'empty-values': 'Secrets Manager keeps no value for an empty SecretString (moto 5.2.5 answers ResourceNotFoundException), so "" cannot be stored',
  },
  build: (kwargs) => new SecretsManagerBackend(kwargs),
});

export const awsParameterStoreTarget = awsTarget({
  name: 'aws-ssm',
  service: 'ssm',
  summary: 'SystemsManagerParameterStoreBackend (amazon provider 9.39.0) on moto: SecureString parameters /<prefix>/<id>',
  backendKind: 'SystemsManagerParameterStoreBackend',
  capabilities: [...COMMON_CAPABILITIES, 'json-connections'],
  missing: {
    ...COMMON_MISSING,
    'empty-values': 'PutParameter refuses an empty Value (length >= 1)',
    'staged-rotation': 'a parameter has no staging labels: PutParameter makes the new version the one GetParameter answers',
    'large-values':
      'a parameter holds at most 8 KB (Advanced tier; 4 KB Standard) and the 8 KB test value plus the run canary is larger; moto 5.2.5 enforces neither limit, so the case would pass on moto only',
  },
  build: (kwargs) => new SystemsManagerParameterStoreBackend(kwargs),
});

export const awsTargets: readonly TargetDefinition[] = [awsSecretsManagerTarget, awsParameterStoreTarget];
