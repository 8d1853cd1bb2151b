/**
 * Custom backends with the bugs people really write, certified from the outside as a user would
 * (TypeScript modules, and Airflow `BaseSecretsBackend` subclasses through the bridge): each must
 * fail, on a named case, with a message that says what the backend did wrong.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, type TestContext } from 'vitest';
import type { CaseReport, RunReport } from '../reports/model';
import { airflowPython } from '../targets/airflow-bridge';
import { MAX_TIMEOUTS } from '../suites/case-guards';
import { onlyRunDir, readRunReport, runCli, type CliResult } from './support/run-cli';

const RUN_TIMEOUT_MS = 600_000;
const MODULES = 'test/fixtures/broken-backends';

function python(className: string, layout: string): string {
  return `--backend-command=.cache/airflow-venv/bin/python bridge/airflow_bridge.py --sys-path test/fixtures/broken_backends --backend broken_backends.${className} --layout ${layout}`;
}

interface Certified {
  readonly cli: CliResult;
  readonly report: RunReport;
  readonly runDir: string;
}

async function certify(args: string[]): Promise<Certified> {
  const reports = mkdtempSync(join(tmpdir(), 'broken-backends-'));
  const cli = await runCli(['test', ...args, `--reports-dir=${reports}`], { CI: 'false' }, RUN_TIMEOUT_MS);
  const runDir = await onlyRunDir(reports);
  return { cli, report: await readRunReport(runDir), runDir };
}

function failed(report: RunReport, target: string): CaseReport[] {
  return report.cases.filter((c) => c.target === target && c.status === 'fail');
}

function failedCase(report: RunReport, target: string, suiteAndCase: string): CaseReport {
  const found = failed(report, target).find((c) => `${c.suite} › ${c.case}` === suiteAndCase);
  expect(
    found,
    `${target} fails "${suiteAndCase}" (it failed: ${failed(report, target)
      .map((c) => c.case)
      .join('; ')})`,
  ).toBeDefined();
  return found as CaseReport;
}

function requireAirflow(context: TestContext): void {
  if (existsSync(airflowPython())) return;
  if (process.env.CI === 'true') throw new Error(`not run: the Airflow venv is missing at ${airflowPython()}`);
  context.skip(`not run: the Airflow venv is missing at ${airflowPython()}; run npm run servers:install`);
}

describe('broken custom backends on the file and environment layouts', () => {
  let run: Certified;
  beforeAll(async () => {
    if (!existsSync(airflowPython())) return;
    run = await certify([
      `--backend=./${MODULES}/lax-port.ts,./${MODULES}/extra-twice.ts,./${MODULES}/extra-object.ts,./${MODULES}/lower-cases-ids.ts`,
      python('ValueLoggingBackend', 'env'),
      python('KeyErrorBackend', 'env'),
      python('FailingConstructorBackend', 'env'),
      python('HangingBackend', 'env'),
      '--suite=retrieval,not-found,format-errors',
    ]);
  }, RUN_TIMEOUT_MS);

  it('the run fails', (context) => {
    requireAirflow(context);
    expect(run.cli.code).toBe(1);
    expect(run.report.verdict.passed).toBe(false);
  });

  it('a port read with parseInt ("5432abc" as 5432) fails the port rules', (context) => {
    requireAirflow(context);
    failedCase(run.report, 'custom:lax-port', 'format-errors › a port with letters after its digits is a ConnectionFormatError');
    failedCase(run.report, 'custom:lax-port', 'format-errors › a JSON port with letters after its digits is a ConnectionFormatError');
  });

  it('an extra serialised twice fails the field comparison', (context) => {
    requireAirflow(context);
    expect(failedCase(run.report, 'custom:extra-twice', 'retrieval › a connection stored as JSON comes back with every field').error).toMatch(
      /extra/,
    );
  });

  it('an extra handed back as an object is named as such', (context) => {
    requireAirflow(context);
    const cases = failed(run.report, 'custom:extra-object');
    expect(cases.length).toBeGreaterThan(0);
    expect(cases.some((c) => /extra as an object/.test(c.error ?? ''))).toBe(true);
  });

  it('ids looked up lower-cased miss the ids the store holds', (context) => {
    requireAirflow(context);
    expect(failed(run.report, 'custom:lower-cases-ids').length).toBeGreaterThan(0);
  });

  it('a backend that logs values at INFO leaks into its log: the canary fails the run everywhere', async (context) => {
    requireAirflow(context);
    const leaks = run.report.canary.leaks ?? [];
    expect(leaks.some((leak) => leak.includes('commands/'))).toBe(true);
    expect(run.report.verdict.problems.join(' ')).toMatch(/seeded secret value leaked/);
    const junit = await readFile(join(run.runDir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testsuite name="canary scan" tests="1" failures="1"/);
    const certificate = await readFile(join(run.runDir, 'certificate.md'), 'utf8');
    expect(certificate).toMatch(/Run verdict: \*\*FAIL\*\*/);
    expect(run.cli.stdout.trimEnd().split('\n').at(-1)).toMatch(/^Result: FAIL/);
  });

  it('a KeyError for a missing id is named as what the backend did, not as a malformed value', (context) => {
    requireAirflow(context);
    const missing = failedCase(run.report, 'custom:KeyErrorBackend', 'not-found › a missing variable is not found');
    expect(missing.error).toMatch(/KeyError/);
    expect(missing.error).not.toMatch(/ConnectionFormatError/);
  });

  it('a constructor that refuses its kwargs is a configuration error naming the constructor', (context) => {
    requireAirflow(context);
    const cases = failed(run.report, 'custom:FailingConstructorBackend');
    expect(cases.length).toBeGreaterThan(0);
    expect(cases.every((c) => /ConfigurationError/.test(c.error ?? '') && !/UnavailableError/.test(c.error ?? ''))).toBe(true);
  });

  it('a backend that hangs is stopped after three timeouts in a row, with a verdict saying so', (context) => {
    requireAirflow(context);
    const cases = failed(run.report, 'custom:HangingBackend');
    expect(cases.some((c) => /hangs: 3 lookups in a row timed out/.test(c.error ?? ''))).toBe(true);
    // Stopped: the run did not wait out a timeout for each of its cases.
    const waited = run.report.cases.filter((c) => c.target === 'custom:HangingBackend' && c.durationMs > 10_000);
    expect(waited.length).toBeLessThanOrEqual(4);
  });
});

