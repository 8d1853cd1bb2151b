/**
 * Several runs as one: the reports of a CI matrix (one job per family) merged into one report and
 * one certificate. Every target keeps its own provisioning and servers; figures, findings and cases
 * are kept as each run wrote them; the verdict is judged again on the whole. A target that two runs
 * both certified is an error: the merge would have to pick one of two answers.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '../model/errors';
import { REPORT_SCHEMA_VERSION, type RunReport, type ServerReport, type UnitTestTotals } from './model';
import { REPORT_FILES } from './publish';
import { judgeRun } from './verdict';

export interface LoadedRun {
  /** Where it was read, for messages. */
  readonly source: string;
  readonly report: RunReport;
}

/** `results.json` in `dir` (or `dir/latest/`), checked to be a run report this version can read. */
export async function loadRun(dir: string): Promise<LoadedRun> {
  for (const candidate of [join(dir, REPORT_FILES.results), join(dir, 'latest', REPORT_FILES.results)]) {
    let text: string;
    try {
      text = await readFile(candidate, 'utf8');
    } catch {
      continue;
    }
    let report: RunReport;
    try {
      report = JSON.parse(text) as RunReport;
    } catch (error) {
      throw new ConfigurationError(`${candidate} is not JSON (${error instanceof Error ? error.message : String(error)})`, {
        what: 'a run report',
        where: candidate,
        hint: 'point at a reports folder a conformance run wrote',
      });
    }
    if (report.schemaVersion !== REPORT_SCHEMA_VERSION || !Array.isArray(report.cases) || !Array.isArray(report.targets)) {
      throw new ConfigurationError(`${candidate} is not a run report of schema version ${REPORT_SCHEMA_VERSION}`, {
        what: 'a run report',
        where: candidate,
        hint: 'merge reports written by this version of secrets-conformance',
      });
    }
    return { source: candidate, report };
  }
  throw new ConfigurationError(`no ${REPORT_FILES.results} in ${dir}`, {
    what: 'a run report',
    where: dir,
    hint: 'give the folder a run wrote (reports/<run> or reports/latest), e.g. a downloaded CI artefact',
  });
}

function sumUnitTests(all: readonly (UnitTestTotals | null)[]): UnitTestTotals | null {
  const present = all.filter((totals): totals is UnitTestTotals => totals !== null);
  if (present.length === 0) return null;
  return present.reduce((sum, totals) => ({
    passed: sum.passed + totals.passed,
    failed: sum.failed + totals.failed,
    skipped: sum.skipped + totals.skipped,
    findings: (sum.findings ?? 0) + (totals.findings ?? 0),
    files: sum.files + totals.files,
    failures: [...sum.failures, ...totals.failures],
  }));
}

function firstOf<T>(values: readonly T[], key: (value: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const value of values) if (!seen.has(key(value))) seen.set(key(value), value);
  return [...seen.values()];
}

export function mergeRuns(runs: readonly LoadedRun[], runId: string): RunReport {
  if (runs.length === 0) throw new ConfigurationError('nothing to merge', { hint: 'give at least one reports folder' });
  const certifiedBy = new Map<string, string>();
  for (const { source, report } of runs) {
    for (const target of report.targets) {
      const earlier = certifiedBy.get(target.name);
      if (earlier) {
        throw new ConfigurationError(`target ${target.name} is in two runs: ${earlier} and ${source}`, {
          what: target.name,
          where: source,
          hint: 'merge runs of different targets (one CI job per family)',
        });
      }
      certifiedBy.set(target.name, source);
    }
  }
  const reports = runs.map((run) => run.report);
  const startedAt = reports.map((r) => r.startedAt).sort()[0] ?? '';
  const finishedAt =
    reports
      .map((r) => r.finishedAt)
      .sort()
      .at(-1) ?? '';
  const provisionings = new Set(reports.map((r) => r.selection.provisioning));
  const targets = reports.flatMap((r) => r.targets);
  const cases = reports.flatMap((r) => r.cases);
  const unitTests = sumUnitTests(reports.map((r) => r.unitTests));
  // A run's errors name their run, so the merged report says where each came from.
  const errors = runs.flatMap(({ source, report }) => report.errors.map((error) => `${source}: ${error}`));
  const leaks = runs.flatMap(({ source, report }) => (report.canary.leaks ?? []).map((leak) => `${source}: ${leak}`));
  const endReason = reports.some((r) => r.endReason === 'interrupted')
    ? 'interrupted'
    : reports.every((r) => r.endReason === 'passed')
      ? 'passed'
      : 'failed';
  const ci = reports.some((r) => r.selection.ci);
  const verdict = judgeRun({ cases, targets, unitTests, errors, endReason, ci, canaryLeaks: leaks });
  const merged: RunReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    runId,
    startedAt,
    finishedAt,
    durationMs: Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt)) || reports.reduce((sum, r) => sum + r.durationMs, 0),
    endReason,
    selection: {
      targets: targets.map((t) => t.name),
      suites: [...new Set(reports.flatMap((r) => r.selection.suites))],
      unitTests: reports.some((r) => r.selection.unitTests),
      provisioning: provisionings.size === 1 ? [...provisionings][0]! : 'auto',
      ci,
    },
    targets,
    suites: firstOf(
      reports.flatMap((r) => r.suites),
      (suite) => suite.id,
    ),
    cases,
    totals: reports.flatMap((r) => r.totals),
    unitTests,
    servers: firstOf(
      reports.flatMap((r) => r.servers),
      (server: ServerReport) => JSON.stringify([server.name, server.status, server.provisioning, server.version, server.image]),
    ),
    canary: { seededValues: reports.reduce((sum, r) => sum + r.canary.seededValues, 0), leaks },
    errors,
    verdict,
    figures: reports.flatMap((r) => r.figures ?? []),
  };
  return merged;
}
