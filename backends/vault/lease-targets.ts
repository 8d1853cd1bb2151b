/**
 * Dynamic credentials under leases, on the production-mode OpenBao: `vault-database` (the
 * database engine making PostgreSQL users) and `vault-aws-creds` (the AWS engine making IAM users
 * in moto), both read by the family's lease-backed backend
 * (`leased-connection-backend.ts`), whose cases are
 * `vault-leases.suite.ts`. A role's credentials live 4 s, renewable up to 8 s: long enough to
 * measure, short enough to watch a lease end within a case.
 */
import { endpointOf } from '../../containers/contract';
import { motoIamServer } from '../../containers/moto';
import { postgresServer } from '../../containers/postgres';
import { productionVaultServer } from '../../containers/vault-production';
import { LeasedConnectionBackend } from './leased-connection-backend';
import type { FixtureStore, TargetDefinition, TargetEnvironment, TargetSession } from '../../suites/target';
import { ConfigurationError } from '../../model/errors';
import { LEASE_LIMITS, prepareLeases, type LeaseEngine, type LeaseSetup, type LeaseStore } from './lease-setup';

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
      setup = prepareLeases(environment, engine, name);
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
    backendKind: 'LeasedConnectionBackend (backends/vault)',
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
      backendClass: 'backends/vault/leased-connection-backend.ts LeasedConnectionBackend',
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
