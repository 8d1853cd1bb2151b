/**
 * What a lease target sets up once per run on the production-mode OpenBao: the engine's mount and
 * role (PostgreSQL users, or IAM users in moto), a reader token, and a check that a served
 * credential works at its source.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { requireEndpoint } from '../../containers/contract';
import { motoIamServer } from '../../containers/moto';
import { connectPostgres, postgresServer, type PostgresEndpoint } from '../../containers/postgres';
import { productionVaultServer } from '../../containers/vault-production';
import { createSecretValues } from '../../suites/case-context';
import { runTag, type TargetDefinition, type TargetEnvironment, type TargetStore } from '../../suites/target';
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

export interface LeaseSetup extends LeaseRun {
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

export async function prepareLeases(environment: TargetEnvironment, engine: LeaseEngine, name: string): Promise<LeaseSetup> {
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
