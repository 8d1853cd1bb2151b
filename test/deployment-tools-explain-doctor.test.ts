/**
 * `explain` and `doctor` end to end on real deployments (an airflow.cfg, a metastore made by Airflow
 * itself) against a real Vault, with the CLI run as a user runs it; what each does with bad input; and
 * the OpenMetrics text `explain --repeat` and a conformance run write, read by prometheus_client.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { renderRunOpenMetrics } from '../reports/openmetrics';
import type { RunReport } from '../reports/model';
import { airflowPython } from '../targets/airflow-bridge';
import { useDeploymentWorld, VAULT_CLASS } from './support/deployment-world';

const run = promisify(execFile);
const world = useDeploymentWorld();
const { scratch, marker, venvMissing, deployment, vaultSecrets, cli, expectNoValue } = world;

describe.skipIf(venvMissing && process.env.CI !== 'true')('explain', () => {
  it('a connection that is not found: every backend, the name it read, a near miss and the other kind', async () => {
    const d = deployment(vaultSecrets({ token: world.readerToken }));
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
    const d = deployment(vaultSecrets({ token: world.readerToken }));
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
    const d = deployment(vaultSecrets({ token: world.readerToken }));
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
    const d = deployment(vaultSecrets({ token: world.readerToken }, 'use_cache = True\ncache_ttl_seconds = 600'));
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
      ['migrate', '--to=vault', `--kwargs={"url":"${world.vaultAddress}","token":"${world.rootToken}"}`],
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
    const d = deployment(vaultSecrets({ token: world.readerToken }));
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
    const d = deployment(vaultSecrets({ token: world.rootToken, mount_point: 'kv1' }));
    const result = await cli(['doctor'], d);
    expectNoValue(result);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/ERROR +kv-version +mount "kv1" is KV v1 but kv_engine_version is 2/);
    expect(result.stdout).toMatch(/WARNING +least-privilege +the identity can read everything \(root\)/);
  }, 400_000);

  it('a kwarg the class passes to hvac.Client, which does not take it, is an error', async () => {
    const d = deployment(vaultSecrets({ token: world.readerToken, verify_ssl: true }));
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
