/**
 * Turns what vitest recorded into the report model. Pure: the reporter flattens vitest's objects
 * into `RecordedTest`s first, so this logic is testable without running vitest.
 */
import type { LoadEvidence } from './load-evidence';
import type { ProvisioningChoice } from '../containers/servers';
import {
  REPORT_SCHEMA_VERSION,
  type CaseReport,
  type CaseStatus,
  type CellTotals,
  type ConformanceMeta,
  type RunReport,
  type ServerReport,
  type SuiteInfo,
  type TargetProvisioning,
  type TargetReport,
  type UnitTestTotals,
} from './model';
import type { TargetDescription } from '../suites/target';
import { buildTargetFigures } from './figures';
import { judgeRun } from './verdict';

export const CONFORMANCE_PROJECT = 'conformance';

export interface RecordedError {
  name?: string;
  message?: string;
  where?: string;
  hint?: string;
}

export interface RecordedTest {
  /** Path relative to the project root. */
  module: string;
  /** The vitest project: `conformance` or `unit`. */
  project: string;
  /** `file > describe > test`. */
  fullName: string;
  name: string;
  /** Present, with `target`, only on conformance tests. */
  meta: Partial<ConformanceMeta>;
  state: 'passed' | 'failed' | 'skipped' | 'pending';
  note?: string;
  durationMs: number;
  errors: readonly RecordedError[];
}

export interface SelectedTarget {
  name: string;
  family: string;
  backendKind: string;
  servers: readonly string[];
  summary?: string;
  /** Already redacted (`describeTarget`). */
  description?: TargetDescription;
}

export interface ReportInput {
  runId: string;
  startedAt: Date;
  finishedAt: Date;
  endReason: string;
  provisioning: ProvisioningChoice;
  ci: boolean;
  unitTestsSelected: boolean;
  /** From the global setup; empty when it did not run. */
  targets: readonly SelectedTarget[];
  suites: readonly SuiteInfo[];
  servers: readonly ServerReport[];
  unitModules: number;
  tests: readonly RecordedTest[];
  /** Errors outside tests, already one line each. */
  errors: readonly string[];
  /** The latest load bench's soak verdicts, when it ran on the same commit. */
  load?: LoadEvidence | null;
}

const MAX_ERROR_LENGTH = 400;

/**
 * `Name: first line of the message`, plus where and hint when the error carries them. Never the
 * stack, the diff or `actual`/`expected`: those may hold values.
 */
export function oneLineError(error: RecordedError): string {
  const firstLine =
    (error.message ?? '')
      .split(/\r?\n/)
      .find((line) => line.trim() !== '')
      ?.trim() ?? '(no message)';
  const where = typeof error.where === 'string' && error.where !== '' ? ` (${error.where})` : '';
  const hint = typeof error.hint === 'string' && error.hint !== '' ? `; hint: ${error.hint}` : '';
  const line = `${error.name || 'Error'}: ${firstLine}${where}${hint}`;
  return line.length > MAX_ERROR_LENGTH ? `${line.slice(0, MAX_ERROR_LENGTH - 1)}…` : line;
}

function statusOf(state: RecordedTest['state']): CaseStatus {
  if (state === 'passed') return 'pass';
  if (state === 'failed') return 'fail';
  return 'skip';
}

function isConformance(test: RecordedTest): test is RecordedTest & { meta: ConformanceMeta } {
  return typeof test.meta.target === 'string' && typeof test.meta.suite === 'string';
}

function toCaseReport(test: RecordedTest & { meta: ConformanceMeta }): CaseReport {
  const finding = test.state === 'passed' ? test.meta.finding : undefined;
  const status = finding ? 'finding' : statusOf(test.state);
  const report: CaseReport = {
    target: test.meta.target,
    family: test.meta.family,
    backendKind: test.meta.backendKind,
    suite: test.meta.suite,
    level: test.meta.level,
    case: test.name,
    rule: test.meta.rule,
    status,
    durationMs: Math.round(test.durationMs),
    metrics: test.meta.metrics ?? [],
  };
  if (status === 'skip') report.skipReason = test.note ?? test.meta.notRun ?? 'skipped without a reason';
  if (status === 'fail') report.error = test.errors[0] ? oneLineError(test.errors[0]) : 'failed without an error';
  if (finding) {
    report.finding = finding.reason;
    report.error = finding.observed;
  }
  if (test.meta.searchPath) report.searchPath = test.meta.searchPath;
  if (test.meta.notes && test.meta.notes.length > 0) report.notes = [...test.meta.notes];
  return report;
}

