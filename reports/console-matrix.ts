/** The matrix printed at the end of every run, with a `not run:` line for each target that did not run. */
import { renderFiguresConsole } from './figures';
import { failingCases, findingCases, matrixRows } from './matrix';
import { formatDuration } from './text';
import type { CaseReport, RunReport, RunVerdict } from './model';
import { HANG_VERDICT } from '../suites/case-guards';

/** A mutant run fails hundreds of cases; the console shows the first ones, summary.md has them all. */
const MAX_LISTED_FAILURES = 30;

function pad(text: string, width: number): string {
  // Code points, not UTF-16 units, so ✓/✗ columns stay aligned.
  return text + ' '.repeat(Math.max(0, width - [...text].length));
}

export function renderConsoleMatrix(report: RunReport, reportDir: string, options: { withResult: boolean } = { withResult: true }): string {
  const lines: string[] = [];
  const rows = matrixRows(report);
  const header = ['target', ...report.suites.map((s) => s.id)];
  const grid = [header, ...rows.flatMap((row) => ('cells' in row ? [[row.target, ...row.cells]] : []))];
  const widths = header.map((_, column) =>
    Math.max(...grid.map((cells) => [...(cells[column] ?? '')].length), ...rows.map((row) => (column === 0 ? [...row.target].length : 0))),
  );
  lines.push('', `Conformance matrix: run ${report.runId}, ${formatDuration(report.durationMs)}`);
  if (rows.length === 0) lines.push('  (no target selected)');
  else lines.push(`  ${header.map((h, i) => pad(h, widths[i] ?? 0)).join('  ')}`.trimEnd());
  for (const row of rows) {
    const targetCell = pad(row.target, widths[0] ?? 0);
    if ('notRun' in row) lines.push(`  ${targetCell}  ${row.notRun}`);
    else lines.push(`  ${[targetCell, ...row.cells.map((c, i) => pad(c, widths[i + 1] ?? 0))].join('  ')}`.trimEnd());
  }
  if (report.suites.length === 0 && rows.length > 0) lines.push('  (no suite selected or registered)');
  if (report.unitTests) {
    const u = report.unitTests;
    lines.push(`  unit tests: ${u.passed} passed, ${u.failed} failed, ${u.skipped} skipped (${u.files} files)`);
  }
  lines.push(...renderFiguresConsole(report.figures));
  const failing = failingCases(report);
  if (failing.length > 0) {
    const { stopped, listed } = splitStopped(failing);
    lines.push('', `Failing cases (${failing.length}):`);
    for (const [target, cases] of stopped) lines.push(`  ✗ ${target}: ${cases.length} cases stopped: ${cases[0]?.error ?? ''}`);
    for (const c of listed.slice(0, MAX_LISTED_FAILURES)) {
      lines.push(`  ✗ ${c.target} › ${c.suite} › ${c.case}`, `      rule: ${c.rule}`, `      ${c.error ?? ''}`);
    }
    if (listed.length > MAX_LISTED_FAILURES) lines.push(`  ... and ${listed.length - MAX_LISTED_FAILURES} more in summary.md`);
  }
  const findings = findingCases(report);
  if (findings.length > 0) {
    lines.push('', `Findings: cases a backend is declared to fail, and failed (${findings.length}):`);
    for (const c of findings) lines.push(`  ! ${c.target} › ${c.suite} › ${c.case}`, `      why: ${c.finding ?? ''}`, `      ${c.error ?? ''}`);
  }
  if (report.unitTests && report.unitTests.failures.length > 0) {
    lines.push('', `Failing unit tests (${report.unitTests.failures.length}):`);
    for (const f of report.unitTests.failures) lines.push(`  ✗ ${f.name}`, `      ${f.error}`);
  }
  for (const error of report.errors) lines.push(`  error: ${error}`);
  lines.push('', `Reports: ${reportDir}`);
  if (options.withResult) lines.push(resultLine(report.verdict));
  lines.push('');
  return lines.join('\n');
}

/**
 * The cases a target's hang verdict stopped, by target (one console line each: summary.md and the
 * certificate list them all), and the failing cases that ran.
 */
function splitStopped(failing: readonly CaseReport[]): { stopped: Map<string, CaseReport[]>; listed: CaseReport[] } {
  const stopped = new Map<string, CaseReport[]>();
  const listed: CaseReport[] = [];
  for (const c of failing) {
    if (!HANG_VERDICT.test(c.error ?? '')) listed.push(c);
    else stopped.set(c.target, [...(stopped.get(c.target) ?? []), c]);
  }
  return { stopped, listed };
}

/** The run's last line: its verdict, as a person and a CI log read it. */
export function resultLine(verdict: RunVerdict): string {
  return verdict.passed
    ? `Result: PASS (${verdict.executedCases} conformance cases executed)`
    : `Result: FAIL (${verdict.executedCases} conformance cases executed): ${verdict.problems.join('; ')}`;
}
