/**
 * `explain`, `doctor` and `migrate` end to end: real deployments (an airflow.cfg, a metastore made by
 * Airflow's own `airflow db migrate` and filled with `airflow connections import` / `variables
 * import`), a real Vault (OpenBao) and moto, started as the suites start them, and the CLI run as a
 * user runs it. Every seeded value carries a marker that must never show in any output.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import NodeVault from 'node-vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointOf } from '../containers/contract';
import { motoServer, type MotoEndpoint } from '../containers/moto';
import { startServers, type StartedServers } from '../containers/servers';
import { vaultServer } from '../containers/vault';
import { renderRunOpenMetrics } from '../reports/openmetrics';
import type { RunReport } from '../reports/model';
import { airflowPython } from '../targets/airflow-bridge';
import { postgresBinDir, startPostgres, type StartedPostgres } from './support/postgres';
import { runCli, type CliResult } from './support/run-cli';

const run = promisify(execFile);
const VAULT_CLASS = 'airflow.providers.hashicorp.secrets.vault.VaultBackend';
const SM_CLASS = 'airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend';
const scratch = mkdtempSync(join(tmpdir(), 'deployment-tools-'));
const marker = `mrk${randomBytes(6).toString('hex')}`;
const venvMissing = !existsSync(airflowPython());
const airflowBin = join(airflowPython(), '..', 'airflow');

let servers: StartedServers | undefined;
let vaultAddress = '';
let rootToken = '';
let readerToken = '';
let moto: MotoEndpoint;
let admin: ReturnType<typeof NodeVault>;
/** A metastore with a few connections and variables, made once and copied into each deployment. */
let smallMetastore = '';

interface Deployment {
  readonly home: string;
  readonly cfg: string;
  readonly db: string;
}

function cfgText(databaseUrl: string, secrets: string): string {
  return `[core]\nload_examples = False\n\n[database]\nsql_alchemy_conn = ${databaseUrl}\n\n[secrets]\n${secrets}\n`;
}

let deployments = 0;
function deployment(secrets: string, metastore: string | null = smallMetastore, databaseUrl?: string): Deployment {
  deployments += 1;
  const home = join(scratch, `deployment-${deployments}`);
  mkdirSync(home, { recursive: true });
  const db = join(home, 'airflow.db');
  if (metastore) copyFileSync(metastore, db);
  const cfg = join(home, 'airflow.cfg');
  writeFileSync(cfg, cfgText(databaseUrl ?? `sqlite:///${db}`, secrets));
  return { home, cfg, db };
}

function vaultSecrets(kwargs: Record<string, unknown>, extra = ''): string {
  return `backend = ${VAULT_CLASS}\nbackend_kwargs = ${JSON.stringify({ url: vaultAddress, ...kwargs })}\n${extra}`;
}

/** Airflow's own CLI on a deployment: `airflow db migrate`, `connections import`, ... */
async function airflow(d: Deployment, ...args: string[]): Promise<void> {
  await run(airflowBin, args, {
    env: { ...process.env, AIRFLOW_HOME: d.home, AIRFLOW_CONFIG: d.cfg, AIRFLOW__LOGGING__BASE_LOG_FOLDER: join(d.home, 'logs') },
    maxBuffer: 16 * 1024 * 1024,
  });
}

/**
 * Rows written through Airflow's ORM (`Connection(**fields)`, `Variable.set`), in one process. Airflow's
 * Connection registers each password with its secrets masker, which recompiles a pattern of every value
 * so far: n rows cost O(n^2) (`airflow connections import` of 500 takes minutes), so the fill skips it.
 */
const FILL_METASTORE = `
import json, sys
import airflow.models.connection as connection_module
connection_module.mask_secret = lambda *a, **k: None
from airflow.models.connection import Connection
from airflow.models.variable import Variable
from airflow.utils.session import create_session
data = json.load(open(sys.argv[1]))
with create_session() as session:
    for conn_id, fields in data["connections"].items():
        session.add(Connection(conn_id=conn_id, **fields))
for key, value in data["variables"].items():
    Variable.set(key, value)
`;

