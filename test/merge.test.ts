/**
 * `secrets-conformance merge` on two real runs of two families (env and local, each its own run
 * and reports folder, as two CI matrix jobs would be), and the parity check's rules on reports.
 */
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../reports/model';
import { compareRuns } from '../reports/parity';
import { readRunReport, runCli } from './support/run-cli';

const scratch = mkdtempSync(join(tmpdir(), 'merge-test-'));
const envDir = join(scratch, 'reports-env');
const localDir = join(scratch, 'reports-local');
let envRun: RunReport;
let localRun: RunReport;

beforeAll(async () => {
  const [env, local] = [
    await runCli(['run', '--backend=env', `--reports-dir=${envDir}`]),
    await runCli(['run', '--backend=local', `--reports-dir=${localDir}`]),
  ];
  expect(env.code, env.stdout + env.stderr).toBe(0);
  expect(local.code, local.stdout + local.stderr).toBe(0);
  envRun = await readRunReport(join(envDir, 'latest'));
  localRun = await readRunReport(join(localDir, 'latest'));
}, 300_000);

describe('secrets-conformance merge', () => {
  it('combines two family runs into one report and one certificate, keeping every target, case and figure', async () => {
    const out = join(scratch, 'merged');
    const result = await runCli(['merge', envDir, join(localDir, 'latest'), `--out=${out}`]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const merged = await readRunReport(out);
    expect(merged.targets.map((t) => t.name)).toEqual([...envRun.targets, ...localRun.targets].map((t) => t.name));
    expect(merged.targets.map((t) => t.provisioning)).toEqual([...envRun.targets, ...localRun.targets].map((t) => t.provisioning));
    expect(merged.cases).toHaveLength(envRun.cases.length + localRun.cases.length);
    expect(merged.verdict.executedCases).toBe(envRun.verdict.executedCases + localRun.verdict.executedCases);
    expect(merged.canary.seededValues).toBe(envRun.canary.seededValues + localRun.canary.seededValues);
    expect(merged.verdict.passed).toBe(true);
    const certificate = await readFile(join(out, 'certificate.md'), 'utf8');
    for (const target of merged.targets) expect(certificate).toContain(target.name);
    expect(result.stdout).toMatch(new RegExp(`Merged 2 runs: ${merged.targets.length} targets, ${merged.verdict.executedCases} cases executed`));
  });

  it('refuses a target two runs both certified, in one line naming both', async () => {
    const result = await runCli(['merge', envDir, envDir, `--out=${join(scratch, 'twice')}`]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^ConfigurationError: target env is in two runs: .*reports-env.* and .*reports-env/);
  });

  it('names a folder without a run report, with the fix', async () => {
    const result = await runCli(['merge', scratch]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ConfigurationError: no results\.json in .*; hint: give the folder a run wrote/);
  });
});

describe('the parity check', () => {
  /** The local run, as if its targets had run once as containers and once natively. */
  function asPaths(report: RunReport): { docker: RunReport; native: RunReport } {
    const on = (provisioning: 'docker' | 'native'): RunReport => ({ ...report, targets: report.targets.map((t) => ({ ...t, provisioning })) });
    return { docker: on('docker'), native: on('native') };
  }

  it('passes when every case has the same outcome on both paths', () => {
    const { docker, native } = asPaths(localRun);
    const result = compareRuns(docker, native, []);
    expect(result.targets).toEqual(localRun.targets.map((t) => t.name));
    expect(result.comparedCases).toBe(localRun.cases.length);
    expect(result.differences).toEqual([]);
  });

  it('fails on a case that passed on one path only, unless the difference is explained', () => {
    const { docker, native } = asPaths(localRun);
    const flipped = localRun.cases.findIndex((c) => c.status === 'pass');
    const changed = { ...native, cases: native.cases.map((c, i) => (i === flipped ? { ...c, status: 'fail' as const } : c)) };
    const target = localRun.cases[flipped]!;
    expect(compareRuns(docker, changed, []).unexplained).toBe(1);
    const explained = compareRuns(docker, changed, [{ targets: [target.target], caseName: `${target.suite} › ${target.case}`, reason: 'known' }]);
    expect(explained.unexplained).toBe(0);
    expect(explained.differences[0]).toMatchObject({ docker: 'pass', native: 'fail', explanation: 'known' });
  });

  it('compares only targets whose servers all ran as containers', () => {
    const { native } = asPaths(localRun);
    expect(compareRuns(localRun, native, []).targets).toEqual([]);
  });
});
