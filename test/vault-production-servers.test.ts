/**
 * The server modules behind the production-mode Vault targets, on their own: each starts on a free
 * 127.0.0.1 port with per-run state, runs as the account production would (never root for
 * PostgreSQL and slapd), reports its start phases, and is gone after stop. The start times printed
 * here are the figures the targets' start-up costs come from.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectPostgres, PostgresServer } from '../containers/postgres';
import { SlapdServer } from '../containers/slapd';
import { ProductionVaultServer } from '../containers/vault-production';
import type { StartedServer } from '../containers/server-module';
import type { ServerInfo } from '../containers/contract';

const logDir = mkdtempSync(join(tmpdir(), 'vault-production-servers-'));

/** The real uid a process runs as, from /proc. */
function uidOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((candidate) => candidate.startsWith('Uid:'));
  return Number(line?.split(/\s+/)[1]);
}

function uidOfAccount(name: string): number {
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === name);
  return Number(entry?.[2]);
}

async function expectGoneAfterStop(server: StartedServer<ServerInfo>): Promise<void> {
  const pid = server.process?.pid as number;
  await server.stop();
  expect(server.process?.running).toBe(false);
  expect(() => process.kill(pid, 0)).toThrow();
}

describe('OpenBao, production mode', () => {
  it('Raft over HTTPS, initialised, unsealed and active; phases reported; the audit log kept next to the server log', async () => {
    const vault = await new ProductionVaultServer().withLogDir(logDir, 'vault-prod').start();
    try {
      expect(vault.endpoint.address).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(vault.getVersion()).toBe('2.7.2');
      expect(vault.endpoint.rootToken).toMatch(/^s\./);
      const { listening, initialised, unsealed, active } = vault.endpoint.phasesMs;
      expect(listening).toBeLessThanOrEqual(initialised);
      expect(initialised).toBeLessThanOrEqual(unsealed);
      expect(unsealed).toBeLessThanOrEqual(active);
      console.info(`[figures] OpenBao production mode: ${JSON.stringify(vault.endpoint.phasesMs)} (ms from spawn)`);
    } finally {
      await expectGoneAfterStop(vault);
    }
    expect(existsSync(join(logDir, 'vault-prod-audit.log'))).toBe(true);
  }, 90_000);
});

describe('slapd', () => {
  it('seeded with a per-run directory, runs as openldap when we are root, gone after stop', async () => {
    const slapd = await new SlapdServer().withLogDir(logDir).start();
    try {
      expect(slapd.endpoint.url).toMatch(/^ldap:\/\/127\.0\.0\.1:\d+$/);
      expect(slapd.getVersion()).toBe('2.5.13');
      expect(slapd.endpoint.users.map((user) => user.uid)).toEqual(['alice', 'bob', 'carol']);
      if (process.getuid?.() === 0) expect(uidOf(slapd.process?.pid as number)).toBe(uidOfAccount('openldap'));
      console.info(`[figures] slapd: seeding (config and directory by slapadd) ${slapd.endpoint.seedMs} ms, ready ${slapd.endpoint.startMs} ms`);
    } finally {
      await expectGoneAfterStop(slapd);
    }
  }, 60_000);
});

describe('PostgreSQL 15', () => {
  it('a private cluster: initdb, start and role setup, runs as postgres when we are root, gone after stop', async () => {
    const postgres = await new PostgresServer().withLogDir(logDir).start();
    try {
      expect(postgres.endpoint.host).toBe('127.0.0.1');
      expect(postgres.getVersion()).toMatch(/^15\./);
      if (process.getuid?.() === 0) expect(uidOf(postgres.process?.pid as number)).toBe(uidOfAccount('postgres'));
      const client = await connectPostgres(postgres.endpoint, postgres.endpoint.vaultAdmin);
      try {
        const role = await client.query<{ rolsuper: boolean; rolcreaterole: boolean }>(
          'SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user',
        );
        expect(role.rows[0]).toEqual({ rolsuper: false, rolcreaterole: true });
      } finally {
        await client.end();
      }
      const { initdb, started, roleSetup } = postgres.endpoint.phasesMs;
      console.info(
        `[figures] PostgreSQL: initdb ${initdb} ms, start ${started - initdb} ms, role setup ${roleSetup - started} ms, total ${roleSetup} ms`,
      );
    } finally {
      await expectGoneAfterStop(postgres);
    }
  }, 90_000);
});
