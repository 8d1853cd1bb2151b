/**
 * Where the two AWS emulators differ from each other and from AWS's documented behaviour, as data:
 * each probe is a few real calls, run by test/aws-emulators.test.ts against moto (IAM unenforced and
 * enforced) and LocalStack, which checks that every emulator still answers as this table says. The
 * table in docs/container-path.md is rendered from it (`renderEmulatorTable`).
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { MotoEndpoint } from '../../containers/moto';

export type Emulator = 'moto' | 'moto-iam' | 'localstack';

export interface EmulatorProbe {
  readonly id: string;
  readonly question: string;
  /** What AWS documents, with where. */
  readonly aws: string;
  /** What each emulator answers: the probe's observation, exactly. */
  readonly observed: Readonly<Record<Emulator, string>>;
  /** The calls; `name` is unique to this probe and run. Returns the observation. */
  readonly run: (clients: ProbeClients, name: string) => Promise<string>;
}

export interface ProbeClients {
  readonly secrets: SecretsManagerClient;
  readonly ssm: SSMClient;
  /** The same endpoint, with an access key no account has. */
  readonly strangerSecrets: SecretsManagerClient;
}

export function probeClients(endpoint: MotoEndpoint): ProbeClients & { destroy(): void } {
  const config = { endpoint: endpoint.endpoint, region: endpoint.region, maxAttempts: 1 };
  const credentials = { accessKeyId: endpoint.accessKeyId, secretAccessKey: endpoint.secretAccessKey };
  const secrets = new SecretsManagerClient({ ...config, credentials });
  const ssm = new SSMClient({ ...config, credentials });
  const strangerSecrets = new SecretsManagerClient({
    ...config,
    credentials: { accessKeyId: 'AKIAASCNOSUCHKEY0001', secretAccessKey: 'no-such-secret-key' },
  });
  return {
    secrets,
    ssm,
    strangerSecrets,
    destroy() {
      secrets.destroy();
      ssm.destroy();
      strangerSecrets.destroy();
    },
  };
}

/** How a probe names a failed call: the SDK's error name (the AWS error code), or `error` for a throw that is no Error. */
function describeError(error: unknown): string {
  return error instanceof Error ? error.name : 'error';
}

/** The error's name, or `ok` when the call succeeded. */
async function outcome(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return 'ok';
  } catch (error) {
    return describeError(error);
  }
}

const value = async (clients: ProbeClients, name: string): Promise<string> =>
  (await clients.secrets.send(new GetSecretValueCommand({ SecretId: name }))).SecretString ?? '(none)';