function provisioningOf(target: SelectedTarget, servers: readonly ServerReport[]): TargetProvisioning | null {
  if (target.servers.length === 0) return 'embedded';
  const kinds = new Set<string>();
  for (const name of target.servers) {
    const server = servers.find((candidate) => candidate.name === name);
    if (!server?.provisioning) return null;
    kinds.add(server.provisioning);
  }
  const [only] = [...kinds];
  return kinds.size === 1 && only ? (only as TargetProvisioning) : 'mixed';
}

function targetReports(input: ReportInput, notRun: ReadonlyMap<string, string>): TargetReport[] {
  return input.targets.map((target) => {
    const reason = notRun.get(target.name);
    const report: TargetReport = {
      name: target.name,
      family: target.family,
      backendKind: target.backendKind,
      status: reason === undefined ? 'ran' : 'not-run',
      servers: [...target.servers] as TargetReport['servers'],
      provisioning: provisioningOf(target, input.servers),
    };
    if (reason !== undefined) report.notRunReason = reason;
    if (target.summary !== undefined) report.summary = target.summary;
    if (target.description !== undefined) report.description = target.description;
    return report;
  });
}

function cellTotals(cases: readonly CaseReport[], targets: readonly TargetReport[], suites: readonly SuiteInfo[]): CellTotals[] {
  const totals: CellTotals[] = [];
  for (const target of targets) {
    for (const suite of suites) {
      const inCell = cases.filter((c) => c.target === target.name && c.suite === suite.id);
      if (inCell.length === 0) continue;
      totals.push({
        target: target.name,
        suite: suite.id,
        passed: inCell.filter((c) => c.status === 'pass').length,
        failed: inCell.filter((c) => c.status === 'fail').length,
        skipped: inCell.filter((c) => c.status === 'skip').length,
        findings: inCell.filter((c) => c.status === 'finding').length,
        durationMs: inCell.reduce((sum, c) => sum + c.durationMs, 0),
      });
    }
  }
  return totals;
}

function unitTestTotals(input: ReportInput, unitTests: readonly RecordedTest[]): UnitTestTotals | null {
  if (!input.unitTestsSelected && unitTests.length === 0) return null;
  return {
    files: input.unitModules,
    passed: unitTests.filter((t) => t.state === 'passed').length,
    failed: unitTests.filter((t) => t.state === 'failed').length,
    skipped: unitTests.filter((t) => t.state === 'skipped').length,
    failures: unitTests
      .filter((t) => t.state === 'failed')
      .map((t) => ({ name: t.fullName, error: t.errors[0] ? oneLineError(t.errors[0]) : 'failed without an error' })),
  };
}

export function buildRunReport(input: ReportInput): RunReport {
  const conformance = input.tests.filter(isConformance);
  const unit = input.tests.filter((test) => test.project !== CONFORMANCE_PROJECT);
  const notRun = new Map<string, string>();
  for (const test of conformance) if (test.meta.notRun) notRun.set(test.meta.target, test.meta.notRun);

  const targets = targetReports(input, notRun);
  const cases = conformance.map(toCaseReport);
  const unitTests = unitTestTotals(input, unit);
  const errors = [...input.errors];
  const verdict = judgeRun({ cases, targets, unitTests, errors, endReason: input.endReason, ci: input.ci });

  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    runId: input.runId,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    durationMs: input.finishedAt.getTime() - input.startedAt.getTime(),
    endReason: input.endReason,
    selection: {
      targets: input.targets.map((t) => t.name),
      suites: input.suites.map((s) => s.id),
      unitTests: input.unitTestsSelected,
      provisioning: input.provisioning,
      ci: input.ci,
    },
    targets,
    suites: [...input.suites],
    cases,
    totals: cellTotals(cases, targets, input.suites),
    unitTests,
    servers: [...input.servers],
    canary: { seededValues: conformance.reduce((sum, t) => sum + (t.meta.canarySeeds ?? 0), 0) },
    errors,
    verdict,
    figures: buildTargetFigures(
      cases,
      targets.map((t) => t.name),
    ),
    ...(input.load ? { load: input.load } : {}),
  };
}
