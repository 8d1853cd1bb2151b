/**
 * The AWS targets: our SecretsManagerBackend (`aws-sm`) and SystemsManagerParameterStoreBackend
 * (`aws-ssm`) against moto, read through `endpoint_url` with the endpoint's region and keys. A run
 * writes only under its own root (`asc/<hash of runId>`, `/asc/<hash of runId>`), handed to the
 * backend as its three prefixes; the auth scenarios run against moto-iam.
 */
import { endpointOf, requireEndpoint } from '../../containers/contract';
import { motoIamServer, motoServer, type MotoEndpoint } from '../../containers/moto';
import { toxiproxyServer } from '../../containers/toxiproxy';
import {
  referenceDescription,
  type Capability,
  type ObservedRequest,
  type TargetDefinition,
  type TargetNetwork,
  type TargetSession,
} from '../../targets/target';
import type { SecretsBackend } from '../contract';
import { awsLookupBudget } from './aws-client';
import { AwsAuth } from './auth-scenarios';
import { AwsFixtures } from './fixtures';
import type { AwsService, AwsStore } from './layout';
import { SystemsManagerParameterStoreBackend } from './parameter-store-backend';
import { SecretsManagerBackend } from './secrets-manager-backend';
import { runRoot, storeFor } from './stores';

interface AwsTargetSpec {
  readonly name: string;
  readonly service: AwsService;
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
    server: motoServer,
    serverUrl: (servers) => endpointOf(servers, motoServer)?.endpoint ?? null,
    addressKwargs: (address) => ({ endpoint_url: `http://${address}` }),
    // botocore's Config, in seconds.
    timeoutKwargs: (seconds) => ({ config_kwargs: { connect_timeout: seconds, read_timeout: seconds } }),
    lookupBudget: (kwargs) => awsLookupBudget(kwargs, backendKind),
    requestKind: awsRequestKind,
  };
}

function awsStore(service: AwsService): AwsStore {
  // Secret and parameter names take letters, digits and _.-/ (Secrets Manager also +=@), ASCII only.
  return { layout: service === 'ssm' ? 'aws-ssm' : 'aws-sm', service, idShapes: ['upper-case', 'dash', 'dot', 'slash', 'leading-digit'] };
}

function awsTarget(spec: AwsTargetSpec): TargetDefinition {
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
    servers: [motoServer, motoIamServer, toxiproxyServer],
    store: awsStore(spec.service),
    network: awsNetwork(spec.backendKind),
    parser: 'sdk',
    describe: (environment) => {
      const moto = endpointOf(environment.servers, motoServer);
      const kwargs = moto ? defaults(moto, moto, runRoot(spec.service, environment.runId)) : {};
      return referenceDescription(spec.backendKind, { kwargs, notes: ['rules of apache-airflow-providers-amazon 9.39.0'] });
    },
    async open(environment): Promise<TargetSession> {
      const moto = requireEndpoint(environment.servers, motoServer, `target ${spec.name}`);
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
      for (const kind of [motoServer, motoIamServer]) {
        const endpoint = endpointOf(environment.servers, kind);
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
    "moto 5.2.5 records an STS session's Expiration but never checks it (moto/iam/access_control.py), and it accepts any request date: expiry cannot be shown for real",
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
      "JSON secrets are re-keyed before from_json (aliases such as user/engine, unknown keys dropped), so from_json's own rules do not all hold, e.g. an unknown key is no error; the aws-naming suite checks JSON secrets as the provider reads them",
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