export const EMULATOR_PROBES: readonly EmulatorProbe[] = [
  {
    id: 'missing-secret',
    question: 'GetSecretValue of a secret that does not exist',
    aws: 'ResourceNotFoundException (Secrets Manager API reference, GetSecretValue errors)',
    observed: { moto: 'ResourceNotFoundException', 'moto-iam': 'ResourceNotFoundException', localstack: 'ResourceNotFoundException' },
    run: (clients, name) => outcome(() => clients.secrets.send(new GetSecretValueCommand({ SecretId: `${name}/absent` }))),
  },
  {
    id: 'stage-move',
    question: 'UpdateSecretVersionStage moves AWSCURRENT back to the first version; GetSecretValue then serves',
    aws: 'the version that now has AWSCURRENT (GetSecretValue without VersionStage reads AWSCURRENT)',
    observed: { moto: 'the old version', 'moto-iam': 'the old version', localstack: 'the moved version' },
    async run(clients, name) {
      const first = await clients.secrets.send(new CreateSecretCommand({ Name: name, SecretString: 'first' }));
      const second = await clients.secrets.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'second' }));
      await clients.secrets.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: first.VersionId,
          RemoveFromVersionId: second.VersionId,
        }),
      );
      const stages = (await clients.secrets.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages ?? {};
      if (!stages[first.VersionId ?? '']?.includes('AWSCURRENT')) return 'the stage did not move';
      return (await value(clients, name)) === 'first' ? 'the moved version' : 'the old version';
    },
  },
  {
    id: 'rotate-without-lambda',
    question: 'RotateSecret on a secret with no rotation Lambda',
    aws: 'refused, InvalidRequestException: rotation needs a RotationLambdaARN (or managed rotation)',
    observed: {
      moto: 'ok, then GetSecretValue: ResourceNotFoundException',
      'moto-iam': 'ok, then GetSecretValue: ResourceNotFoundException',
      localstack: 'InvalidRequestException, then GetSecretValue: ok',
    },
    async run(clients, name) {
      await clients.secrets.send(new CreateSecretCommand({ Name: name, SecretString: 'before' }));
      const rotated = await outcome(() => clients.secrets.send(new RotateSecretCommand({ SecretId: name })));
      return `${rotated}, then GetSecretValue: ${await outcome(() => value(clients, name))}`;
    },
  },
  {
    id: 'deleted-secret',
    question: 'GetSecretValue of a secret scheduled for deletion',
    aws: 'InvalidRequestException "You can\'t perform this operation on the secret because it was marked for deletion."',
    observed: {
      moto: 'InvalidRequestException, other wording',
      'moto-iam': 'InvalidRequestException, other wording',
      localstack: "InvalidRequestException, AWS's wording",
    },
    async run(clients, name) {
      await clients.secrets.send(new CreateSecretCommand({ Name: name, SecretString: 'doomed' }));
      await clients.secrets.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
      try {
        await value(clients, name);
        return 'ok';
      } catch (error) {
        const message = error instanceof Error ? error.message : '';
        return `${describeError(error)}, ${message.includes('because it was marked for deletion') ? "AWS's wording" : 'other wording'}`;
      }
    },
  },
  {
    id: 'ssm-standard-size',
    question: 'PutParameter of a 5,000-character value in the Standard tier',
    aws: 'ValidationException: a Standard parameter holds at most 4 KB (Advanced, 8 KB)',
    observed: { moto: 'ok', 'moto-iam': 'ok', localstack: 'ok' },
    run: (clients, name) =>
      outcome(() =>
        clients.ssm.send(new PutParameterCommand({ Name: `/${name}`, Type: 'SecureString', Tier: 'Standard', Value: 'a'.repeat(5_000) })),
      ),
  },
  {
    id: 'unknown-access-key',
    question: 'ListSecrets signed with an access key no account has',
    aws: 'refused: UnrecognizedClientException (every request is authenticated, then authorised by IAM)',
    observed: { moto: 'ok', 'moto-iam': 'refused: HTTP 403, a body the JSON protocol cannot parse (SyntaxError)', localstack: 'ok' },
    async run(clients) {
      try {
        await clients.strangerSecrets.send(new ListSecretsCommand({ MaxResults: 1 }));
        return 'ok';
      } catch (error) {
        const name = describeError(error);
        const status =
          (error as { $metadata?: { httpStatusCode?: number }; $response?: { statusCode?: number } }).$metadata?.httpStatusCode ??
          (error as { $response?: { statusCode?: number } }).$response?.statusCode;
        return name === 'SyntaxError' ? `refused: HTTP ${status ?? '?'}, a body the JSON protocol cannot parse (SyntaxError)` : `refused: ${name}`;
      }
    },
  },
];

export function renderEmulatorTable(probes: readonly EmulatorProbe[] = EMULATOR_PROBES): string {
  const rows = probes.map((p) => `| ${p.question} | ${p.aws} | ${p.observed.moto} | ${p.observed['moto-iam']} | ${p.observed.localstack} |`);
  return ['| Probe | AWS (documented) | moto 5.2.5 | moto 5.2.5, IAM enforced | LocalStack 2026.3.0 |', '|---|---|---|---|---|', ...rows].join('\n');
}
