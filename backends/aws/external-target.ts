/**
 * `aws-sm-external`: our SecretsManagerBackend with a team's production keys (given, a profile's, or
 * an assumed role's temporary keys), on the team's AWS account or AWS-compatible endpoint
 * (`--provision=external`, containers/external.ts). Every name the
 * harness writes, reads or lists starts with `<prefix>/`: the run's fixtures under
 * `<prefix>/asc-<run hash>/`, deleted without recovery when each session closes; without admin keys
 * nothing is written and the backend reads the preseeded set under `<prefix>/asc-readonly/`. Every
 * request on the wire, the backend's and the fixtures', first takes a slot of the run's rate cap.
 */
import { endpointOf, requireEndpoint } from '../../containers/contract';
import { externalAwsServer, externalGates, type ExternalAwsEndpoint } from '../../containers/external';
import { readExternalConfig, requireExternal } from '../../containers/external-config';
import { PRESEEDED_FOLDER, PRESEEDED_SECRETS } from '../../suites/preseeded-fixtures';
import { EXTERNAL_NOT_RUN_SUITES, NOT_OURS, readOnlyFlag, readOnlyReason, type ExternalAdminCredential } from '../../targets/external-target';
import type { SeedPlan } from '../../targets/family';
import {
  connectionFixtureText,
  referenceDescription,
  type Capability,
  type TargetDefinition,
  type TargetEnvironment,
  type TargetSession,
} from '../../suites/target';
import { ConfigurationError } from '../../model/errors';
import { AwsFixtures } from './fixtures';
import { SecretsManagerBackend } from './secrets-manager-backend';
import { runHash, storeFor, type ServiceStore } from './stores';

const ADMIN: ExternalAdminCredential = {
  variables: 'ASC_EXTERNAL_AWS_ADMIN_ACCESS_KEY_ID and ASC_EXTERNAL_AWS_ADMIN_SECRET_ACCESS_KEY',
  holding: 'keys',
  store: 'in the external Secrets Manager',
};

const CAPABILITIES: readonly Capability[] = [
  'connections',
  'conn-value',
  'variables',
  'config',
  'multiline-values',
  'large-values',
  'mutable',
  'residue',
  'preseeded',
];

const MISSING: Partial<Record<Capability, string>> = {
  'network-faults': `${NOT_OURS}, so no Toxiproxy fault is put in front of it; run the failover suite on moto (--provision=auto)`,
  'auth-wrong-credentials': `${NOT_OURS}: refused calls on purpose would show in CloudTrail; run the auth suite with --provision=auto`,
  'auth-policy': `${NOT_OURS}: a denying policy needs IAM writes; run the auth suite with --provision=auto`,
  'auth-expired-credentials': `${NOT_OURS}: expiring credentials needs STS set-up; run the auth suite with --provision=auto`,
  'aws-naming': `${NOT_OURS}: the aws-naming cases read names without the prefix (a null prefix, lookup patterns), outside the prefix`,
  versions: `${NOT_OURS}: stage moves and rollbacks are run on moto (--provision=auto)`,
  'staged-rotation': `${NOT_OURS}: stage moves and rollbacks are run on moto (--provision=auto)`,
  'json-connections':
    "JSON secrets are re-keyed before from_json (aliases such as user/engine, unknown keys dropped); the preseeded suite reads a JSON secret with Airflow's own field names",
  'empty-values': 'Secrets Manager keeps no value for an empty SecretString',
  'field-connections': 'a secret holds text; structured connections are stored as JSON text',
  'env-var-names': 'the backend reads an AWS service, not environment variables',
  'raw-files': 'the backend reads no files',
};

function rootOf(aws: ExternalAwsEndpoint, environment: TargetEnvironment): string {
  return aws.adminKeys ? `${aws.prefix}/asc-${runHash(environment.runId)}` : `${aws.prefix}/${PRESEEDED_FOLDER}`;
}

/** The admin keys' store, held to names under `root/`: a name outside is refused before any request. */
function fencedStore(store: ServiceStore, root: string): ServiceStore {
  const inside = (name: string): void => {
    if (!name.startsWith(`${root}/`) || name.split('/').includes('..')) {
      throw new ConfigurationError(`"${name}" is outside the run's folder`, {
        where: 'aws-sm-external fixtures',
        hint: `the harness writes under ${root}/ only`,
      });
    }
  };
  return {
    service: store.service,
    versions: store.versions,
    async put(name, value) {
      inside(name);
      await store.put(name, value);
    },
    ...(store.putBinary
      ? {
          async putBinary(name: string, value: Uint8Array) {
            inside(name);
            await store.putBinary?.(name, value);
          },
        }
      : {}),
    async remove(name) {
      inside(name);
      await store.remove(name);
    },
    async namesUnder(under) {
      inside(`${under}/`);
      return store.namesUnder(under);
    },
    close: () => store.close(),
  };
}

const gateFor = externalGates();

function adminStore(aws: ExternalAwsEndpoint, root: string): ServiceStore | null {
  if (!aws.adminKeys) return null;
  const endpoint = { endpoint: aws.endpointUrl ?? '', region: aws.region, version: aws.version, ...aws.adminKeys };
  return fencedStore(storeFor('secretsmanager', endpoint, gateFor(aws.address, aws.maxRps)), root);
}

