/**
 * Dynamic credentials under leases, on the production-mode OpenBao: `vault-database` (the
 * database engine making PostgreSQL users) and `vault-aws-creds` (the AWS engine making IAM users
 * in moto), both read by the lease-backed example backend
 * (`examples/vault-lease-backend/leased-connection-backend.ts`), whose cases are
 * `vault-leases.suite.ts`. A role's credentials live 4 s, renewable up to 8 s: long enough to
 * measure, short enough to watch a lease end within a case.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { endpointOf, requireEndpoint } from '../../containers/contract';
import { motoIamServer } from '../../containers/moto';
import { connectPostgres, postgresServer, type PostgresEndpoint } from '../../containers/postgres';
import { productionVaultServer } from '../../containers/vault-production';
import { LeasedConnectionBackend } from '../../examples/vault-lease-backend/leased-connection-backend';
import { createSecretValues } from '../../suites/case-context';
import { runTag, type FixtureStore, type TargetDefinition, type TargetEnvironment, type TargetSession, type TargetStore } from '../../targets/target';
import { ConfigurationError } from '../errors';
import { VaultAdmin } from './admin';
import { setUpAwsSecretsEngine, setUpDatabaseEngine, type LeaseLimits } from './dynamic-secrets';
import { createToken, READER_TTL } from './run-setup';

export const LEASE_LIMITS: LeaseLimits = { ttlSeconds: 4, maxTtlSeconds: 8 };
const ROLE = 'airflow-reader';

export type LeaseEngine = 'database' | 'aws';

export interface LeaseRun {
  /** The connection id the backend serves: the engine's role. */
  readonly connId: string;
  readonly limits: LeaseLimits;
  readonly auditLogFile: string;
  /** Whether the credential works at its source now: a PostgreSQL login, an STS call. */
  credentialWorks(login: string, password: string): Promise<boolean>;
}

export interface LeaseStore extends TargetStore {
  readonly layout: 'vault-leases';
  readonly engine: LeaseEngine;
  run(environment: TargetEnvironment): Promise<LeaseRun>;
}

export function leaseStoreOf(target: TargetDefinition): LeaseStore | null {
  return target.store.layout === 'vault-leases' ? (target.store as LeaseStore) : null;
}

interface LeaseSetup extends LeaseRun {
  readonly kwargs: Record<string, unknown>;
}

async function postgresLoginWorks(postgres: PostgresEndpoint, user: string, password: string): Promise<boolean> {
  try {
    const client = await connectPostgres(postgres, { user, password });
    try {
      await client.query('SELECT state FROM public.dag_runs LIMIT 1');
      return true;
    } finally {
      await client.end();
    }
  } catch (error) {
    // 28P01: password authentication failed (the role is gone, or its VALID UNTIL has passed).
    if (['28P01', '28000'].includes(String((error as { code?: unknown }).code))) return false;
    throw error;
  }
}

