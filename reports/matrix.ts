/**
 * The target × suite matrix shared by the console and summary.md: one row per target, one cell
 * per suite, read at a glance (`12/12 ✓`, `3 ✗`, `11/12 ✓ 1 finding`, `–` when no case applies).
 */
import type { CaseReport, CellTotals, RunReport } from './model';

export type MatrixRow = { readonly target: string; readonly cells: readonly string[] } | { readonly target: string; readonly notRun: string };

export function cellText(totals: CellTotals | undefined): string {
  if (!totals) return '–';
  const findings = totals.findings ?? 0;
  const executed = totals.passed + totals.failed + findings;
  const outcome = totals.failed > 0 ? `${totals.failed} ✗` : executed > 0 ? `${totals.passed}/${executed} ✓` : '–';
  const noted = findings > 0 ? `${outcome} ${findings} finding${findings === 1 ? '' : 's'}` : outcome;
  return totals.skipped > 0 ? `${noted} (${totals.skipped} skip)` : noted;
}

export function matrixRows(report: RunReport): MatrixRow[] {
  return report.targets.map((target) => {
    if (target.status === 'not-run') return { target: target.name, notRun: target.notRunReason ?? 'not run' };
    const cells = report.suites.map((suite) => cellText(report.totals.find((t) => t.target === target.name && t.suite === suite.id)));
    return { target: target.name, cells };
  });
}

/** Failing conformance cases of targets that ran; not-run targets are listed with their reason instead. */
export function failingCases(report: RunReport): CaseReport[] {
  const ran = new Set(report.targets.filter((t) => t.status === 'ran').map((t) => t.name));
  return report.cases.filter((c) => c.status === 'fail' && ran.has(c.target));
}

/** Declared known findings that failed as declared, of targets that ran. */
export function findingCases(report: RunReport): CaseReport[] {
  const ran = new Set(report.targets.filter((t) => t.status === 'ran').map((t) => t.name));
  return report.cases.filter((c) => c.status === 'finding' && ran.has(c.target));
}
