/**
 * `certificate.md`: the certificate as Markdown, in the order a reader asks: the levels matrix, the
 * findings, the flags, the measured figures, then every target's section with its cases.
 */
import { CERTIFICATION_LEVELS, type Certificate, type LevelResult, type TargetCertificate } from './certificate';
import {
  CASE_LABELS,
  caseDetail,
  findingSubject,
  formatMetricValue,
  kwargText,
  levelCounts,
  levelSummary,
  ORIGIN_LABELS,
  searchPathsBySuite,
  SECRET_NOTE,
  serversText,
  suiteVerdictsText,
  VERDICT_LABELS,
  VERDICT_LEGEND,
  VERDICT_SYMBOLS,
  versionText,
} from './certificate-wording';
import { formatDuration } from './text';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function code(text: string): string {
  const clean = text.replace(/\r?\n/g, ' ');
  const fence = clean.includes('`') ? '``' : '`';
  return `${fence}${fence === '``' ? ' ' : ''}${clean}${fence === '``' ? ' ' : ''}${fence}`;
}

function verdictText(level: LevelResult): string {
  return `${VERDICT_SYMBOLS[level.verdict]} ${VERDICT_LABELS[level.verdict]}`;
}

function markdownTarget(lines: string[], certificate: TargetCertificate): void {
  const { target, description } = certificate;
  lines.push(`### ${target.name}`, '');
  if (target.summary) lines.push(cell(target.summary), '');
  lines.push(`- backend class: ${code(description.backendClass)}`);
  lines.push(`- implementation: ${ORIGIN_LABELS[description.origin]}`);
  lines.push(`- versions: ${versionText(description) || 'not declared'}`);
  const kwargs = Object.entries(description.kwargs ?? {});
  if (kwargs.length === 0) lines.push(`- kwargs: ${description.kwargs ? 'none' : 'not declared'}`);
  else {
    lines.push('- kwargs:');
    for (const [name, value] of kwargs) lines.push(`  - ${code(name)}: ${code(kwargText(value))}`);
  }
  lines.push(`- servers: ${cell(serversText(certificate))}`);
  for (const note of description.notes ?? []) lines.push(`- note: ${cell(note)}`);
  for (const flag of certificate.flags) lines.push(`- **flag**: ${cell(flag)}`);
  lines.push('');
  for (const level of certificate.levels) {
    const suites = level.suites.length > 0 ? ` (${level.suites.join(', ')})` : '';
    lines.push(`#### ${level.title}${suites}: ${verdictText(level)}`, '');
    if (level.verdict === 'not-run') lines.push(cell(level.reason ?? 'not run'), '');
    if (level.cases.length === 0 || target.status === 'not-run') continue;
    lines.push(levelCounts(level), '');
    if (level.suiteVerdicts.length > 1) lines.push(`by suite: ${cell(suiteVerdictsText(level))}`, '');
    for (const line of level.evidence) lines.push(cell(line), '');
    for (const { suite, implementations } of searchPathsBySuite(level.cases))
      lines.push(`- search path and cache of ${cell(suite)}: ${cell(implementations.join('; '))}`);
    lines.push('| suite | case | result | rule, reason or error |', '|---|---|---|---|');
    for (const c of level.cases) lines.push(`| ${cell(c.suite)} | ${cell(c.case)} | ${CASE_LABELS[c.status]} | ${cell(caseDetail(c))} |`);
    lines.push('');
  }
}

export function renderCertificateMarkdown(certificate: Certificate): string {
  const { report } = certificate;
  const lines: string[] = [];
  lines.push(`# Airflow secrets backend certificate: run ${report.runId}`, '');
  lines.push(
    `Issued by ${certificate.issuer} on ${report.finishedAt}. Run verdict: **${report.verdict.passed ? 'PASS' : 'FAIL'}**, ` +
      `${report.verdict.executedCases} conformance cases executed in ${formatDuration(report.durationMs)}, ` +
      `provisioning \`${report.selection.provisioning}\`${report.selection.ci ? ', CI' : ''}.`,
  );
  for (const problem of report.verdict.problems) lines.push(`- ${cell(problem)}`);
  lines.push('');

  lines.push('## Levels', '');
  if (certificate.targets.length === 0) lines.push('No target was selected.', '');
  else {
    lines.push(`| target | backend | ${CERTIFICATION_LEVELS.map((l) => l.title).join(' | ')} | summary |`);
    lines.push(`|---|---|${CERTIFICATION_LEVELS.map(() => '---|').join('')}---|`);
    for (const t of certificate.targets) {
      const levels = t.levels.map(
        (level) => `${verdictText(level)}${level.passed + level.failed > 0 ? ` (${level.passed}/${level.passed + level.failed})` : ''}`,
      );
      lines.push(`| ${cell(t.target.name)} | ${cell(t.description.backendClass)} | ${levels.join(' | ')} | ${levelSummary(t)} |`);
    }
    lines.push('', VERDICT_LEGEND, '');
  }

  const findings = certificate.targets.filter((t) => t.findings.length > 0);
  lines.push('## Findings', '');
  if (findings.length === 0) lines.push('No executed case failed.', '');
  for (const t of findings) {
    lines.push(`**${cell(t.target.name)}**: ${cell(findingSubject(t))} fails ${t.findings.length} case${t.findings.length === 1 ? '' : 's'}:`, '');
    for (const c of t.findings) {
      const why = c.finding ? `; why: ${cell(c.finding)}` : '';
      lines.push(`- ${cell(`${c.suite} › ${c.case}`)}: rule ${cell(c.rule)}; ${code(c.error ?? 'failed')}${why}`);
    }
    lines.push('');
  }

  const flagged = certificate.targets.filter((t) => t.flags.length > 0);
  lines.push('## Flags', '');
  if (flagged.length === 0 && certificate.runFlags.length === 0) lines.push('None.', '');
  for (const flag of certificate.runFlags) lines.push(`- run: ${cell(flag)}`);
  for (const t of flagged) for (const flag of t.flags) lines.push(`- ${cell(t.target.name)}: ${cell(flag)}`);
  if (flagged.length > 0 || certificate.runFlags.length > 0) lines.push('');

  lines.push('## Measured figures', '');
  if (certificate.metrics.length === 0) lines.push('No case recorded a figure in this run.', '');
  for (const group of certificate.metrics) {
    lines.push(
      `### ${cell(group.metric)} (${group.unit})`,
      '',
      '| target | cases | samples | min | p50 | p95 | p99 | max |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const row of group.rows) {
      const values = [row.min, row.p50, row.p95, row.p99, row.max].map(formatMetricValue);
      lines.push(`| ${cell(row.target)} | ${row.cases} | ${row.samples} | ${values.join(' | ')} |`);
    }
    lines.push('');
  }

  lines.push('## Targets', '', SECRET_NOTE, '');
  for (const t of certificate.targets) markdownTarget(lines, t);
  return `${lines.join('\n').trimEnd()}\n`;
}
