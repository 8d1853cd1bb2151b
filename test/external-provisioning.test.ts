/**
 * `--provision=external`: OpenBao and moto are started here, apart from the run, and handed to the
 * CLI as a team's own servers through the `ASC_EXTERNAL_*` variables. Two runs of the vault and aws
 * families: with admin credentials (fixtures under the run's folder, removed) and read-only (the
 * preseeded set written beforehand with what `fixtures print` prints). Each must execute cases, leave
 * nothing under the prefix, name the server, its version and the identity, and print no secret.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsSecretsManagerExternalTarget } from '../backends/aws/external-target';
import { SecretsManagerBackend } from '../backends/aws/secrets-manager-backend';
import { requestGate } from '../backends/request-gate';
import { vaultExternalTarget } from '../backends/vault/external-target';
import { VaultBackend } from '../backends/vault/vault-backend';
import { probeExternalAws, probeExternalVault } from '../containers/external';
import { readExternalConfig } from '../containers/external-config';
import { MotoServer, type StartedMotoServer } from '../containers/moto';
import { VaultServer, type StartedVaultServer } from '../containers/vault';
import { mutantOf } from '../mutants/mutant';
import { readingMutants } from '../mutants/backend-mutants';
import { runCase } from '../suites/case-context';
import { preseededValueTexts } from '../suites/preseeded-fixtures';
import { preseededSuite } from '../suites/preseeded.suite';
import type { TargetEnvironment } from '../targets/target';
import { buildRegistry } from '../suites/run-selection';
import { onlyRunDir, readRunReport, runCli } from './support/run-cli';

const SUITES = '--suite=retrieval,not-found,preseeded,isolation,failover';

describe('external configuration', () => {
  it('reads the variables, and says which one is wrong in one line', () => {
    const base = {
      ASC_EXTERNAL_VAULT_ADDR: 'https://vault.example:8200/',
      ASC_EXTERNAL_VAULT_TOKEN: 't',
      ASC_EXTERNAL_VAULT_PREFIX: '/team/airflow/',
    };
    expect(readExternalConfig(base).vault).toMatchObject({ address: 'https://vault.example:8200', mount: 'secret', prefix: 'team/airflow' });
    expect(readExternalConfig({}).maxRps).toBe(10);
    const wrong: Array<[Record<string, string>, RegExp]> = [
      [{ ...base, ASC_EXTERNAL_VAULT_PREFIX: '' }, /ASC_EXTERNAL_VAULT_PREFIX is not set/],
      [{ ...base, ASC_EXTERNAL_VAULT_PREFIX: 'team/../other' }, /not a plain path/],
      [{ ...base, ASC_EXTERNAL_VAULT_TOKEN: '' }, /ASC_EXTERNAL_VAULT_TOKEN is not set/],
      [{ ...base, ASC_EXTERNAL_VAULT_ADDR: 'vault:8200' }, /must be http/],
      [{ ...base, ASC_EXTERNAL_MAX_RPS: '0' }, /ASC_EXTERNAL_MAX_RPS/],
      [
        { ASC_EXTERNAL_AWS_REGION: 'eu-west-1', ASC_EXTERNAL_AWS_ACCESS_KEY_ID: 'a', ASC_EXTERNAL_AWS_PREFIX: 'p' },
        /ASC_EXTERNAL_AWS_SECRET_ACCESS_KEY is not set/,
      ],
    ];
    for (const [env, message] of wrong) expect(() => readExternalConfig(env)).toThrow(message);
  });

  it('spaces requests by the cap, concurrent ones too', async () => {
    let now = 0;
    const waits: number[] = [];
    const gate = requestGate(4, { now: () => now, wait: async (ms) => void waits.push(ms) });
    await Promise.all([gate.take(), gate.take(), gate.take()]);
    now = 1_000;
    await gate.take();
    expect(waits).toEqual([250, 500]);
    expect(gate.passed).toBe(4);
  });

  it('selects the external targets by family or by the reference target they stand for, and nothing else', () => {
    const registry = buildRegistry([], true);
    expect(registry.resolve(['vault', 'aws-sm']).map((t) => t.name)).toEqual(['vault-external', 'aws-sm-external']);
    expect(() => registry.resolve(['env'])).toThrow(/no external form/);
  });
});

interface Servers {
  vault: StartedVaultServer;
  moto: StartedMotoServer;
}

interface VaultAnswer {
  readonly data?: { readonly keys?: string[] };
  readonly auth?: { readonly client_token: string; readonly accessor: string };
}

async function vaultCall(
  vault: StartedVaultServer,
  method: string,
  path: string,
  body?: unknown,
  token = vault.getRootToken(),
): Promise<VaultAnswer | null> {
  const response = await fetch(`${vault.getAddress()}/v1/${path}`, {
    method,
    headers: { 'x-vault-token': token, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}`);
  return text === '' ? {} : (JSON.parse(text) as VaultAnswer);
}

function awsAdmin(moto: StartedMotoServer): SecretsManagerClient {
  return new SecretsManagerClient({ endpoint: moto.getEndpoint(), region: moto.getRegion(), credentials: moto.getCredentials() });
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('--provision=external against OpenBao and moto started apart', () => {
  const work = mkdtempSync(join(tmpdir(), 'asc-external-'));
  const prefix = `team-${randomBytes(3).toString('hex')}/airflow`;
  let servers: Servers;
  let tokens: { reader: string; admin: string; readerAccessor: string };
  const awsKeys = {
    reader: `AKIDREADER${randomBytes(4).toString('hex')}`,
    readerSecret: `rs${randomBytes(8).toString('hex')}`,
    admin: 'AKIDADMIN',
    adminSecret: `as${randomBytes(8).toString('hex')}`,
  };

  beforeAll(async () => {
    const [vault, moto] = await Promise.all([new VaultServer().withLogDir(work).start(), new MotoServer().withLogDir(work).start()]);
    servers = { vault, moto };
    await vaultCall(vault, 'PUT', 'sys/policies/acl/airflow-reader', { policy: `path "secret/data/${prefix}/*" { capabilities = ["read"] }` });
    await vaultCall(vault, 'PUT', 'sys/policies/acl/airflow-seeder', {
      policy: `path "secret/data/${prefix}/*" { capabilities = ["create", "update", "read", "delete"] }\npath "secret/metadata/${prefix}/*" { capabilities = ["read", "list", "delete"] }`,
    });
    const reader = await vaultCall(vault, 'POST', 'auth/token/create', { policies: ['airflow-reader'], display_name: 'airflow-prod', ttl: '1h' });
    const admin = await vaultCall(vault, 'POST', 'auth/token/create', {
      policies: ['airflow-seeder'],
      display_name: 'conformance-seeder',
      ttl: '1h',
    });
    if (!reader?.auth || !admin?.auth) throw new Error('OpenBao made no token');
    tokens = { reader: reader.auth.client_token, admin: admin.auth.client_token, readerAccessor: reader.auth.accessor };
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([servers?.vault.stop(), servers?.moto.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  function environment(admin: boolean): Record<string, string> {
    return {
      ASC_EXTERNAL_VAULT_ADDR: servers.vault.getAddress(),
      ASC_EXTERNAL_VAULT_TOKEN: tokens.reader,
      ASC_EXTERNAL_VAULT_PREFIX: prefix,
      ASC_EXTERNAL_AWS_ENDPOINT: servers.moto.getEndpoint(),
      ASC_EXTERNAL_AWS_REGION: servers.moto.getRegion(),
      ASC_EXTERNAL_AWS_ACCESS_KEY_ID: awsKeys.reader,
      ASC_EXTERNAL_AWS_SECRET_ACCESS_KEY: awsKeys.readerSecret,
      ASC_EXTERNAL_AWS_PREFIX: prefix,
      ASC_EXTERNAL_MAX_RPS: '50',
      ...(admin
        ? {
            ASC_EXTERNAL_VAULT_ADMIN_TOKEN: tokens.admin,
            ASC_EXTERNAL_AWS_ADMIN_ACCESS_KEY_ID: awsKeys.admin,
            ASC_EXTERNAL_AWS_ADMIN_SECRET_ACCESS_KEY: awsKeys.adminSecret,
          }
        : {}),
    };
  }

  /** What the run left under the prefix: Vault's listing below it, and Secrets Manager names that start with it. */
  async function leftUnderPrefix(): Promise<{ vault: string[]; aws: string[] }> {
    const listing = await vaultCall(servers.vault, 'LIST', `secret/metadata/${prefix}`);
    const client = awsAdmin(servers.moto);
    try {
      const secrets = await client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [`${prefix}/`] }] }));
      return { vault: listing?.data?.keys ?? [], aws: (secrets.SecretList ?? []).map((s) => s.Name ?? '') };
    } finally {
      client.destroy();
    }
  }

  function expectNoSecretInReports(runDir: string, output: string): void {
    const secrets = [tokens.reader, tokens.admin, awsKeys.readerSecret, awsKeys.adminSecret, servers.vault.getRootToken(), ...preseededValueTexts()];
    for (const file of filesUnder(runDir)) {
      const text = readFileSync(file, 'latin1');
      for (const secret of secrets) expect(text.includes(secret), `${file} holds a secret`).toBe(false);
    }
    for (const secret of secrets) expect(output.includes(secret), 'the console shows a secret').toBe(false);
  }

  async function certificateNamesServersAndIdentities(runDir: string): Promise<void> {
    const certificate = readFileSync(join(runDir, 'certificate.md'), 'utf8');
    expect(certificate).toContain(`vault-external ${servers.vault.getVersion()}, external at ${servers.vault.getAddress()}`);
    expect(certificate).toContain(`token-airflow-prod (token accessor ${tokens.readerAccessor}`);
    expect(certificate).toContain(`aws-external AWS API, region ${servers.moto.getRegion()}, endpoint ${servers.moto.getEndpoint()}`);
    expect(certificate).toMatch(/as arn:aws:sts::\d{12}:user\//);
    expect(certificate).toContain('not run: its one case was skipped (external server: the harness does not own it');
    const report = await readRunReport(runDir);
    expect(report.targets.map((t) => [t.name, t.status, t.provisioning])).toEqual([
      ['vault-external', 'ran', 'external'],
      ['aws-sm-external', 'ran', 'external'],
    ]);
  }

  it('with admin credentials: runs the cases under the run folder, then leaves nothing under the prefix', async () => {
    const reports = join(work, 'reports-admin');
    const result = await runCli(['test', '--backend=vault,aws-sm', '--provision=external', SUITES, `--reports-dir=${reports}`], environment(true));
    expect(result.code, result.stderr).toBe(0);
    const runDir = await onlyRunDir(reports);
    const report = await readRunReport(runDir);
    expect(report.verdict.executedCases).toBeGreaterThan(40);
    const isolation = report.cases.filter((c) => c.suite === 'isolation');
    expect(isolation.map((c) => [c.target, c.status])).toEqual([
      ['vault-external', 'pass'],
      ['aws-sm-external', 'pass'],
    ]);
    expect(await leftUnderPrefix()).toEqual({ vault: [], aws: [] });
    await certificateNamesServersAndIdentities(runDir);
    expectNoSecretInReports(runDir, result.stdout + result.stderr);
  }, 180_000);

  it('read-only: reads what fixtures print told the team to seed, and says which levels did not run and why', async () => {
    for (const family of ['vault', 'aws']) {
      const printed = await runCli(['fixtures', 'print', '--family', family, '--json'], environment(false));
      expect(printed.code, printed.stderr).toBe(0);
      const plan = JSON.parse(printed.stdout) as { writes: Array<{ name: string; value: unknown }> };
      expect(plan.writes.every((write) => write.name.startsWith(`${prefix}/asc-readonly/`))).toBe(true);
      if (family === 'vault')
        for (const write of plan.writes) await vaultCall(servers.vault, 'POST', `secret/data/${write.name}`, { data: write.value });
      else {
        const client = awsAdmin(servers.moto);
        for (const write of plan.writes) await client.send(new CreateSecretCommand({ Name: write.name, SecretString: String(write.value) }));
        client.destroy();
      }
    }
    const reports = join(work, 'reports-read-only');
    const result = await runCli(['test', '--backend=vault,aws-sm', '--provision=external', SUITES, `--reports-dir=${reports}`], environment(false));
    expect(result.code, result.stderr).toBe(0);
    const runDir = await onlyRunDir(reports);
    const report = await readRunReport(runDir);
    expect(report.verdict.executedCases).toBeGreaterThan(0);
    for (const target of ['vault-external', 'aws-sm-external']) {
      const preseeded = report.cases.filter((c) => c.target === target && c.suite === 'preseeded');
      expect(preseeded.length).toBe(4);
      expect(preseeded.every((c) => c.status === 'pass')).toBe(true);
      const retrieval = report.cases.filter((c) => c.target === target && c.suite === 'retrieval');
      // Skipped: for the capability the target lacks where it lacks one, else because nothing may be written.
      expect(retrieval.every((c) => c.status === 'skip')).toBe(true);
      expect(retrieval.filter((c) => /read-only: no admin credential/.test(c.skipReason ?? '')).length).toBeGreaterThan(10);
    }
    const certificate = readFileSync(join(runDir, 'certificate.md'), 'utf8');
    expect(certificate).toMatch(/Security and auth \(isolation\): – not run\n\nnot run: its one case was skipped \(read-only: no admin credential/);
    expect(certificate).toContain('read-only run (no admin credential)');
    // Only the preseeded set is there: nothing was written.
    const left = await leftUnderPrefix();
    expect(left.vault).toEqual(['asc-readonly/']);
    expect(left.aws.every((name) => name.startsWith(`${prefix}/asc-readonly/`))).toBe(true);
    await certificateNamesServersAndIdentities(runDir);
    expectNoSecretInReports(runDir, result.stdout + result.stderr);
  }, 180_000);

  it('each preseeded case fails for at least one mutant, on both families, and the mutants leave nothing behind', async () => {
    const config = readExternalConfig(environment(true));
    if (!config.vault || !config.aws) throw new Error('the test environment names both servers');
    const servers = { 'vault-external': await probeExternalVault(config.vault, 50), 'aws-external': await probeExternalAws(config.aws, 50) };
    const run: TargetEnvironment = {
      runId: `external-mutants-${randomBytes(3).toString('hex')}`,
      canary: `cnry${randomBytes(8).toString('hex')}`,
      scratchDir: work,
      servers,
    };
    for (const target of [vaultExternalTarget, awsSecretsManagerExternalTarget]) {
      const cases = preseededSuite.cases(target);
      for (const conformanceCase of cases) await runCase(target, conformanceCase, run, conformanceCase.name);
      const unkilled = new Set(cases.map((c) => c.name));
      for (const spec of readingMutants) {
        const mutant = mutantOf(target, spec);
        for (const conformanceCase of cases.filter((c) => unkilled.has(c.name))) {
          const failed = await runCase(mutant, conformanceCase, run, conformanceCase.name).then(
            () => false,
            () => true,
          );
          if (failed) unkilled.delete(conformanceCase.name);
        }
      }
      expect([...unkilled], `${target.name}: preseeded cases no mutant fails`).toEqual([]);
      // The fixture side is fenced to the run's folder: an id that climbs out is refused before any request.
      const session = await target.open(run);
      await expect(session.fixtures.putVariable('../../../escaped', 'x')).rejects.toThrow(/outside the run's folder/);
      // Closing tries to remove what the session meant to write, and is refused the same way.
      await expect(session.close()).rejects.toThrow(/outside the run's folder/);
      expect(await target.residue?.(run)).toBe(0);
    }
  }, 120_000);

  it('the rate cap is taken by every request on the wire, in both clients', async () => {
    const clock = { now: () => 0, wait: async () => {} };
    const vaultGate = requestGate(5, clock);
    const vault = new VaultBackend(
      { url: servers.vault.getAddress(), token: tokens.reader, mount_point: 'secret', variables_path: `${prefix}/none` },
      { gate: vaultGate },
    );
    expect(await vault.getVariable('absent')).toBeNull();
    expect(await vault.getVariable('other')).toBeNull();
    expect(vaultGate.passed).toBe(vault.requestsSent);
    expect(vaultGate.passed).toBeGreaterThan(1);
    const awsGate = requestGate(5, clock);
    const aws = new SecretsManagerBackend(
      {
        endpoint_url: servers.moto.getEndpoint(),
        region_name: servers.moto.getRegion(),
        aws_access_key_id: 'a',
        aws_secret_access_key: 'b',
        variables_prefix: `${prefix}/none`,
      },
      { gate: awsGate },
    );
    expect(await aws.getVariable('absent')).toBeNull();
    expect(awsGate.passed).toBe(aws.requestsSent);
    expect(awsGate.passed).toBeGreaterThan(0);
    await Promise.all([vault.close(), aws.close()]);
  });

  it('refuses a wrong token in one typed line, before any case', async () => {
    const result = await runCli(['test', '--backend=vault', '--provision=external'], {
      ...environment(false),
      ASC_EXTERNAL_VAULT_TOKEN: 'not-a-token',
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(
      /^UnauthorizedError: Vault refused ASC_EXTERNAL_VAULT_TOKEN \(HTTP 403 on auth\/token\/lookup-self\).*; hint: /,
    );
    expect(result.stderr).not.toContain('    at ');
  }, 60_000);
});