describe('broken custom backends that build their connection fields themselves', () => {
  let run: Certified;
  beforeAll(async () => {
    run = await certify([`--backend=./${MODULES}/extra-encoded-again.ts,./${MODULES}/port-kept-as-text.ts`, '--suite=formats,format-errors']);
  }, RUN_TIMEOUT_MS);

  it('the run fails', () => {
    expect(run.cli.code).toBe(1);
    expect(run.report.verdict.passed).toBe(false);
  });

  it('an extra stored as JSON text and json-encoded again fails the structured formats cases', () => {
    const twice = failedCase(
      run.report,
      'custom:extra-encoded-again',
      'formats › structured connection fields (extra as JSON text) holding plain letters and digits round-trip',
    );
    expect(twice.error).toMatch(/extra/);
    // The same value with extra as an object, dumped once, is right.
    expect(failed(run.report, 'custom:extra-encoded-again').map((c) => c.case)).not.toContain(
      'structured connection fields holding plain letters and digits round-trip',
    );
  });

  it('a port kept as the stored text is the backend raising nothing, not a ConnectionFormatError it raised', () => {
    for (const shape of ['letters after its digits', 'letters before its digits', 'a float written as text', 'a space inside its digits']) {
      const found = failedCase(run.report, 'custom:port-kept-as-text', `format-errors › a JSON port with ${shape} is a ConnectionFormatError`);
      expect(found.error).toMatch(/raised nothing.*port as a str/);
    }
    failedCase(run.report, 'custom:port-kept-as-text', 'format-errors › a port with letters after its digits is a ConnectionFormatError');
  });
});

describe('a custom backend that hangs on some ids only', () => {
  let run: Certified;
  beforeAll(async () => {
    run = await certify([`--backend=./${MODULES}/hangs-on-slash.ts`, '--suite=retrieval,not-found']);
  }, RUN_TIMEOUT_MS);

  it('is stopped by the cap on scattered timeouts, with a verdict in every report and one console line', async () => {
    const target = 'custom:hangs-on-slash';
    const cases = run.report.cases.filter((c) => c.target === target);
    const timedOut = cases.filter((c) => /did not finish within/.test(c.error ?? ''));
    const stopped = cases.filter((c) => /^TimeoutError: hangs: \d+ of \d+ lookups timed out/.test(c.error ?? ''));
    const [, count, lookups] = /hangs: (\d+) of (\d+) lookups timed out/.exec(stopped[0]?.error ?? '') ?? [];
    // Scattered: the backend answered between its hangs, and was stopped before the last case.
    expect(Number(count)).toBe(timedOut.length);
    expect(timedOut.length).toBeGreaterThan(0);
    expect(timedOut.length).toBeLessThanOrEqual(MAX_TIMEOUTS);
    expect(Number(lookups)).toBeGreaterThan(timedOut.length);
    expect(cases.filter((c) => c.status === 'pass').length).toBe(Number(lookups) - timedOut.length);
    expect(stopped.length).toBeGreaterThan(0);
    expect(stopped.every((c) => c.status === 'fail')).toBe(true);
    expect(run.cli.code).toBe(1);
    expect(run.report.verdict.passed).toBe(false);
    const verdict = stopped[0]?.error ?? '';
    const consoleLines = run.cli.stdout.split('\n').filter((line) => line.includes('lookups timed out'));
    expect(consoleLines).toEqual([`  ✗ ${target}: ${stopped.length} cases stopped: ${verdict}`]);
    expect(await readFile(join(run.runDir, 'summary.md'), 'utf8')).toContain(verdict.slice(0, 60));
    expect(await readFile(join(run.runDir, 'certificate.md'), 'utf8')).toContain(verdict.slice(0, 60));
  });
});

describe('broken custom backends on the Vault layout', () => {
  let run: Certified;
  beforeAll(async () => {
    if (!existsSync(airflowPython())) return;
    run = await certify([`--backend=./${MODULES}/ignores-kv-version.ts`, python('ForbiddenAsNotFoundVault', 'vault'), '--suite=retrieval,auth']);
  }, RUN_TIMEOUT_MS);

  it('ignoring kv_engine_version passes on KV v2 and fails on the KV v1 variant of the store', (context) => {
    requireAirflow(context);
    expect(failed(run.report, 'custom:ignores-kv-version')).toEqual([]);
    expect(failed(run.report, 'custom:ignores-kv-version@vault-kv1').length).toBeGreaterThan(0);
  });

  it('reading an authentication failure as "not found" fails the auth scenarios', (context) => {
    requireAirflow(context);
    failedCase(run.report, 'custom:ForbiddenAsNotFoundVault', 'auth › wrong credentials are Unauthorized, never not found');
  });
});
