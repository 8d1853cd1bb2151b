/**
 * Dynamic credentials under leases (spec §1.2: get_connection hands Airflow a Connection it can
 * use; §3.4: nothing may serve a value past its life): the served credential works at its source,
 * it is never served once its lease has ended (measured on a real lease, by asking the source),
 * renewal keeps it alive before it ends, and closing the backend revokes it.
 */
import { setTimeout as pause } from 'node:timers/promises';
import type { Connection } from '../../model/connection/connection';
import type { SecretsBackend } from '../../model/contract';
import { defineSuite, type CaseContext, type ConformanceCase } from '../../suites/suite';
import { auditEntriesSince, auditOffset } from './audit-log';
import { leaseStoreOf, type LeaseRun } from './lease-setup';

/** The rhythm of a case's lookups: a worker asking for its connection a few times a second. */
const LOOKUP_EVERY_MS = 250;

async function leaseRun(ctx: CaseContext): Promise<LeaseRun> {
  const store = leaseStoreOf(ctx.target);
  if (!store) throw new Error(`target ${ctx.target.name} declares vault-leases but has no lease store`);
  return store.run(ctx.environment);
}

interface Served {
  readonly login: string;
  readonly password: string;
  readonly at: number;
}

async function serve(backend: SecretsBackend, run: LeaseRun): Promise<Served> {
  const connection: Connection | null = await backend.getConnection(run.connId);
  const at = Date.now();
  if (connection === null) throw new Error(`connection "${run.connId}" was not found`);
  if (!connection.login || !connection.password) throw new Error(`connection "${run.connId}" came without a login and password`);
  return { login: connection.login, password: connection.password, at };
}

async function expectWorks(run: LeaseRun, served: Served, what: string): Promise<void> {
  if (!(await run.credentialWorks(served.login, served.password))) throw new Error(`${what}: the source refuses the credential served`);
}

/** Milliseconds until the source stops accepting `served`, polled every 100 ms for at most `deadlineMs`. */
async function untilRefused(run: LeaseRun, served: Served, deadlineMs: number): Promise<number> {
  const began = Date.now();
  for (let attempt = 0; Date.now() - began < deadlineMs && attempt < deadlineMs / 100; attempt += 1) {
    if (!(await run.credentialWorks(served.login, served.password))) return Date.now();
    await pause(100);
  }
  throw new Error(`the credential still worked ${deadlineMs} ms after the last lookup: its lease never ended`);
}

const cases: ConformanceCase[] = [
  {
    name: 'a served credential works at its source',
    rule: '§1.2 get_connection returns a Connection Airflow uses as is: login and password from the lease log in (PostgreSQL) or sign (STS)',
    needs: ['vault-leases'],
    async run(ctx) {
      const run = await leaseRun(ctx);
      await expectWorks(run, await serve(ctx.backend, run), `connection "${run.connId}"`);
    },
  },
  {
    name: 'a credential is never served after its lease has ended, cache or not',
    rule: '§3.4 a cached value is served until its TTL only; a leased credential cached past its lease is refused by its source, so its cache life must end with the lease',
    needs: ['vault-leases'],
    timeoutMs: 40_000,
    async run(ctx) {
      const run = await leaseRun(ctx);
      const lastServed = new Map<string, Served>();
      const began = Date.now();
      let firstRefusedAt: number | undefined;
      // Past the lease's max TTL: the first credential cannot be renewed any longer and must be replaced.
      while (Date.now() - began < run.limits.maxTtlSeconds * 1000 + 1_500) {
        const served = await serve(ctx.backend, run);
        await expectWorks(run, served, `connection "${run.connId}" ${served.at - began} ms after the first lookup`);
        lastServed.set(served.login, served);
        const [first] = lastServed.values();
        // Once replaced, the first credential is watched until its source refuses it.
        if (first && first.login !== served.login && firstRefusedAt === undefined && !(await run.credentialWorks(first.login, first.password))) {
          firstRefusedAt = Date.now();
        }
        await pause(LOOKUP_EVERY_MS);
      }
      const [first] = lastServed.values();
      if (!first || lastServed.size < 2)
        throw new Error(`one credential served for ${Date.now() - began} ms, beyond the lease's max TTL of ${run.limits.maxTtlSeconds} s`);
      const refusedAt = firstRefusedAt ?? (await untilRefused(run, first, run.limits.maxTtlSeconds * 1000));
      ctx.record('lease TTL', run.limits.ttlSeconds * 1000, 'ms');
      ctx.record('lease end to last served use', first.at - refusedAt, 'ms');
      ctx.record('credentials served', lastServed.size, 'count');
    },
  },
  {
    name: 'renewal extends the lease before it ends',
    rule: '§3.4 a value is reused only while valid: a leased credential in use is renewed before its TTL ends, so the same login keeps working past it',
    needs: ['vault-leases'],
    timeoutMs: 30_000,
    async run(ctx) {
      const run = await leaseRun(ctx);
      const offset = await auditOffset(run.auditLogFile);
      const first = await serve(ctx.backend, run);
      while (Date.now() - first.at < run.limits.ttlSeconds * 1000 + 1_000) {
        await pause(LOOKUP_EVERY_MS);
        const served = await serve(ctx.backend, run);
        if (served.login !== first.login)
          throw new Error(
            `a new credential was served ${served.at - first.at} ms in, before the ${run.limits.maxTtlSeconds} s max TTL: the lease was not renewed`,
          );
      }
      await expectWorks(
        run,
        first,
        `the first credential ${Date.now() - first.at} ms after it was served (its lease was ${run.limits.ttlSeconds} s)`,
      );
      const entries = await auditEntriesSince(run.auditLogFile, offset);
      const issued = entries.find((entry) => entry.type === 'request' && /\/creds\//.test(entry.request?.path ?? ''));
      const renewed = entries.find((entry) => entry.type === 'request' && entry.request?.path === 'sys/leases/renew');
      if (issued?.time && renewed?.time) ctx.record('time to renewal', Date.parse(renewed.time) - Date.parse(issued.time), 'ms');
    },
  },
  {
    name: 'closing the backend revokes its lease: the credential stops working at once',
    rule: '§1.2 a backend releases what it holds when closed: a lease left behind keeps a working credential alive until its TTL',
    needs: ['vault-leases'],
    async run(ctx) {
      const run = await leaseRun(ctx);
      const backend = ctx.session.backend();
      const served = await serve(backend, run);
      await expectWorks(run, served, `connection "${run.connId}"`);
      await backend.close?.();
      if (await run.credentialWorks(served.login, served.password))
        throw new Error('the credential still works after close(): its lease was not revoked');
    },
  },
];

export const vaultLeasesSuite = defineSuite({
  id: 'vault-leases',
  title: 'Vault leases',
  level: 'security',
  requires: 'vault-leases',
  cases: () => cases,
});