async function metastoreWith(connections: Record<string, unknown>, variables: Record<string, string>, databaseUrl?: string): Promise<Deployment> {
  const d = deployment('backend =', null, databaseUrl);
  await airflow(d, 'db', 'migrate');
  const rows = join(d.home, 'rows.json');
  writeFileSync(rows, JSON.stringify({ connections, variables }));
  await run(airflowPython(), ['-c', FILL_METASTORE, rows], {
    env: { ...process.env, AIRFLOW_HOME: d.home, AIRFLOW_CONFIG: d.cfg, AIRFLOW__LOGGING__BASE_LOG_FOLDER: join(d.home, 'logs') },
    maxBuffer: 16 * 1024 * 1024,
  });
  rmSync(rows);
  return d;
}

function cli(args: string[], d: Deployment, env: Record<string, string> = {}): Promise<CliResult> {
  return runCli([...args, `--airflow-config=${d.cfg}`], { AIRFLOW_HOME: d.home, ...env }, 400_000);
}

function expectNoValue(result: CliResult): void {
  expect(result.stdout).not.toContain(marker);
  expect(result.stderr).not.toContain(marker);
}

async function tokenWith(policy: string): Promise<string> {
  const answer = (await admin.write('auth/token/create', { policies: [policy], ttl: '1h' })) as { auth: { client_token: string } };
  return answer.auth.client_token;
}

beforeAll(async () => {
  if (venvMissing) return;
  servers = await startServers([vaultServer, motoServer], { provisioning: 'native', logDir: join(scratch, 'servers') });
  const vault = endpointOf(servers.endpoints, vaultServer);
  const started = endpointOf(servers.endpoints, motoServer);
  if (!vault || !started) throw new Error(`servers did not start: ${JSON.stringify(servers.unavailable)}`);
  vaultAddress = vault.address;
  rootToken = vault.rootToken;
  moto = started;
  admin = NodeVault({ endpoint: vaultAddress, token: rootToken });
  await admin.write('sys/mounts/kv1', { type: 'kv', options: { version: '1' } });
  await admin.write('sys/policies/acl/reader', {
    policy:
      'path "secret/data/connections/*" { capabilities = ["read", "list"] }\npath "secret/data/variables/*" { capabilities = ["read"] }\npath "secret/metadata/*" { capabilities = ["list"] }\npath "secret/data/connections/denied*" { capabilities = ["deny"] }',
  });
  readerToken = await tokenWith('reader');
  await admin.write('secret/data/connections/my-db', { data: { conn_uri: `postgres://app:${marker}@db.example:5432/app` } });
  await admin.write('secret/data/connections/vault_db', { data: { conn_uri: `postgres://app:${marker}@db.example:5432/app?sslmode=require` } });
  await admin.write('secret/data/connections/broken', { data: { conn_uri: `postgres://app:${marker}@db.example:notaport/app` } });
  await admin.write('secret/data/connections/denied_db', { data: { conn_uri: `postgres://app:${marker}@db.example/app` } });
  await admin.write('secret/data/variables/my_db', { data: { value: `v-${marker}` } });
  const small = await metastoreWith(
    {
      meta_db: {
        conn_type: 'mysql',
        host: 'mysql.example',
        login: 'me',
        password: `pw-${marker}`,
        port: 3306,
        schema: 's',
        description: 'from the metastore',
      },
    },
    { meta_var: `value-${marker}` },
  );
  smallMetastore = small.db;
}, 300_000);

