/**
 * Certifying your own backend, as a user does it: `secrets-conformance test` in a child process
 * with its own reports folder. The two worked examples pass every case they can run; the broken
 * example fails, naming the cases and why; an airflow.cfg with malformed kwargs runs as Airflow
 * would run it and is flagged; a wrong module path is one line, no stack trace. On the Vault
 * layout, where a bad token and a denying policy are both a 403, a custom backend is held to
 * Airflow's rule (an auth failure propagates, never "not found"), not to telling the two apart.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { ENVIRONMENT_VARIABLES_BACKEND_CLASS as ENVIRONMENT_VARIABLES_BACKEND } from '../backends/env/airflow-twin';
import { airflowPython } from '../targets/airflow-bridge';
import { AIRFLOW_SEARCH_PATH_IMPLEMENTATION } from '../targets/airflow-search-path';
import { REFERENCE_SEARCH_PATH_IMPLEMENTATION } from '../suites/case-context';
import type { RunReport } from '../reports/model';
import { onlyRunDir, readRunReport, runCli } from './support/run-cli';

const RUN_TIMEOUT_MS = 240_000;
const PYTHON_EXAMPLE_COMMAND = [
  '.cache/airflow-venv/bin/python bridge/airflow_bridge.py',
  '--sys-path examples/custom-python-backend --backend prefixed_env_backend.PrefixedEnvironmentBackend',
  '--kwarg connections_prefix=AIRFLOW_CONN_ --kwarg variables_prefix=AIRFLOW_VAR_ --layout env',
].join(' ');

function reportsDir(): string {
  return mkdtempSync(join(tmpdir(), 'custom-backends-reports-'));
}

function requireAirflow(context: TestContext): void {
  if (existsSync(airflowPython())) return;
  const note = `not run: the Airflow venv is missing at ${airflowPython()}; run bash install/airflow.sh`;
  if (process.env.CI === 'true') throw new Error(note);
  context.skip(note);
}

async function certify(args: string[]) {
  const reports = reportsDir();
  const result = await runCli(['test', ...args, `--reports-dir=${reports}`], {}, RUN_TIMEOUT_MS);
  const report = existsSync(join(reports, 'latest')) ? await readRunReport(await onlyRunDir(reports)) : null;
  return { ...result, report };
}

describe('certifying custom backends through the runner', () => {
  it('the TypeScript example module passes', { timeout: RUN_TIMEOUT_MS }, async () => {
    const run = await certify(['--backend=./examples/custom-typescript-backend/json-file-backend.ts']);
    expect(run.code, run.stderr).toBe(0);
    const cases = run.report!.cases.filter((c) => c.target === 'custom:json-file-backend');
    expect(cases.filter((c) => c.status === 'pass').length).toBeGreaterThan(150);
    expect(cases.filter((c) => c.status === 'fail')).toEqual([]);
    expect(run.report!.targets.map((t) => t.name)).toEqual(['custom:json-file-backend']);
    // A backend in this process: its chain and cache cases run our reference search path.
    expect(new Set(cases.filter((c) => c.suite === 'caching').map((c) => c.searchPath))).toEqual(new Set([REFERENCE_SEARCH_PATH_IMPLEMENTATION]));
  });

  it('the Python example, a BaseSecretsBackend subclass run through the bridge, passes', { timeout: RUN_TIMEOUT_MS }, async (context) => {
    requireAirflow(context);
    const run = await certify([`--backend-command=${PYTHON_EXAMPLE_COMMAND}`]);
    expect(run.code, run.stderr).toBe(0);
    const cases = run.report!.cases.filter((c) => c.target === 'custom:PrefixedEnvironmentBackend');
    expect(cases.filter((c) => c.status === 'pass').length).toBeGreaterThan(150);
    // The naming cases change this process's environment directly: the bridge must see it mirrored.
    expect(cases.filter((c) => c.suite === 'naming' && c.status === 'pass')).toHaveLength(4);
    expect(cases.filter((c) => c.status === 'fail')).toEqual([]);
    // The command is the Airflow bridge: its chain and cache cases run Airflow's own search path.
    const chained = cases.filter((c) => c.suite === 'lookup-order' || c.suite === 'caching');
    expect(new Set(chained.filter((c) => c.status === 'pass').map((c) => c.searchPath))).toEqual(new Set([AIRFLOW_SEARCH_PATH_IMPLEMENTATION]));
  });

  it('the broken example fails, naming each broken rule and why', { timeout: RUN_TIMEOUT_MS }, async () => {
    const run = await certify(['--backend=./examples/broken-custom-backend/broken-env-backend.ts']);
    expect(run.code).toBe(1);
    const failed = run.report!.cases.filter((c) => c.status === 'fail');
    // Its own four empty-value and ß cases, and every case whose seeded id holds a non-ASCII letter
    // (ids take every shape the store holds), which ASCII-only upper-casing looks up under the wrong name.
    const names = failed.map((c) => `${c.suite} › ${c.case}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'formats › a variable holding empty string round-trips',
        'lookup-order › an empty variable in the target stops the search',
        'naming › upper-casing is Unicode-aware like Python (ß becomes SS)',
        'retrieval › an empty variable is found as the empty string',
      ]),
    );
    expect(names.length).toBeGreaterThan(4);
    for (const conformanceCase of failed) {
      expect(conformanceCase.error, conformanceCase.case).toMatch(
        /value differs|fields differ|got not found|got a value \(null\)|reached the backend/,
      );
    }
    expect(run.stdout).toContain('✗ custom:broken-env-backend › naming › upper-casing is Unicode-aware like Python (ß becomes SS)');
    expect(run.stdout).toContain('rule: §4 str.upper() is Unicode-aware');
    expect(run.stderr).toMatch(new RegExp(`FAIL: ${failed.length} conformance cases failed`));
  });

  it(
    'an airflow.cfg with malformed backend_kwargs runs without kwargs, as Airflow does, and is flagged',
    { timeout: RUN_TIMEOUT_MS },
    async (context) => {
      requireAirflow(context);
      const folder = mkdtempSync(join(tmpdir(), 'custom-backends-cfg-'));
      const cfg = join(folder, 'airflow.cfg');
      writeFileSync(cfg, `[secrets]\nbackend = ${ENVIRONMENT_VARIABLES_BACKEND}\nbackend_kwargs = {"connections_prefix": "x",\n`);
      const run = await certify([`--airflow-config=${cfg}`, '--suite=retrieval,naming']);
      expect(run.code, run.stderr).toBe(0);
      const target = run.report!.targets.find((t) => t.name === 'airflow-cfg:EnvironmentVariablesBackend');
      expect(target?.backendKind).toBe(`${ENVIRONMENT_VARIABLES_BACKEND} [backend_kwargs ignored: not a JSON object]`);
      expect(target?.description).toMatchObject({
        origin: 'custom',
        flags: ['Airflow: Failed to parse [secrets] backend_kwargs as JSON, defaulting to no kwargs.'],
      });
      expect(run.report!.cases.filter((c) => c.status === 'pass').length).toBeGreaterThan(10);
    },
  );

  it('a module path that does not exist is one line with a hint, no stack trace', { timeout: RUN_TIMEOUT_MS }, async () => {
    const run = await certify(['--backend=./examples/no-such-backend.ts']);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toMatch(/^ConfigurationError: backend module \.\/examples\/no-such-backend\.ts: file not found .*; hint: /);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('custom Vault backends and the 403 Vault answers to both refusals', () => {
  const correct = 'custom:refusals-unauthorized-vault';
  const broken = 'custom:policy-denial-not-found';
  const auth = (report: RunReport, target: string) => report.cases.filter((c) => c.target === target && c.suite === 'auth');

  it(
    'every 403 read as Unauthorized passes the auth cases with a note; a denial read as not found fails',
    { timeout: RUN_TIMEOUT_MS },
    async (context) => {
      const run = await certify([
        '--backend=./test/fixtures/custom-backends/refusals-unauthorized-vault.ts,./test/fixtures/broken-backends/policy-denial-not-found.ts',
        '--suite=auth',
      ]);
      const report = run.report!;
      const notRun = report.targets.find((t) => t.status === 'not-run');
      if (notRun) context.skip(notRun.notRunReason ?? 'not run: the Vault server did not start');
      expect(run.code).toBe(1);
      const passed = auth(report, correct);
      expect(passed.map((c) => [c.case, c.status])).toEqual(passed.map((c) => [c.case, 'pass']));
      const denied = passed.find((c) => c.case === 'a policy without read is Forbidden, never not found');
      expect(denied?.status).toBe('pass');
      expect(denied?.notes?.join(' ')).toMatch(/UnauthorizedError where ForbiddenError was expected.*"bad credentials" while the policy is at fault/);
      expect(passed.find((c) => c.case === 'wrong credentials are Unauthorized, never not found')?.notes).toBeUndefined();
      const failed = auth(report, broken).filter((c) => c.status === 'fail');
      expect(failed.map((c) => c.case)).toContain('a policy without read is Forbidden, never not found');
      expect(failed.find((c) => c.case === 'a policy without read is Forbidden, never not found')?.error).toMatch(/got a value \(null\)/);
    },
  );
});

describe('a subclass of a provider class, certified on its layout through the bridge', () => {
  const SUBCLASS_COMMAND = [
    '.cache/airflow-venv/bin/python bridge/airflow_bridge.py',
    '--sys-path test/fixtures/provider_subclasses --backend provider_subclasses.CountingKubernetesBackend --layout kubernetes',
  ].join(' ');

  it('gets the family handling of the provider class (the in-cluster kwargs) and passes', { timeout: RUN_TIMEOUT_MS }, async (context) => {
    requireAirflow(context);
    const run = await certify([`--backend-command=${SUBCLASS_COMMAND}`, '--suite=retrieval']);
    const report = run.report!;
    const notRun = report.targets.find((t) => t.status === 'not-run');
    if (notRun) context.skip(notRun.notRunReason ?? 'not run: the kube-apiserver did not start');
    expect(run.code, run.stderr).toBe(0);
    const cases = report.cases.filter((c) => c.target === 'custom:CountingKubernetesBackend');
    expect(cases.filter((c) => c.status === 'fail')).toEqual([]);
    expect(cases.filter((c) => c.status === 'pass').length).toBeGreaterThan(10);
  });
});
