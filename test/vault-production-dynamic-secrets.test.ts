/**
 * Dynamic secrets with leases on a production-mode OpenBao: the database engine on a private
 * PostgreSQL 15 cluster (containers/postgres.ts) and the AWS engine on moto with IAM enforced.
 * For each: a read creates a credential that really works (a PostgreSQL login, an STS call), the
 * lease renews within its max TTL, revocation removes the credential at its source (pg_roles, the
 * IAM user), and an unrenewed lease ends by itself (measured: lease end to credential gone).
 */
import { GetUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MotoIamEndpoint } from '../containers/contract';
import { MotoServer, type StartedMotoServer } from '../containers/moto';
import { PostgresServer, type StartedPostgresServer } from '../containers/postgres';
import { setUpAwsSecretsEngine, setUpDatabaseEngine } from '../containers/vault-setup/dynamic-secrets';
import { startProductionVault, type ProductionVault } from './support/production-vault';
import { airflowVenvMissing, runVaultClientProbe } from './support/vault-client-probe';

interface Lease {
  readonly leaseId: string;
  readonly leaseDuration: number;
  readonly renewable: boolean;
  readonly data: Record<string, string>;
  /** When Vault issued it, by our clock. */
  readonly issuedAt: number;
}

const leaseTtlSeconds = 10;
const leaseMaxSeconds = 30;

let production: ProductionVault;
let postgres: StartedPostgresServer;
let moto: StartedMotoServer;