afterAll(async () => {
  await servers?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe.skipIf(venvMissing && process.env.CI !== 'true')('explain', () => {
  it('a connection that is not found: every backend, the name it read, a near miss and the other kind', async () => {
    const d = deployment(vaultSecrets({ token: readerToken }));
    const result = await cli(['explain', 'my_db'], d);
    expectNoValue(result);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('GET /v1/secret/data/connections/my_db (KV v2)');
    expect(result.stdout).toContain('os.environ["AIRFLOW_CONN_MY_DB"]');
    expect(result.stdout).toMatch(/connection where conn_id = 'my_db'/);
    expect(result.stdout).toMatch(/result: not found; Airflow answers AirflowNotFoundException/);
    expect(result.stdout).toContain('near miss: VaultBackend holds "connections/my-db"');
    expect(result.stdout).toContain('holds a variable under "variables/my_db"');
  }, 400_000);

  it('found in Vault: the winner is marked, the value only masked, the later backends not asked', async () => {
    const d = deployment(vaultSecrets({ token: readerToken }));
    const result = await cli(['explain', 'vault_db', '--show-value'], d);
    expectNoValue(result);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/VaultBackend .*found ◀/);
    expect(result.stdout).toMatch(/EnvironmentVariablesBackend .*not asked/);
    expect(result.stdout).toContain('"password":"***"');
    expect(result.stdout).toContain('db.example');
  }, 400_000);

  it('an env entry under the lower-case name is a near miss of the upper-cased one', async () => {
    const d = deployment('backend =');
    const result = await cli(['explain', 'env_db'], d, { AIRFLOW_CONN_env_db: `postgres://u:${marker}@h/d` });
    expectNoValue(result);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('near miss: EnvironmentVariablesBackend holds "AIRFLOW_CONN_env_db"');
  }, 400_000);

  it('a value that does not parse, and a 403 the provider calls an authentication error', async () => {
    const d = deployment(vaultSecrets({ token: readerToken }));
    const broken = await cli(['explain', 'broken'], d);
    expectNoValue(broken);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/holds connections\/broken but its value does not parse/);
    const denied = await cli(['explain', 'denied_db'], d);
    expectNoValue(denied);
    expect(denied.stdout).toMatch(/error: UnauthorizedError/);
    expect(denied.stdout).toContain('reports every HTTP 403 as "Vault Authentication Error!"');
    expect(denied.stderr.trim().split('\n')).toHaveLength(1);
  }, 400_000);

  it('--repeat with the cache on: figures, and OpenMetrics text a real parser reads', async () => {
    const d = deployment(vaultSecrets({ token: readerToken }, 'use_cache = True\ncache_ttl_seconds = 600'));
    const metrics = join(d.home, 'explain.openmetrics');
    const result = await cli(['explain', 'var:my_db', '--repeat=20', `--openmetrics=${metrics}`], d);
    expectNoValue(result);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/figures over 20 lookups: .* cache hit ratio 0\.95/);
    const parsed = await parseOpenMetrics(metrics);
    expect(parsed).toMatchObject({ airflow_secrets_cache_hit_ratio: 'gauge', airflow_secrets_lookup_duration_seconds: 'summary' });
  }, 400_000);

  it('a server that is down: the failing backend in the trace and one typed line', async () => {
    const d = deployment(`backend = ${VAULT_CLASS}\nbackend_kwargs = {"url": "http://127.0.0.1:9", "token": "t"}`);
    const result = await cli(['explain', 'meta_db'], d);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/VaultBackend .*error: UnavailableError/);
    expect(result.stdout).toMatch(/MetastoreBackend .*found ◀/);
    expect(result.stdout).toContain('only because an earlier backend failed');
    expect(result.stderr).toMatch(/^UnavailableError: VaultBackend failed the lookup/);
  }, 400_000);
});

describe.skipIf(venvMissing && process.env.CI !== 'true')('bad input: a typed line, exit 1, nothing written', () => {
  it('an airflow.cfg that does not parse names the lines, not their text', async () => {
    const d = deployment('backend =');
    writeFileSync(d.cfg, `[core]\nfernet_key ${marker}\n[secrets\n`);
    for (const command of [['explain', 'x'], ['doctor'], ['migrate', '--to=vault']]) {
      const result = await cli(command, d);
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toMatch(/^ConfigurationError: .*does not parse as an ini file at line 2, 3.*hint: /);
      expectNoValue(result);
    }
  }, 400_000);

  it('an unknown backend class', async () => {
    const d = deployment('backend = my_company.secrets.NoSuchBackend');
    const explain = await cli(['explain', 'x'], d);
    expect(explain.code).toBe(1);
    expect(explain.stderr.trim()).toMatch(
      /^ConfigurationError: \[secrets\] backend my_company.secrets.NoSuchBackend does not import: ModuleNotFoundError.*hint: /,
    );
    const doctor = await cli(['doctor'], d);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/ERROR +backend-class +my_company.secrets.NoSuchBackend does not import/);
  }, 400_000);

  it('a metastore that does not exist is not created', async () => {
    const d = deployment('backend =', null);
    for (const command of [
      ['explain', 'x'],
      ['migrate', '--to=vault', `--kwargs={"url":"${vaultAddress}","token":"${rootToken}"}`],
    ]) {
      const result = await cli(command, d);
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toMatch(/^ConfigurationError: the metastore .*airflow\.db does not exist.*hint: /);
    }
    expect(existsSync(d.db)).toBe(false);
    expect(readdirSync(d.home)).toEqual(['airflow.cfg']);
  }, 400_000);

  it('a destination that is down: nothing read or written', async () => {
    const d = deployment('backend =');
    const result = await cli(['migrate', '--to=vault', '--kwargs={"url":"http://127.0.0.1:9","token":"t"}'], d);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/^UnavailableError: .*127\.0\.0\.1:9/);
  }, 400_000);
});

