/**
 * `--provision=external`: OpenBao and moto are started here, apart from the run, and handed to the
 * CLI as a team's own servers through the `ASC_EXTERNAL_*` variables. Two runs of the vault and aws
 * families: with admin credentials (fixtures under the run's folder, removed) and read-only (the
 * preseeded set written beforehand with what `fixtures print` prints). Each must execute cases, leave
 * nothing under the prefix, name the server, its version and the identity, and print no secret.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsSecretsManagerExternalTarget } from '../backends/aws/external-target';
import { SecretsManagerBackend } from '../backends/aws/secrets-manager-backend';
import { requestGate } from '../model/request-gate';
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
import type { TargetEnvironment } from '../suites/target';
import { buildRegistry } from '../runner/run-selection';
import { onlyRunDir, readRunReport, runCli } from './support/run-cli';

const SUITES = '--suite=retrieval,not-found,preseeded,isolation,failover';
const APPROLE_MOUNT = 'approle-airflow';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/airflow-prod';

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

  it('takes exactly one Vault credential (a token or an AppRole) and one AWS source (keys or a profile), a role on top', () => {
    const vault = { ASC_EXTERNAL_VAULT_ADDR: 'https://vault.example:8200', ASC_EXTERNAL_VAULT_PREFIX: 'team' };
    const approle = {
      ...vault,
      ASC_EXTERNAL_VAULT_ROLE_ID: 'r',
      ASC_EXTERNAL_VAULT_SECRET_ID: 's',
      ASC_EXTERNAL_VAULT_AUTH_MOUNT: 'approle-airflow',
    };
    expect(readExternalConfig(approle).vault?.credential).toEqual({ kind: 'approle', roleId: 'r', secretId: 's', authMount: 'approle-airflow' });
    const aws = { ASC_EXTERNAL_AWS_REGION: 'eu-west-1', ASC_EXTERNAL_AWS_PREFIX: 'p' };
    const role = 'arn:aws:iam::123456789012:role/airflow-prod';
    expect(readExternalConfig({ ...aws, ASC_EXTERNAL_AWS_PROFILE: 'prod', ASC_EXTERNAL_AWS_ROLE_ARN: role }).aws).toMatchObject({
      profile: 'prod',
      roleArn: role,
    });
    const wrong: Array<[Record<string, string>, RegExp]> = [
      [{ ...approle, ASC_EXTERNAL_VAULT_TOKEN: 't' }, /^ASC_EXTERNAL_VAULT_TOKEN is set together with an AppRole/],
      [vault, /^ASC_EXTERNAL_VAULT_TOKEN is not set \(nor ASC_EXTERNAL_VAULT_ROLE_ID\)/],
      [{ ...vault, ASC_EXTERNAL_VAULT_ROLE_ID: 'r' }, /^ASC_EXTERNAL_VAULT_SECRET_ID is not set/],
      [
        { ...vault, ASC_EXTERNAL_VAULT_TOKEN: 't', ASC_EXTERNAL_VAULT_AUTH_MOUNT: 'approle' },
        /^ASC_EXTERNAL_VAULT_AUTH_MOUNT is set without an AppRole/,
      ],
      [aws, /^ASC_EXTERNAL_AWS_ACCESS_KEY_ID is not set \(nor ASC_EXTERNAL_AWS_PROFILE\)/],
      [
        { ...aws, ASC_EXTERNAL_AWS_PROFILE: 'prod', ASC_EXTERNAL_AWS_ACCESS_KEY_ID: 'a', ASC_EXTERNAL_AWS_SECRET_ACCESS_KEY: 'b' },
        /^ASC_EXTERNAL_AWS_PROFILE is set together with ASC_EXTERNAL_AWS_ACCESS_KEY_ID/,
      ],
      [{ ...aws, ASC_EXTERNAL_AWS_PROFILE: 'prod', ASC_EXTERNAL_AWS_ROLE_ARN: 'airflow-prod' }, /^ASC_EXTERNAL_AWS_ROLE_ARN is not a role ARN/],
    ];
    for (const [env, message] of wrong) {
      expect(() => readExternalConfig(env)).toThrow(message);
      expect(() => readExternalConfig(env)).toThrow(expect.objectContaining({ name: 'ConfigurationError', hint: expect.any(String) }));
    }
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
  readonly data?: { readonly keys?: string[]; readonly role_id?: string; readonly secret_id?: string };
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
  let approle: { roleId: string; secretId: string };
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
    // The AppRole the backend logs in with in production, on a mount of its own name.
    await vaultCall(vault, 'POST', `sys/auth/${APPROLE_MOUNT}`, { type: 'approle' });
    await vaultCall(vault, 'POST', `auth/${APPROLE_MOUNT}/role/airflow-prod`, { token_policies: ['airflow-reader'], token_ttl: '1h' });
    const roleId = (await vaultCall(vault, 'GET', `auth/${APPROLE_MOUNT}/role/airflow-prod/role-id`))?.data?.role_id;
    const secretId = (await vaultCall(vault, 'POST', `auth/${APPROLE_MOUNT}/role/airflow-prod/secret-id`, {}))?.data?.secret_id;
    if (!roleId || !secretId) throw new Error('OpenBao made no AppRole');
    approle = { roleId, secretId };
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

  it('with an AppRole and an AWS role assumed from a profile: the backend logs in as production does, and the certificate names who', async () => {
    const profileDir = join(work, 'aws-profile');
    mkdirSync(profileDir, { recursive: true });
    const profileSecret = `ps${randomBytes(8).toString('hex')}`;
    writeFileSync(join(profileDir, 'credentials'), `[airflow-prod]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = ${profileSecret}\n`);
    writeFileSync(join(profileDir, 'config'), `[profile airflow-prod]\nregion = ${servers.moto.getRegion()}\n`);
    const {
      ASC_EXTERNAL_VAULT_TOKEN: _token,
      ASC_EXTERNAL_AWS_ACCESS_KEY_ID: _key,
      ASC_EXTERNAL_AWS_SECRET_ACCESS_KEY: _secret,
      ...rest
    } = environment(true);
    const env = {
      ...rest,
      ASC_EXTERNAL_VAULT_ROLE_ID: approle.roleId,
      ASC_EXTERNAL_VAULT_SECRET_ID: approle.secretId,
      ASC_EXTERNAL_VAULT_AUTH_MOUNT: APPROLE_MOUNT,
      ASC_EXTERNAL_AWS_PROFILE: 'airflow-prod',
      ASC_EXTERNAL_AWS_ROLE_ARN: ROLE_ARN,
      AWS_SHARED_CREDENTIALS_FILE: join(profileDir, 'credentials'),
      AWS_CONFIG_FILE: join(profileDir, 'config'),
    };
    const reports = join(work, 'reports-approle-role');
    const result = await runCli(
      ['test', '--backend=vault,aws-sm', '--provision=external', '--suite=retrieval,not-found,isolation', `--reports-dir=${reports}`],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    const runDir = await onlyRunDir(reports);
    const report = await readRunReport(runDir);
    for (const target of ['vault-external', 'aws-sm-external']) {
      const cases = report.cases.filter((c) => c.target === target);
      expect(cases.filter((c) => c.status === 'pass').length, target).toBeGreaterThan(10);
      expect(
        cases.filter((c) => c.status === 'fail'),
        target,
      ).toEqual([]);
    }
    // Nothing but the read-only test's preseeded set (when it ran first) is left under the prefix.
    const left = await leftUnderPrefix();
    expect(left.vault.filter((name) => name !== 'asc-readonly/')).toEqual([]);
    expect(left.aws.filter((name) => !name.startsWith(`${prefix}/asc-readonly/`))).toEqual([]);
    const certificate = readFileSync(join(runDir, 'certificate.md'), 'utf8');
    expect(certificate).toMatch(new RegExp(`read as: ${APPROLE_MOUNT} \\(token accessor [^,]+, policies [^)]*airflow-reader`));
    expect(certificate).toContain(`after an AppRole login at auth/${APPROLE_MOUNT}`);
    expect(certificate).toContain('read as: arn:aws:sts::123456789012:assumed-role/airflow-prod/airflow-secrets-conformance');
    expect(certificate).toContain('ASC_EXTERNAL_AWS_ROLE_ARN assumed with profile airflow-prod');
    const secrets = [approle.secretId, approle.roleId, profileSecret, tokens.admin, awsKeys.adminSecret];
    for (const file of filesUnder(runDir)) {
      const text = readFileSync(file, 'latin1');
      for (const secret of secrets) expect(text.includes(secret), `${file} holds a secret`).toBe(false);
      // The assumed role's temporary keys are moto's: no session token shows either.
      expect(text).not.toMatch(/"aws_session_token":\s*"(?!\[)/);
    }
    for (const secret of secrets) expect((result.stdout + result.stderr).includes(secret), 'the console shows a secret').toBe(false);
  }, 120_000);

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