function kwargsFor(aws: ExternalAwsEndpoint, root: string): Record<string, unknown> {
  return {
    connections_prefix: `${root}/connections`,
    variables_prefix: `${root}/variables`,
    config_prefix: `${root}/config`,
    region_name: aws.region,
    aws_access_key_id: aws.keys.accessKeyId,
    aws_secret_access_key: aws.keys.secretAccessKey,
    ...(aws.keys.sessionToken ? { aws_session_token: aws.keys.sessionToken } : {}),
    ...(aws.endpointUrl ? { endpoint_url: aws.endpointUrl } : {}),
  };
}

/** Writes refused with how to allow them. */
const readOnlyFixtures = {
  putConnection: () => Promise.reject(refusal()),
  putVariable: () => Promise.reject(refusal()),
};

function refusal(): ConfigurationError {
  return new ConfigurationError('this run may not write the external Secrets Manager', {
    where: 'aws-sm-external',
    hint: 'set ASC_EXTERNAL_AWS_ADMIN_ACCESS_KEY_ID and ASC_EXTERNAL_AWS_ADMIN_SECRET_ACCESS_KEY to keys that may create and delete secrets under the prefix',
  });
}

export const awsSecretsManagerExternalTarget: TargetDefinition = {
  name: 'aws-sm-external',
  family: 'aws',
  summary:
    "SecretsManagerBackend with the team's production keys on the team's AWS account or endpoint (--provision=external), inside the prefix it names",
  backendKind: 'SecretsManagerBackend',
  capabilities: CAPABILITIES,
  missingCapabilityReasons: MISSING,
  servers: [externalAwsServer],
  // Its own layout: the aws suites' assumptions (a run root owned by the harness, moto) do not hold here.
  store: { layout: 'aws-sm-external', idShapes: ['upper-case', 'dash', 'dot', 'slash', 'leading-digit'] },
  parser: 'sdk',
  notRunSuites: EXTERNAL_NOT_RUN_SUITES,
  readOnly(environment) {
    const aws = endpointOf(environment.servers, externalAwsServer);
    return !aws || aws.adminKeys ? null : readOnlyReason(ADMIN);
  },
  describe(environment) {
    const aws = endpointOf(environment.servers, externalAwsServer);
    if (!aws) return referenceDescription('SecretsManagerBackend', { notes: ['external AWS: not reached in this run'] });
    const root = rootOf(aws, environment);
    return referenceDescription('SecretsManagerBackend', {
      kwargs: kwargsFor(aws, root),
      notes: [
        'rules of apache-airflow-providers-amazon 9.39.0',
        `external server: ${aws.version} (${aws.address}), not started by the harness`,
        `read as: ${aws.identity ?? 'unknown'} (sts:GetCallerIdentity of ${aws.keysSource})`,
        aws.adminIdentity
          ? `fixtures written as: ${aws.adminIdentity}, under ${root}/ only, deleted without recovery by each session`
          : `read-only: no admin credential; read the preseeded set under ${root}/`,
        `request rate capped at ${aws.maxRps}/s (ASC_EXTERNAL_MAX_RPS)`,
      ],
      ...(aws.adminKeys ? {} : { flags: [readOnlyFlag(ADMIN)] }),
    });
  },
  async open(environment): Promise<TargetSession> {
    const aws = requireEndpoint(environment.servers, externalAwsServer, 'target aws-sm-external');
    const root = rootOf(aws, environment);
    const store = adminStore(aws, root);
    const fixtures = store ? new AwsFixtures(store, root, 'aws-sm-external') : readOnlyFixtures;
    const made: SecretsManagerBackend[] = [];
    const defaults = kwargsFor(aws, root);
    const gate = gateFor(aws.address, aws.maxRps);
    return {
      fixtures,
      kwargs: defaults,
      readOnly: store === null,
      backend(kwargs = {}) {
        const backend = new SecretsManagerBackend({ ...defaults, ...kwargs }, { gate });
        made.push(backend);
        return backend;
      },
      async close() {
        const removed = fixtures instanceof AwsFixtures ? fixtures.removeAll() : Promise.resolve();
        const outcomes = await Promise.allSettled([removed, ...made.map((backend) => backend.close())]);
        store?.close();
        const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
        if (failed) throw failed.reason;
      },
    };
  },
  async residue(environment) {
    const aws = requireEndpoint(environment.servers, externalAwsServer, 'target aws-sm-external');
    const root = rootOf(aws, environment);
    const store = adminStore(aws, root);
    if (!store) return 0; // Read-only: nothing was written.
    try {
      return (await store.namesUnder(root)).length;
    } finally {
      store.close();
    }
  },
};

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** What a team writes for a read-only run, and the `aws secretsmanager create-secret` commands that do it. */
export function awsSeedPlan(env: NodeJS.ProcessEnv): SeedPlan {
  const aws = requireExternal(readExternalConfig(env), 'aws');
  const root = `${aws.prefix}/${PRESEEDED_FOLDER}`;
  const writes = PRESEEDED_SECRETS.map((secret) => ({
    name: `${root}/${secret.kind}/${secret.id}`,
    value: typeof secret.value === 'string' ? secret.value : connectionFixtureText(secret.value),
  }));
  const endpoint = aws.endpointUrl ? ` --endpoint-url ${shellQuote(aws.endpointUrl)}` : '';
  return {
    where: `Secrets Manager in ${aws.region}${aws.endpointUrl ? ` at ${aws.endpointUrl}` : ''}, under ${root}/ (SecretString as the amazon provider reads it)`,
    writes,
    commands: writes.map(
      ({ name, value }) =>
        `aws secretsmanager create-secret --region ${aws.region}${endpoint} --name ${shellQuote(name)} --secret-string ${shellQuote(String(value))}`,
    ),
  };
}
