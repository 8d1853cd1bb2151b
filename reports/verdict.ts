/**
 * Whether a run passed. A run that checked nothing did not pass, and under CI a target that could
 * not run is a failure: the certificate would otherwise silently shrink.
 */
import type { CaseReport, RunReport, RunVerdict, TargetReport, UnitTestTotals } from './model';

export interface VerdictInput {
  cases: readonly CaseReport[];
  targets: readonly TargetReport[];
  unitTests: UnitTestTotals | null;
  errors: readonly string[];
  endReason: string;
  ci: boolean;
  /** Where the canary was found after the run (none: the scan was clean or has not run yet). */
  canaryLeaks?: readonly string[];
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export function judgeRun(input: VerdictInput): RunVerdict {
  const ranTargets = new Set(input.targets.filter((t) => t.status === 'ran').map((t) => t.name));
  const realCases = input.cases.filter((c) => ranTargets.has(c.target));
  const executedCases = realCases.filter((c) => c.status !== 'skip').length;
  const failedCases = realCases.filter((c) => c.status === 'fail').length;
  const problems: string[] = [];

  if (input.endReason === 'interrupted') problems.push('the run was interrupted before it finished');
  if (failedCases > 0) problems.push(`${plural(failedCases, 'conformance case')} failed`);
  if (input.unitTests && input.unitTests.failed > 0) problems.push(`${plural(input.unitTests.failed, 'unit test')} failed`);
  if (input.errors.length > 0) problems.push(`${plural(input.errors.length, 'error')} outside any test (see "errors")`);
  if (input.canaryLeaks && input.canaryLeaks.length > 0) {
    problems.push(`a seeded secret value leaked into ${input.canaryLeaks.join(', ')}`);
  }
  if (executedCases === 0) {
    problems.push('zero conformance cases executed: a run that checks nothing is a failure, not a pass');
  }
  if (input.ci) {
    for (const target of input.targets) {
      if (target.status === 'not-run') problems.push(`CI: target ${target.name} did not run (${target.notRunReason ?? 'no reason given'})`);
    }
  }
  return { passed: problems.length === 0, executedCases, problems };
}

/** The report once the runner's canary scan found the canary in `leaks`: the run fails, in every report. */
export function withCanaryLeaks(report: RunReport, leaks: readonly string[]): RunReport {
  const canaryLeaks = [...leaks];
  const verdict = judgeRun({
    cases: report.cases,
    targets: report.targets,
    unitTests: report.unitTests,
    errors: report.errors,
    endReason: report.endReason,
    ci: report.selection.ci,
    canaryLeaks,
  });
  return { ...report, canary: { ...report.canary, leaks: canaryLeaks }, verdict };
}