describe.skipIf(venvMissing && process.env.CI !== 'true')('doctor', () => {
  it('a reader with a narrow policy: findings with fixes, exit 0; --json for CI', async () => {
    const d = deployment(vaultSecrets({ token: readerToken }));
    const result = await cli(['doctor'], d, { AIRFLOW_CONN_PLAIN: `postgres://u:${marker}@h/d` });
    expectNoValue(result);
    expect(result.code).toBe(0);
    for (const check of [/OK +server/, /OK +auth +token login works/, /OK +kv-version/, /OK +least-privilege/, /WARNING +tls/, /WARNING +cache/]) {
      expect(result.stdout).toMatch(check);
    }
    expect(result.stdout).toMatch(/WARNING +hard-coded-credentials +backend_kwargs hold credentials in plain text: token/);
    expect(result.stdout).toMatch(/WARNING +plaintext-env +AIRFLOW_CONN_PLAIN holds a password/);
    const json = await cli(['doctor', '--json'], d);
    const report = JSON.parse(json.stdout) as { passed: boolean; findings: Array<{ severity: string; check: string }> };
    expect(report.passed).toBe(true);
    expect(report.findings.some((f) => f.check === 'policy' && f.severity === 'ok')).toBe(true);
  }, 400_000);

  it('errors fail it: a KV version that does not match the mount; a root token reads everything', async () => {
    const d = deployment(vaultSecrets({ token: rootToken, mount_point: 'kv1' }));
    const result = await cli(['doctor'], d);
    expectNoValue(result);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/ERROR +kv-version +mount "kv1" is KV v1 but kv_engine_version is 2/);
    expect(result.stdout).toMatch(/WARNING +least-privilege +the identity can read everything \(root\)/);
  }, 400_000);

  it('a kwarg the class passes to hvac.Client, which does not take it, is an error', async () => {
    const d = deployment(vaultSecrets({ token: readerToken, verify_ssl: true }));
    const result = await cli(['doctor'], d);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/ERROR +kwargs +verify_ssl is passed on to hvac.Client, which does not take it/);
  }, 400_000);

  it('a server that is down is an error', async () => {
    const d = deployment(`backend = ${VAULT_CLASS}\nbackend_kwargs = {"url": "http://127.0.0.1:9", "token": "t"}`);
    const result = await cli(['doctor'], d);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/ERROR +server +Vault at http:\/\/127\.0\.0\.1:9 does not answer/);
  }, 400_000);
});

