import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EMBEDDED_DEFAULT, parseFlags, planRun } from '../cli/test-command';
import { UsageError } from '../cli/usage-error';
import { buildRegistry, isMutantTarget } from '../runner/run-selection';
import { onlyRunDir, readRunReport, runCli } from './support/run-cli';

const scratch: string[] = [];
async function freshReportsDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'asc-runner-test-'));
  scratch.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

const registry = buildRegistry();
const { targets, suites } = registry;
const familyMembers = (family: string) => targets.filter((t) => t.family === family).map((t) => t.name);
/** Runs spawn vitest; on a loaded 2-core machine (the full `npm test`) they take far longer than alone. */
const SUB_RUN = { timeout: 240_000 };
/** One suite is enough to prove selection and verdicts, and keeps each sub-run short. */
const oneSuite = `--suite=${suites[0]?.id ?? 'retrieval'}`;

describe('secrets-conformance test: usage errors', () => {
  it('exits 2 on an unknown backend, with one line naming it and every known target and family', SUB_RUN, async () => {
    const result = await runCli(['test', '--backend=env,no-such-backend']);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^UsageError: unknown backend "no-such-backend"; known targets: /);
    const realTargets = targets.filter((t) => !isMutantTarget(t));
    for (const target of realTargets) expect(lines[0]).toContain(target.name);
    expect(lines[0]).toContain(`families: ${[...new Set(realTargets.map((t) => t.family))].join(', ')}`);
    expect(result.stdout).not.toContain('RUN');
  });

  it('lists the mutants when a mutant name is mistyped', SUB_RUN, async () => {
    const result = await runCli(['run', '--backend=mutant:no-such-mutant']);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^UsageError: unknown backend "mutant:no-such-mutant"; known mutants: /);
    for (const mutant of targets.filter(isMutantTarget)) expect(lines[0]).toContain(mutant.name);
  });

  it('exits 2 on an unknown option instead of passing it to vitest', SUB_RUN, async () => {
    const result = await runCli(['run', '--bakend=env']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^UsageError: unknown option --bakend/)]);
  });

  it('rejects a bad --provision and an empty --backend', () => {
    expect(() => parseFlags('test', ['--provision=kubernetes'])).toThrow(UsageError);
    expect(() => parseFlags('test', ['--backend='])).toThrow(UsageError);
    expect(() => parseFlags('test', ['--suite'])).toThrow(UsageError);
  });
});

describe('secrets-conformance test: selection', () => {
  const plan = (mode: 'test' | 'run', args: string[]) => planRun(mode, parseFlags(mode, args), registry, {}, tmpdir());

  it('expands a family into its members and keeps names in order without duplicates', () => {
    expect(familyMembers('local')).toEqual(['local-json', 'local-yaml', 'local-env']);
    expect(plan('test', ['--backend=local']).run.targets).toEqual(familyMembers('local'));
    expect(plan('test', ['--backend', 'local-yaml,env', '--backend=local-yaml']).run.targets).toEqual(['local-yaml', 'env']);
  });

  it('runs only the conformance project when --backend is given', () => {
    const { run, vitestArgs } = plan('test', ['--backend=env']);
    expect(run.includesUnitTests).toBe(false);
    expect(vitestArgs).toEqual(expect.arrayContaining(['--project', 'conformance']));
  });

  it('test without --backend: the unit tests and every target except the mutants', () => {
    const { run, vitestArgs } = plan('test', []);
    expect(run.includesUnitTests).toBe(true);
    expect(vitestArgs).not.toContain('--project');
    expect(run.targets).toEqual(targets.filter((t) => !isMutantTarget(t)).map((t) => t.name));
    expect(run.targets?.some((name) => name.startsWith('mutant:'))).toBe(false);
  });

  it('run without --backend: the embedded default, env and the local family', () => {
    const { run } = plan('run', []);
    expect(EMBEDDED_DEFAULT).toEqual(['env', 'local']);
    expect(run.targets).toEqual(['env', ...familyMembers('local')]);
    expect(run.includesUnitTests).toBe(false);
  });

  it('a real run of one target reports that target only', SUB_RUN, async () => {
    const reports = await freshReportsDir();
    const result = await runCli(['test', '--backend=local-yaml', oneSuite, `--reports-dir=${reports}`]);
    const report = await readRunReport(await onlyRunDir(reports));
    expect(report.selection.targets).toEqual(['local-yaml']);
    expect(report.selection.suites).toEqual([oneSuite.slice('--suite='.length)]);
    expect(new Set(report.cases.map((c) => c.suite))).toEqual(new Set(report.selection.suites));
    expect(report.targets.map((t) => t.name)).toEqual(['local-yaml']);
    expect(new Set(report.cases.map((c) => c.target))).toEqual(new Set(['local-yaml']));
    expect(report.unitTests).toBeNull();
    expect(result.stdout).toContain('Conformance matrix');
    expect(result.code).toBe(report.verdict.passed ? 0 : 1);
  });
});

describe('secrets-conformance test: verdicts', () => {
  it('zero executed cases is a failure, not a pass', SUB_RUN, async () => {
    const reports = await freshReportsDir();
    const result = await runCli(['run', '--case=no case is called this 7c1f', `--reports-dir=${reports}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('zero conformance cases executed');
    const report = await readRunReport(await onlyRunDir(reports));
    expect(report.verdict).toMatchObject({ passed: false, executedCases: 0 });
  });

  const serverTarget = targets.find((t) => t.servers.length > 0 && !isMutantTarget(t));

  it('a target whose servers cannot start prints "not run:" and fails the run only under CI=true', SUB_RUN, async (ctx) => {
    if (!serverTarget) return ctx.skip('not run: no registered target needs a server yet');
    const args = (reports: string) => ['test', `--backend=env,${serverTarget.name}`, oneSuite, '--provision=docker', `--reports-dir=${reports}`];
    const [localReports, ciReports] = [await freshReportsDir(), await freshReportsDir()];
    const [local, ci] = await Promise.all([runCli(args(localReports), { CI: 'false' }), runCli(args(ciReports), { CI: 'true' })]);

    const localReport = await readRunReport(await onlyRunDir(localReports));
    const status = localReport.targets.find((t) => t.name === serverTarget.name)?.status;
    if (status === 'ran') ctx.skip('not run: a Docker engine answers here, so --provision=docker cannot make a server unavailable');
    expect(status).toBe('not-run');
    expect(local.stdout).toMatch(new RegExp(`${serverTarget.name.replace(/[^a-z0-9]/gi, '.')}\\s+not run: `));
    expect(localReport.verdict.problems.join('\n')).not.toContain('CI:');

    expect(ci.code).toBe(1);
    expect(ci.stderr).toContain(`CI: target ${serverTarget.name} did not run`);
    const ciReport = await readRunReport(await onlyRunDir(ciReports));
    expect(ciReport.verdict.passed).toBe(false);
  });
});
