/**
 * The AWS targets' auth scenarios, on moto-iam (the moto that checks signatures and IAM policies):
 * keys it never issued, and a user whose policy refuses the read of what the session seeded.
 */
import { randomBytes } from 'node:crypto';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { requireEndpoint } from '../../containers/contract';
import { motoIamServer, type MotoEndpoint, type MotoIamEndpoint } from '../../containers/moto';
import type { AuthScenario, AuthScenarios, TargetEnvironment } from '../../suites/target';
import type { SecretsBackend } from '../../model/contract';
import { UnavailableError } from '../../model/errors';
import type { AwsFixtures } from './fixtures';
import type { AwsService } from './layout';
import { runHash, storeFor } from './stores';

type Service = AwsService;

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
      throw new UnavailableError(`moto-iam refused IAM ${action}: ${code}`, {
        where: this.endpoint.endpoint,
        hint: 'read the moto-iam log in the run report',
        cause: error,
      });
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

export class AwsAuth implements AuthScenarios {
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
    const canary = this.environment.canary;
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
    await admin.run('PutUserPolicy', (client, options) =>
      client.send(new PutUserPolicyCommand({ UserName: userName, PolicyName: 'deny-seeded-reads', PolicyDocument: JSON.stringify(policy) }), options),
    );
    this.cleanups.push(async () => {
      await admin.run('DeleteUserPolicy', (client, options) =>
        client.send(new DeleteUserPolicyCommand({ UserName: userName, PolicyName: 'deny-seeded-reads' }), options),
      );
    });
    const created = await admin.run('CreateAccessKey', (client, options) => client.send(new CreateAccessKeyCommand({ UserName: userName }), options));
    const keys = { accessKeyId: created.AccessKey?.AccessKeyId ?? '', secretAccessKey: created.AccessKey?.SecretAccessKey ?? '' };
    if (!keys.accessKeyId || !keys.secretAccessKey) {
      throw new UnavailableError('moto-iam CreateAccessKey answered without a key pair', {
        where: endpoint.endpoint,
        hint: 'check the moto version (5.2.x expected)',
      });
    }
    this.cleanups.push(async () => {
      await admin.run('DeleteAccessKey', (client, options) =>
        client.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: keys.accessKeyId }), options),
      );
    });
    return this.scenario(endpoint, keys);
  }

  /** Undoes the scenarios' setup, newest first; keeps going past a failure and reports the first. */
  async cleanUp(): Promise<void> {
    const failures: unknown[] = [];
    while (this.cleanups.length > 0)
      await this.cleanups
        .pop()?.()
        .catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  }

  private motoIam(): MotoIamEndpoint {
    return requireEndpoint(this.environment.servers, motoIamServer, 'the AWS auth scenarios');
  }
}