describe.skipIf(venvMissing && process.env.CI !== 'true')('migrate', () => {
  const count = 500;
  let big: Deployment;

  beforeAll(async () => {
    if (venvMissing) return;
    const connections: Record<string, unknown> = {};
    const variables: Record<string, string> = {};
    for (let i = 0; i < count; i += 1) {
      const id = `${i % 50 === 0 ? 'zz' : 'c'}${String(i).padStart(3, '0')}`;
      connections[id] = {
        conn_type: i % 2 ? 'postgres' : 'http',
        host: `host${i}.example`,
        login: `user${i}`,
        password: `p@ss/${marker}:${i}`,
        port: 5000 + i,
        schema: `db${i}`,
        extra: JSON.stringify({ index: i, nested: { token: `${marker}${i}` } }),
        description: `connection ${i}`,
      };
      variables[`var_${i}`] = i % 7 ? `value ${marker} ${i}` : JSON.stringify({ i, marker });
    }
    big = await metastoreWith(connections, variables);
  }, 600_000);

  it(`${count} connections and ${count} variables into Vault: verified through Airflow, resumable, then idempotent`, async () => {
    await admin.write('sys/mounts/migrated', { type: 'kv', options: { version: '2' } });
    await admin.write('sys/policies/acl/writer-partial', {
      policy:
        'path "migrated/*" { capabilities = ["create", "read", "update", "list"] }\npath "migrated/data/connections/zz*" { capabilities = ["deny"] }',
    });
    const partialToken = await tokenWith('writer-partial');
    const destination = (token: string) => `--kwargs=${JSON.stringify({ url: vaultAddress, token, mount_point: 'migrated' })}`;
    const report = join(big.home, 'migrate-report.json');

    const dry = await cli(['migrate', '--to=vault', destination(rootToken), '--dry-run'], big);
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`would move ${2 * count}`);
    // A mount with nothing in it answers LIST with 404.
    await expect(admin.list('migrated/metadata/')).rejects.toThrow(/404/);

    const partial = await cli(['migrate', '--to=vault', destination(partialToken)], big);
    expectNoValue(partial);
    expect(partial.code).toBe(1);
    expect(partial.stdout).toMatch(new RegExp(`moved ${2 * count - 10}, unchanged 0, differs 0, skipped 0, failed 10; verified ${2 * count - 10}`));
    expect(partial.stderr).toContain('run the same command again to resume');

    const resumed = await cli(['migrate', '--to=vault', destination(rootToken), `--report=${report}`], big);
    expectNoValue(resumed);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(
      new RegExp(`moved 10, unchanged ${2 * count - 10}, differs 0, skipped 0, failed 0; verified ${2 * count} of ${2 * count}`),
    );
    const figures = JSON.parse(readFileSync(report, 'utf8')) as { totalMs: number; verified: number };
    expect(readFileSync(report, 'utf8')).not.toContain(marker);

    const again = await cli(['migrate', '--to=vault', destination(rootToken)], big);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to do: the store already holds every item');

    // Read through the deployment's own Airflow, as its scheduler would.
    const reader = deployment(vaultSecrets({ token: rootToken, mount_point: 'migrated' }), big.db);
    const explained = await cli(['explain', 'c001'], reader);
    expect(explained.stdout).toMatch(/VaultBackend .*GET \/v1\/migrated\/data\/connections\/c001 .*found ◀/);
    process.stdout.write(
      `migrate: ${2 * count} items into Vault in ${(figures.totalMs / 1000).toFixed(1)} s, ${figures.verified} verified through VaultBackend\n`,
    );
  }, 900_000);

  it('into Secrets Manager and Parameter Store, in the layout each provider class reads', async () => {
    const small = deployment('backend =');
    const aws = {
      endpoint_url: moto.endpoint,
      region_name: moto.region,
      aws_access_key_id: moto.accessKeyId,
      aws_secret_access_key: moto.secretAccessKey,
    };
    const sm = await cli(
      ['migrate', '--to=aws-sm', `--kwargs=${JSON.stringify({ ...aws, connections_prefix: 'mig/connections', variables_prefix: 'mig/variables' })}`],
      small,
    );
    expectNoValue(sm);
    expect(sm.code).toBe(0);
    expect(sm.stdout).toContain('moved 2, unchanged 0');
    expect(sm.stdout).toContain('verified 2 of 2');
    expect(sm.stdout).toContain('cannot read back description');
    const ssm = await cli(['migrate', '--to=aws-ssm', `--kwargs=${JSON.stringify(aws)}`], small);
    expectNoValue(ssm);
    expect(ssm.code).toBe(0);
    expect(ssm.stdout).toContain('verified 2 of 2');
    const reader = deployment(`backend = ${SM_CLASS}\nbackend_kwargs = ${JSON.stringify({ ...aws, connections_prefix: 'mig/connections' })}`);
    const explained = await cli(['explain', 'meta_db'], reader);
    expect(explained.stdout).toMatch(/SecretsManagerBackend .*GetSecretValue SecretId=mig\/connections\/meta_db .*found ◀/);
  }, 400_000);
});

