/** `summary.md`: the matrix for a person, then what did not run and what failed, with the rules. */
import { searchPathsBySuite } from './certificate-wording';
import { renderFiguresMarkdown } from './figures';
import { failingCases, findingCases, matrixRows } from './matrix';
import { formatDuration } from './text';
import type { RunReport } from './model';

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function renderSummaryMarkdown(report: RunReport): string {
  const lines: string[] = [];
  const verdict = report.verdict;
  lines.push(`# Conformance run ${report.runId}`, '');
  lines.push(
    `**${verdict.passed ? 'PASS' : 'FAIL'}**: ${verdict.executedCases} conformance cases executed in ${formatDuration(report.durationMs)}` +
      ` (started ${report.startedAt}, provisioning \`${report.selection.provisioning}\`${report.selection.ci ? ', CI' : ''}).`,
  );
  for (const problem of verdict.problems) lines.push(`- ${escapeCell(problem)}`);
  lines.push('');

  const rows = matrixRows(report);
  if (rows.length === 0) {
    lines.push('No target was selected.', '');
  } else {
    lines.push(`| target | ${report.suites.map((s) => s.id).join(' | ')} |`);
    lines.push(`|---|${report.suites.map(() => '---|').join('')}`);
    for (const row of rows) {
      const cells = 'cells' in row ? row.cells : report.suites.map(() => 'not run');
      lines.push(`| ${escapeCell(row.target)} | ${cells.map(escapeCell).join(' | ')} |`);
    }
    lines.push('');
  }

  const notRun = report.targets.filter((t) => t.status === 'not-run');
  if (notRun.length > 0) {
    lines.push('## Not run', '');
    for (const target of notRun) lines.push(`- **${target.name}**: ${escapeCell(target.notRunReason ?? 'not run')}`);
    lines.push('');
  }

  const failing = failingCases(report);
  if (failing.length > 0) {
    lines.push('## Failing cases', '');
    for (const c of failing) {
      lines.push(`- **${escapeCell(c.target)} › ${escapeCell(c.suite)} › ${escapeCell(c.case)}**`);
      lines.push(`  - rule: ${escapeCell(c.rule)}`, `  - error: \`${escapeCell(c.error ?? '').replace(/`/g, "'")}\``);
    }
    lines.push('');
  }

  const findings = findingCases(report);
  if (findings.length > 0) {
    lines.push(
      '## Findings',
      '',
      'Cases the backend is declared to fail (its `knownFindings`), and did fail as declared. They do not fail the run.',
      '',
    );
    for (const c of findings) {
      lines.push(`- **${escapeCell(c.target)} › ${escapeCell(c.suite)} › ${escapeCell(c.case)}**`);
      lines.push(
        `  - rule: ${escapeCell(c.rule)}`,
        `  - why: ${escapeCell(c.finding ?? '')}`,
        `  - observed: \`${escapeCell(c.error ?? '').replace(/`/g, "'")}\``,
      );
    }
    lines.push('');
  }

  const noted = report.cases.filter((c) => (c.notes ?? []).length > 0);
  if (noted.length > 0) {
    lines.push('## Notes', '', 'Facts cases noted beside their verdict; they do not change it.', '');
    for (const c of noted) {
      lines.push(`- **${escapeCell(c.target)} › ${escapeCell(c.suite)} › ${escapeCell(c.case)}** (${c.status})`);
      for (const note of c.notes ?? []) lines.push(`  - ${escapeCell(note)}`);
    }
    lines.push('');
  }

  const searchPaths = report.targets.flatMap((target) =>
    searchPathsBySuite(report.cases.filter((c) => c.target === target.name)).map((cell) => ({ target: target.name, ...cell })),
  );
  if (searchPaths.length > 0) {
    lines.push('## Search path and cache', '', 'Which implementation ran the cases that look up through a search path or a cache, per cell.', '');
    lines.push('| target | suite | search path and cache |', '|---|---|---|');
    for (const { target, suite, implementations } of searchPaths)
      lines.push(`| ${escapeCell(target)} | ${escapeCell(suite)} | ${escapeCell(implementations.join('; '))} |`);
    lines.push('');
  }

  lines.push(...renderFiguresMarkdown(report.figures));

  if (report.unitTests) {
    const u = report.unitTests;
    lines.push('## Unit tests', '', `${u.passed} passed, ${u.failed} failed, ${u.skipped} skipped in ${u.files} files.`);
    for (const f of u.failures) lines.push(`- ${escapeCell(f.name)}: \`${escapeCell(f.error).replace(/`/g, "'")}\``);
    lines.push('');
  }

  if (report.errors.length > 0) {
    lines.push('## Errors outside tests', '');
    for (const error of report.errors) lines.push(`- ${escapeCell(error)}`);
    lines.push('');
  }
  return lines.join('\n');
}