async function stsAccepts(endpoint: string, region: string, accessKeyId: string, secretAccessKey: string): Promise<boolean> {
  const sts = new STSClient({ endpoint, region, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
  try {
    await sts.send(new GetCallerIdentityCommand({}));
    return true;
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 403) return false;
    throw error;
  } finally {
    sts.destroy();
  }
}

async function prepare(environment: TargetEnvironment, engine: LeaseEngine, name: string): Promise<LeaseSetup> {
  const vault = requireEndpoint(environment.servers, productionVaultServer, `target ${name}`);
  const admin = new VaultAdmin(vault);
  const mount = `asc-${runTag(environment.runId)}-${engine === 'database' ? 'db' : 'awscreds'}`;
  let credentialWorks: LeaseRun['credentialWorks'];
  let connection: Record<string, unknown>;
  if (engine === 'database') {
    const postgres = requireEndpoint(environment.servers, postgresServer, `target ${name}`);
    await setUpDatabaseEngine(admin, mount, postgres, ROLE, LEASE_LIMITS);
    credentialWorks = (login, password) => postgresLoginWorks(postgres, login, password);
    connection = { conn_type: 'postgres', host: postgres.host, port: postgres.port, schema: postgres.database };
  } else {
    const moto = requireEndpoint(environment.servers, motoIamServer, `target ${name}`);
    await setUpAwsSecretsEngine(admin, mount, moto, ROLE, LEASE_LIMITS);
    credentialWorks = (login, password) => stsAccepts(moto.endpoint, moto.region, login, password);
    connection = { conn_type: 'aws', extra: { region_name: moto.region, endpoint_url: moto.endpoint } };
  }
  const policy = `${mount}-reader`;
  await admin.write('the lease reader policy', `sys/policies/acl/${policy}`, {
    policy: `path "${mount}/creds/${ROLE}" {\n  capabilities = ["read"]\n}\npath "sys/leases/revoke" {\n  capabilities = ["update"]\n}\n`,
  });
  const token = await createToken({ admin, credentials: createSecretValues(environment.canary) }, [policy], READER_TTL);
  return {
    connId: ROLE,
    limits: LEASE_LIMITS,
    auditLogFile: vault.auditLogFile,
    credentialWorks,
    kwargs: { url: vault.address, verify: vault.caFile, auth_type: 'token', token, mount_point: mount, engine, connection },
  };
}

const NOT_SEEDED = 'a dynamic credential is made by Vault on each read under a lease; nothing is seeded';

const noFixtures: FixtureStore = {
  putConnection: () => Promise.reject(new ConfigurationError(NOT_SEEDED, { where: 'vault-leases store' })),
  putVariable: () => Promise.reject(new ConfigurationError(NOT_SEEDED, { where: 'vault-leases store' })),
};

function leaseTarget(name: string, engine: LeaseEngine, summary: string): TargetDefinition {
  const setups = new Map<string, Promise<LeaseSetup>>();
  const setupFor = (environment: TargetEnvironment): Promise<LeaseSetup> => {
    let setup = setups.get(environment.runId);
    if (!setup) {
      setup = prepare(environment, engine, name);
      setups.set(environment.runId, setup);
      setup.catch(() => setups.delete(environment.runId));
    }
    return setup;
  };
  const store: LeaseStore = { layout: 'vault-leases', engine, run: setupFor };
  return {
    name,
    family: 'vault',
    summary,
    backendKind: 'LeasedConnectionBackend (examples/vault-lease-backend)',
    capabilities: ['vault-leases'],
    missingCapabilityReasons: {
      connections: `${NOT_SEEDED}: its connections are certified by the vault-leases suite`,
      variables: 'a lease-backed backend serves connections only',
      config: 'a lease-backed backend serves connections only',
      'conn-value': NOT_SEEDED,
    },
    servers: [productionVaultServer, engine === 'database' ? postgresServer : motoIamServer],
    store,
    parser: 'sdk',
    describe: (environment) => ({
      backendClass: 'examples/vault-lease-backend/leased-connection-backend.ts LeasedConnectionBackend',
      origin: 'custom',
      versions: {},
      kwargs: { url: endpointOf(environment.servers, productionVaultServer)?.address ?? '(not started)', engine, mount_point: '<the run mount>' },
      notes: [`leases of ${LEASE_LIMITS.ttlSeconds} s, renewable up to ${LEASE_LIMITS.maxTtlSeconds} s; the example custom backend of this package`],
    }),
    async open(environment): Promise<TargetSession> {
      const setup = await setupFor(environment);
      const made: LeasedConnectionBackend[] = [];
      return {
        fixtures: noFixtures,
        kwargs: setup.kwargs,
        backend: (kwargs = {}) => {
          const backend = new LeasedConnectionBackend({ ...setup.kwargs, ...kwargs });
          made.push(backend);
          return backend;
        },
        async close() {
          for (const backend of made) await backend.close();
        },
      };
    },
  };
}

export const vaultDatabaseTarget = leaseTarget(
  'vault-database',
  'database',
  'a lease-backed backend (the example) serving PostgreSQL logins from the database secrets engine',
);
export const vaultAwsCredsTarget = leaseTarget(
  'vault-aws-creds',
  'aws',
  'a lease-backed backend (the example) serving IAM keys from the AWS secrets engine on moto',
);
