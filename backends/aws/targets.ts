/**
 * The AWS targets: our SecretsManagerBackend (`aws-sm`) and SystemsManagerParameterStoreBackend
 * (`aws-ssm`) against moto, and the same two against LocalStack (`aws-sm-localstack`,
 * `aws-ssm-localstack`), read through `endpoint_url` with the endpoint's region and keys. A run
 * writes only under its own root (`asc/<hash of runId>`, `/asc/<hash of runId>`), handed to the
 * backend as its three prefixes; the auth scenarios run against moto-iam.
 */
import { endpointOf } from '../../containers/contract';
import type { ServerKind } from '../../containers/contract';
import { localstackServer } from '../../containers/localstack';
import { motoIamServer, motoServer, type MotoEndpoint } from '../../containers/moto';
import { toxiproxyServer } from '../../containers/toxiproxy';
import { referenceDescription, type Capability, type TargetDefinition } from '../../suites/target';
import { awsNetwork, awsStore } from './network';
import { SystemsManagerParameterStoreBackend } from './parameter-store-backend';
import { SecretsManagerBackend } from './secrets-manager-backend';
import { awsResidue, openAwsSession, sessionDefaults, type AwsSessionSpec } from './session';
import { runRoot } from './stores';

interface AwsTargetSpec extends AwsSessionSpec {
  readonly summary: string;
  readonly backendKind: string;
  readonly capabilities: readonly Capability[];
  readonly missing: Partial<Record<Capability, string>>;
}

function awsTarget(spec: AwsTargetSpec): TargetDefinition {
  return {
    name: spec.name,
    family: 'aws',
    summary: spec.summary,
    backendKind: spec.backendKind,
    capabilities: spec.capabilities,
    missingCapabilityReasons: spec.missing,
    servers: [spec.store, ...(spec.iam ? [spec.iam] : []), toxiproxyServer],
    store: awsStore(spec.service),
    network: awsNetwork(spec.backendKind, spec.store),
    parser: 'sdk',
    describe: (environment) => {
      const store = endpointOf(environment.servers, spec.store);
      const kwargs = store ? sessionDefaults(store, store, runRoot(spec.service, environment.runId)) : {};
      return referenceDescription(spec.backendKind, {
        kwargs,
        notes: ['rules of apache-airflow-providers-amazon 9.39.0', `emulator: ${spec.store.name}`],
      });
    },
    open: (environment) => openAwsSession(spec, environment),
    residue: (environment) => awsResidue(spec.service, environment, [spec.store, ...(spec.iam ? [spec.iam] : [])]),
  };
}

/** The same backend on a second emulator: LocalStack, with what it cannot show said instead. */
function onLocalstack(target: AwsTargetSpec, missing: Partial<Record<Capability, string>>): AwsTargetSpec {
  const { iam: _iam, ...rest } = target;
  return {
    ...rest,
    name: `${target.name}-localstack`,
    summary: target.summary.replace(' on moto:', ' on LocalStack:'),
    store: localstackServer as ServerKind<MotoEndpoint>,
    capabilities: target.capabilities.filter((capability) => !(capability in missing)),
    missing: { ...target.missing, ...missing },
  };
}

/** Where LocalStack 2026.3.0 (community) cannot show a behaviour, in both services. */
const LOCALSTACK_MISSING: Partial<Record<Capability, string>> = {
  'auth-wrong-credentials':
    'LocalStack community accepts any access key and signature (IAM enforcement, ENFORCE_IAM, is a LocalStack Pro feature), so wrong credentials cannot be refused',
  'auth-policy': 'LocalStack community evaluates no IAM policy (ENFORCE_IAM is a LocalStack Pro feature): every principal may read every secret',
};

const MOTO = { store: motoServer as ServerKind<MotoEndpoint>, iam: motoIamServer } as const;

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
  'throttling',
  'versions',
];

const COMMON_MISSING: Partial<Record<Capability, string>> = {
  'field-connections': 'a secret or parameter holds text; structured connections are stored as JSON text',
  'env-var-names': 'the backend reads an AWS service, not environment variables',
  'raw-files': 'the backend reads no files',
  'auth-expired-credentials':
    "moto 5.2.5 records an STS session's Expiration but never checks it (moto/iam/access_control.py), and it accepts any request date: expiry cannot be shown for real",
};

const secretsManagerSpec: AwsTargetSpec = {
  ...MOTO,
  name: 'aws-sm',
  service: 'secretsmanager',
  summary: 'SecretsManagerBackend (amazon provider 9.39.0) on moto: secrets named <prefix>/<id>, JSON secrets re-keyed',
  backendKind: 'SecretsManagerBackend',
  capabilities: [...COMMON_CAPABILITIES, 'large-values', 'staged-rotation'],
  missing: {
    ...COMMON_MISSING,
    'json-connections':
      "JSON secrets are re-keyed before from_json (aliases such as user/engine, unknown keys dropped), so from_json's own rules do not all hold, e.g. an unknown key is no error; the aws-naming suite checks JSON secrets as the provider reads them",
    'empty-values': 'Secrets Manager keeps no value for an empty SecretString (moto 5.2.5 answers ResourceNotFoundException), so "" cannot be stored',
  },
  build: (kwargs) => new SecretsManagerBackend(kwargs),
};

const parameterStoreSpec: AwsTargetSpec = {
  ...MOTO,
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
};

export const awsSecretsManagerTarget = awsTarget(secretsManagerSpec);
export const awsParameterStoreTarget = awsTarget(parameterStoreSpec);
export const awsSecretsManagerLocalstackTarget = awsTarget(onLocalstack(secretsManagerSpec, LOCALSTACK_MISSING));
export const awsParameterStoreLocalstackTarget = awsTarget(onLocalstack(parameterStoreSpec, LOCALSTACK_MISSING));

export const awsTargets: readonly TargetDefinition[] = [
  awsSecretsManagerTarget,
  awsParameterStoreTarget,
  awsSecretsManagerLocalstackTarget,
  awsParameterStoreLocalstackTarget,
];