describe.skipIf(venvMissing || postgresBinDir() === null)('a PostgreSQL metastore', () => {
  let postgres: StartedPostgres | undefined;
  let pg: Deployment;

  beforeAll(async () => {
    postgres = await startPostgres(mkdtempSync(join(tmpdir(), 'deployment-tools-pg-')));
    await postgres.createDatabase('airflow');
    pg = await metastoreWith(
      {
        pg_db: {
          conn_type: 'postgres',
          host: 'pg.example',
          login: 'pg',
          password: `pg-${marker}`,
          port: 5432,
          schema: 'app',
          description: 'in postgres',
        },
      },
      { pg_var: `pg-value-${marker}` },
      postgres.url('airflow'),
    );
  }, 300_000);

  afterAll(async () => {
    await postgres?.stop();
  });

  it('explain reads it through Airflow, migrate copies it into Vault and verifies it', async () => {
    const explained = await cli(['explain', 'pg_db'], pg);
    expectNoValue(explained);
    expect(explained.code).toBe(0);
    expect(explained.stdout).toMatch(
      /MetastoreBackend +connection where conn_id = 'pg_db' \(postgresql\+psycopg2:\/\/airflow@127\.0\.0\.1:\d+\/airflow\) +found ◀/,
    );
    await admin.write('sys/mounts/pgmig', { type: 'kv', options: { version: '2' } });
    const migrated = await cli(
      ['migrate', '--to=vault', `--kwargs=${JSON.stringify({ url: vaultAddress, token: rootToken, mount_point: 'pgmig' })}`],
      pg,
    );
    expectNoValue(migrated);
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toContain('source: 1 connections, 1 variables');
    expect(migrated.stdout).toContain('verified 2 of 2 through Airflow');
  }, 400_000);

  it('a database that does not exist: one typed line, exit 1', async () => {
    const missing = deployment('backend =', null, postgres?.url('no_such_database'));
    const result = await cli(
      ['migrate', '--to=vault', `--kwargs=${JSON.stringify({ url: vaultAddress, token: rootToken, mount_point: 'pgmig' })}`],
      missing,
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/^ConfigurationError: the metastore: .*database "no_such_database" does not exist/);
  }, 400_000);
});

async function parseOpenMetrics(path: string): Promise<Record<string, string>> {
  const script =
    'import json, sys\nfrom prometheus_client.openmetrics.parser import text_string_to_metric_families\n' +
    'print(json.dumps({f.name: f.type for f in text_string_to_metric_families(open(sys.argv[1]).read())}))';
  const { stdout } = await run(airflowPython(), ['-c', script, path]);
  return JSON.parse(stdout) as Record<string, string>;
}

describe.skipIf(venvMissing && process.env.CI !== 'true')('a conformance run as OpenMetrics', () => {
  it('latency, requests per lookup, errors by class and cases by status, read by prometheus_client', async () => {
    const report = {
      cases: [
        { target: 'vault-kv2', status: 'pass', metrics: [] },
        { target: 'vault-kv2', status: 'fail', error: 'ForbiddenError: variable "x": 403', metrics: [] },
      ],
      figures: [
        {
          target: 'vault-kv2',
          lookupLatencyMs: { samples: 12, p50: 6.3, p95: 14.1, p99: 14.1, max: 15 },
          faults: [],
          requestsPer: { 'cold connection lookup': 2 },
          rotation: {},
        },
      ],
    } as unknown as RunReport;
    const path = join(scratch, 'run.openmetrics');
    writeFileSync(path, renderRunOpenMetrics(report));
    expect(await parseOpenMetrics(path)).toEqual({
      asc_lookup_latency_seconds: 'summary',
      asc_requests_per_lookup: 'gauge',
      asc_case_errors: 'counter',
      asc_cases: 'gauge',
    });
    expect(readFileSync(path, 'utf8')).toContain('asc_case_errors_total{target="vault-kv2",error_class="ForbiddenError"} 1');
  });
});