beforeAll(async () => {
  [production, postgres, moto] = await Promise.all([
    startProductionVault('vault-dynamic'),
    new PostgresServer().withLogDir(process.env.TMPDIR ?? '/tmp', 'postgres-dynamic').start(),
    new MotoServer()
      .withIamEnforced()
      .withLogDir(process.env.TMPDIR ?? '/tmp', 'moto-iam-dynamic')
      .start(),
  ]);
  let began = performance.now();
  await setUpDatabaseEngine(production.admin, postgres, {
    role: 'airflow-reader',
    ttl: `${leaseTtlSeconds}s`,
    maxTtl: `${leaseMaxSeconds}s`,
    rotateRoot: true,
  });
  const databaseSetupMs = Math.round(performance.now() - began);
  began = performance.now();
  await setUpAwsSecretsEngine(production.admin, moto.endpoint as MotoIamEndpoint, {
    role: 'airflow-s3',
    ttl: `${leaseTtlSeconds}s`,
    maxTtl: `${leaseMaxSeconds}s`,
    policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::airflow-logs/*'] }] },
  });
  const awsSetupMs = Math.round(performance.now() - began);
  const pg = postgres.endpoint.phasesMs;
  console.info(
    `[figures] PostgreSQL 15: initdb ${pg.initdb} ms, started ${pg.started} ms, vault_admin role and database ${pg.roleSetup} ms (from spawn of initdb);` +
      ` database engine setup (verify_connection, rotate-root, role) ${databaseSetupMs} ms; AWS engine setup (plugin registration included) ${awsSetupMs} ms`,
  );
}, 180_000);

afterAll(async () => {
  // Vault first: its database engine holds connections that PostgreSQL's fast shutdown would end anyway.
  await production?.vault.stop();
  await Promise.allSettled([postgres?.stop(), moto?.stop()]);
});

async function readLease(path: string): Promise<Lease> {
  const body = await production.admin.read(path);
  return {
    leaseId: String(body.lease_id),
    leaseDuration: Number(body.lease_duration),
    renewable: body.renewable === true,
    data: body.data as Record<string, string>,
    issuedAt: Date.now(),
  };
}

async function renew(lease: Lease, incrementSeconds: number): Promise<{ leaseDuration: number; warnings: unknown }> {
  const body = await production.admin.write('sys/leases/renew', { lease_id: lease.leaseId, increment: incrementSeconds });
  return { leaseDuration: Number(body.lease_duration), warnings: body.warnings };
}

/** Polls until `gone()` holds: a real check against the credential's source, bounded in time. */
async function millisecondsUntil(gone: () => Promise<boolean>, deadlineMs: number): Promise<number> {
  const began = Date.now();
  while (Date.now() - began < deadlineMs) {
    if (await gone()) return Date.now() - began;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the credential was still there after ${deadlineMs} ms`);
}

async function roleValidUntil(user: string): Promise<Date | null | undefined> {
  const client = await postgres.connect();
  try {
    const result = await client.query<{ rolvaliduntil: Date | null }>('SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1', [user]);
    return result.rows.length === 0 ? undefined : result.rows[0]?.rolvaliduntil;
  } finally {
    await client.end();
  }
}

async function readsAs(user: string, password: string): Promise<string> {
  const client = await postgres.connect({ user, password });
  try {
    const result = await client.query<{ state: string }>("SELECT state FROM public.dag_runs WHERE dag_id = 'example_dag'");
    return result.rows[0]?.state ?? 'no row';
  } finally {
    await client.end();
  }
}

async function loginFailure(user: string, password: string): Promise<string | undefined> {
  try {
    await (await postgres.connect({ user, password })).end();
    return undefined;
  } catch (error) {
    return `${(error as { code?: string }).code}: ${(error as Error).message}`;
  }
}

describe('database engine (PostgreSQL 15)', () => {
  it('a read creates a PostgreSQL user valid until the lease ends, which logs in and reads the table', async () => {
    const lease = await readLease('database/creds/airflow-reader');
    expect(lease).toMatchObject({ leaseDuration: leaseTtlSeconds, renewable: true });
    expect(lease.leaseId).toMatch(/^database\/creds\/airflow-reader\//);
    const { username, password } = lease.data as { username: string; password: string };
    expect(username).toMatch(/^v-root-airflow-/);
    expect(await readsAs(username, password)).toBe('success');
    const validUntil = await roleValidUntil(username);
    expect(validUntil).toBeInstanceOf(Date);
    // VALID UNTIL is set a little after the lease's end (the plugin adds its own margin): the
    // lease, not PostgreSQL, is what ends the credential.
    const marginMs = (validUntil as Date).getTime() - (lease.issuedAt + leaseTtlSeconds * 1000);
    console.info(`[figures] database user VALID UNTIL is ${marginMs} ms after the lease's end`);
    expect(marginMs).toBeGreaterThan(-1_000);
    expect(marginMs).toBeLessThan(10_000);
    await production.admin.write('sys/leases/revoke', { lease_id: lease.leaseId });
  });

  it('renewal extends the lease and VALID UNTIL; it is capped by max_ttl', async () => {
    const lease = await readLease('database/creds/airflow-reader');
    const username = lease.data.username as string;
    const before = (await roleValidUntil(username)) as Date;
    const renewed = await renew(lease, leaseTtlSeconds);
    expect(renewed.leaseDuration).toBe(leaseTtlSeconds);
    const after = (await roleValidUntil(username)) as Date;
    expect(after.getTime()).toBeGreaterThanOrEqual(before.getTime());
    const capped = await renew(lease, 3_600);
    expect(capped.leaseDuration).toBeLessThanOrEqual(leaseMaxSeconds);
    expect(JSON.stringify(capped.warnings)).toContain('exceeded the effective max_ttl');
    console.info(
      `[figures] database lease: ttl ${lease.leaseDuration} s, renewed to ${renewed.leaseDuration} s, a 3600 s renewal capped at ${capped.leaseDuration} s`,
    );
    await production.admin.write('sys/leases/revoke', { lease_id: lease.leaseId });
  });

  it('revocation drops the role: gone from pg_roles, and its password no longer logs in', async () => {
    const lease = await readLease('database/creds/airflow-reader');
    const { username, password } = lease.data as { username: string; password: string };
    await production.admin.write('sys/leases/revoke', { lease_id: lease.leaseId });
    expect(await roleValidUntil(username)).toBeUndefined();
    expect(await loginFailure(username, password)).toBe(`28P01: password authentication failed for user "${username}"`);
  });

  it('an unrenewed lease ends by itself: Vault drops the role soon after the TTL', async () => {
    const lease = await readLease('database/creds/airflow-reader');
    const username = lease.data.username as string;
    const leaseEndsAt = lease.issuedAt + lease.leaseDuration * 1000;
    await millisecondsUntil(async () => (await roleValidUntil(username)) === undefined, 40_000);
    const afterLeaseEnd = Date.now() - leaseEndsAt;
    console.info(`[figures] database lease of ${lease.leaseDuration} s: role dropped ${afterLeaseEnd} ms after the lease's end`);
    expect(afterLeaseEnd).toBeGreaterThan(-1_000);
    expect(afterLeaseEnd).toBeLessThan(10_000);
  }, 60_000);

  it.skipIf(airflowVenvMissing())(
    "hvac: generate_credentials, renew_lease and revoke_lease (Airflow's VaultBackend reads KV only)",
    async () => {
      const answer = await runVaultClientProbe({
        client: 'hvac',
        url: production.vault.getAddress(),
        verify: production.tls.ca.certificateFile,
        token: production.vault.getRootToken(),
        action: { kind: 'lease-cycle', engine: 'database', role: 'airflow-reader', increment: leaseTtlSeconds },
      });
      expect(answer).toMatchObject({
        ok: true,
        value: { lease: { lease_duration: leaseTtlSeconds, renewable: true }, renewed: { lease_duration: leaseTtlSeconds }, revoked: true },
      });
      const username = ((answer.ok ? answer.value : {}) as { lease: { username: string } }).lease.username;
      expect(await roleValidUntil(username)).toBeUndefined();
    },
    60_000,
  );
});

describe('AWS secrets engine (moto, IAM enforced)', () => {
  const motoIam = (): MotoIamEndpoint => moto.endpoint as MotoIamEndpoint;
  const iam = (): IAMClient =>
    new IAMClient({
      endpoint: motoIam().endpoint,
      region: motoIam().region,
      credentials: { accessKeyId: motoIam().accessKeyId, secretAccessKey: motoIam().secretAccessKey },
    });

  async function iamUserExists(userName: string): Promise<boolean> {
    const client = iam();
    try {
      await client.send(new GetUserCommand({ UserName: userName }));
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchEntityException' || (error as { name?: string }).name === 'NoSuchEntity') return false;
      throw error;
    } finally {
      client.destroy();
    }
  }

  async function callerOf(accessKeyId: string, secretAccessKey: string): Promise<string | undefined> {
    const sts = new STSClient({ endpoint: motoIam().endpoint, region: motoIam().region, credentials: { accessKeyId, secretAccessKey } });
    try {
      return (await sts.send(new GetCallerIdentityCommand({}))).Arn;
    } finally {
      sts.destroy();
    }
  }

  it('a read creates an IAM user whose keys STS accepts; renewal within max; revocation deletes the user', async () => {
    const lease = await readLease('aws/creds/airflow-s3');
    expect(lease).toMatchObject({ leaseDuration: leaseTtlSeconds, renewable: true });
    const { access_key: accessKeyId, secret_key: secretAccessKey } = lease.data as { access_key: string; secret_key: string };
    const arn = await callerOf(accessKeyId, secretAccessKey);
    expect(arn).toMatch(/^arn:aws:iam::123456789012:user\/vault-root-airflow-s3-/);
    const userName = (arn as string).split('/').pop() as string;
    expect(await iamUserExists(userName)).toBe(true);
    const renewed = await renew(lease, leaseTtlSeconds);
    expect(renewed.leaseDuration).toBe(leaseTtlSeconds);
    await production.admin.write('sys/leases/revoke', { lease_id: lease.leaseId });
    expect(await iamUserExists(userName)).toBe(false);
  });

  it('an unrenewed lease ends by itself: the IAM user is deleted soon after the TTL', async () => {
    const lease = await readLease('aws/creds/airflow-s3');
    const arn = (await callerOf(lease.data.access_key as string, lease.data.secret_key as string)) as string;
    const userName = arn.split('/').pop() as string;
    const leaseEndsAt = lease.issuedAt + lease.leaseDuration * 1000;
    await millisecondsUntil(async () => !(await iamUserExists(userName)), 40_000);
    const afterLeaseEnd = Date.now() - leaseEndsAt;
    console.info(`[figures] AWS lease of ${lease.leaseDuration} s: IAM user deleted ${afterLeaseEnd} ms after the lease's end`);
    expect(afterLeaseEnd).toBeLessThan(10_000);
  }, 60_000);
});
