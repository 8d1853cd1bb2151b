/**
 * `certificate.html`: the certificate as one self-contained page (inline CSS, no script, nothing
 * fetched). The levels matrix comes first, one row per target, each verdict a coloured cell that
 * also says its verdict in words and a symbol, so colour is never the only signal.
 */
import {
  CASE_LABELS,
  ORIGIN_LABELS,
  SECRET_NOTE,
  VERDICT_LABELS,
  VERDICT_LEGEND,
  VERDICT_SYMBOLS,
  caseDetail,
  findingSubject,
  formatMetricValue,
  kwargText,
  levelCounts,
  searchPathsBySuite,
  levelSummary,
  suiteVerdictsText,
  serversText,
  versionText,
} from './certificate-wording';
import { CERTIFICATION_LEVELS, type Certificate, type LevelResult, type TargetCertificate } from './certificate';
import { formatDuration } from './text';

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const STYLE = `
:root { color-scheme: light; --pass-bg: #dcf2e3; --pass-fg: #13502a; --fail-bg: #fbe0e0; --fail-fg: #8a1414; --none-bg: #eceef1; --none-fg: #3d4450; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #1d232b; background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.25rem; margin: 32px 0 8px; border-bottom: 1px solid #d5d9de; padding-bottom: 4px; }
h3 { font-size: 1.1rem; margin: 24px 0 6px; }
p, li { overflow-wrap: anywhere; }
.run { color: #4a525d; margin: 0 0 12px; }
.outcome { display: inline-block; padding: 2px 10px; border-radius: 4px; font-weight: 700; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 12px; table-layout: auto; }
th, td { border: 1px solid #cfd4da; padding: 6px 8px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
thead th { background: #f3f5f7; font-weight: 600; }
#matrix td.verdict { text-align: center; font-weight: 600; white-space: normal; }
#matrix th, #matrix td { overflow-wrap: break-word; }
#matrix th[scope="row"] { white-space: nowrap; }
#matrix td.backend { max-width: 16em; }
#matrix td code { overflow-wrap: anywhere; }
#matrix td.verdict small { display: block; font-weight: 400; }
.certified, .pass { background: var(--pass-bg); color: var(--pass-fg); }
.not-certified, .fail, .finding { background: var(--fail-bg); color: var(--fail-fg); }
.not-run, .skip { background: var(--none-bg); color: var(--none-fg); }
.legend, .note { color: #4a525d; font-size: 0.9rem; }
code { font: 0.88em/1.3 ui-monospace, "DejaVu Sans Mono", monospace; background: #f3f5f7; padding: 1px 4px; border-radius: 3px; overflow-wrap: anywhere; }
dl.what { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 8px 0; }
dl.what dt { font-weight: 600; }
dl.what dd { margin: 0; overflow-wrap: anywhere; }
.flag { color: var(--fail-fg); font-weight: 600; }
details { margin: 6px 0; border: 1px solid #dde1e5; border-radius: 4px; padding: 4px 8px; }
details > summary { cursor: pointer; font-weight: 600; }
table.cases td:nth-child(3) { white-space: nowrap; font-weight: 600; }
@media print { details { border: 0; } details > summary { list-style: none; } }
`;

/** A reason shown next to a "not run" label needs no second "not run". */
function withoutNotRun(reason: string): string {
  return reason.replace(/^not run:\s*/, '');
}

/** Dotted class paths wrap after a dot, not in the middle of a class name. */
/** A dotted class path with break opportunities after each dot and before each inner capital, so a long class name wraps in its column. */
function breakableIdentifier(text: string): string {
  return text
    .split('.')
    .map((part) =>
      part
        .split(/(?<=[a-z0-9])(?=[A-Z])|(?<=_)/)
        .map(escapeHtml)
        .join('<wbr>'),
    )
    .join('.<wbr>');
}

function verdictCell(t: TargetCertificate, level: LevelResult): string {
  // A target that did not run has one reason for every level; the summary column gives it once.
  const counts =
    t.target.status === 'not-run'
      ? 'the target did not run'
      : level.passed + level.failed > 0
        ? levelCounts(level)
        : withoutNotRun(level.reason ?? '');
  return (
    `<td class="verdict ${level.verdict}" data-level="${level.level}" data-verdict="${level.verdict}">` +
    `<span class="label">${VERDICT_SYMBOLS[level.verdict]} ${VERDICT_LABELS[level.verdict]}</span><small>${escapeHtml(counts)}</small></td>`
  );
}

function matrix(certificate: Certificate): string {
  if (certificate.targets.length === 0) return '<p>No target was selected.</p>';
  const head = `<tr><th scope="col">target</th><th scope="col">backend</th>${CERTIFICATION_LEVELS.map((l) => `<th scope="col">${escapeHtml(l.title)}</th>`).join('')}<th scope="col">summary</th></tr>`;
  const rows = certificate.targets.map(
    (t) =>
      `<tr data-target="${escapeHtml(t.target.name)}"><th scope="row"><a href="#target-${escapeHtml(t.target.name)}">${escapeHtml(t.target.name)}</a></th>` +
      `<td class="backend"><code>${breakableIdentifier(t.description.backendClass)}</code></td>${t.levels.map((level) => verdictCell(t, level)).join('')}<td>${escapeHtml(levelSummary(t))}</td></tr>`,
  );
  return `<table id="matrix"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table><p class="legend">${escapeHtml(VERDICT_LEGEND)}</p>`;
}

function findings(certificate: Certificate): string {
  const failing = certificate.targets.filter((t) => t.findings.length > 0);
  if (failing.length === 0) return '<p>No executed case failed.</p>';
  return failing
    .map(
      (t) =>
        `<p><strong>${escapeHtml(t.target.name)}</strong>: ${escapeHtml(findingSubject(t))} fails ${t.findings.length} case${t.findings.length === 1 ? '' : 's'}:</p>` +
        `<table class="findings"><thead><tr><th>suite › case</th><th>rule</th><th>reason</th></tr></thead><tbody>` +
        t.findings
          .map(
            (c) =>
              `<tr><td>${escapeHtml(`${c.suite} › ${c.case}`)}</td><td>${escapeHtml(c.rule)}</td><td><code>${escapeHtml(c.error ?? 'failed')}</code></td></tr>`,
          )
          .join('') +
        '</tbody></table>',
    )
    .join('');
}

function flags(certificate: Certificate): string {
  const items = [
    ...certificate.runFlags.map((flag) => `<li class="flag">run: ${escapeHtml(flag)}</li>`),
    ...certificate.targets.flatMap((t) => t.flags.map((flag) => `<li class="flag">${escapeHtml(t.target.name)}: ${escapeHtml(flag)}</li>`)),
  ];
  return items.length === 0 ? '<p>None.</p>' : `<ul>${items.join('')}</ul>`;
}

function metrics(certificate: Certificate): string {
  if (certificate.metrics.length === 0) return '<p>No case recorded a figure in this run.</p>';
  return certificate.metrics
    .map(
      (group) =>
        `<h3>${escapeHtml(group.metric)} <span class="note">(${escapeHtml(group.unit)})</span></h3>` +
        '<table class="metrics"><thead><tr><th>target</th><th>cases</th><th>samples</th><th>min</th><th>p50</th><th>p95</th><th>p99</th><th>max</th></tr></thead><tbody>' +
        group.rows
          .map(
            (row) =>
              `<tr><td>${escapeHtml(row.target)}</td><td>${row.cases}</td><td>${row.samples}</td>` +
              [row.min, row.p50, row.p95, row.p99, row.max].map((value) => `<td>${formatMetricValue(value)}</td>`).join('') +
              '</tr>',
          )
          .join('') +
        '</tbody></table>',
    )
    .join('');
}

function kwargsList(t: TargetCertificate): string {
  const kwargs = Object.entries(t.description.kwargs ?? {});
  if (kwargs.length === 0) return t.description.kwargs ? 'none' : 'not declared';
  return `<table class="kwargs"><tbody>${kwargs.map(([name, value]) => `<tr><th scope="row"><code>${escapeHtml(name)}</code></th><td><code>${escapeHtml(kwargText(value))}</code></td></tr>`).join('')}</tbody></table>`;
}

function levelBlock(t: TargetCertificate, level: LevelResult): string {
  const suites = level.suites.length > 0 ? ` (${level.suites.join(', ')})` : '';
  const title = `${escapeHtml(level.title + suites)}: <span class="${level.verdict}">${VERDICT_SYMBOLS[level.verdict]} ${VERDICT_LABELS[level.verdict]}</span>`;
  if (level.cases.length === 0 || t.target.status === 'not-run') {
    return `<p><strong>${title}</strong>: ${escapeHtml(withoutNotRun(level.reason ?? ''))}</p>`;
  }
  const rows = level.cases
    .map(
      (c) =>
        `<tr class="${c.status}"><td>${escapeHtml(c.suite)}</td><td>${escapeHtml(c.case)}</td><td>${CASE_LABELS[c.status]}</td><td>${escapeHtml(caseDetail(c))}</td></tr>`,
    )
    .join('');
  const reason = level.verdict === 'not-run' && level.reason ? `<p>${escapeHtml(withoutNotRun(level.reason))}</p>` : '';
  const bySuite =
    (level.suiteVerdicts.length > 1 ? `<p class="note">by suite: ${escapeHtml(suiteVerdictsText(level))}</p>` : '') +
    level.evidence.map((line) => `<p class="note">${escapeHtml(line)}</p>`).join('');
  const searchPaths = searchPathsBySuite(level.cases)
    .map(
      ({ suite, implementations }) => `<p class="note">search path and cache of ${escapeHtml(suite)}: ${escapeHtml(implementations.join('; '))}</p>`,
    )
    .join('');
  // Failures open by default: they are what a reader came for.
  return (
    `<details${level.failed > 0 ? ' open' : ''}><summary>${title} <span class="note">${escapeHtml(levelCounts(level))}</span></summary>${reason}${bySuite}${searchPaths}` +
    `<table class="cases"><thead><tr><th>suite</th><th>case</th><th>result</th><th>rule, reason or error</th></tr></thead><tbody>${rows}</tbody></table></details>`
  );
}

function targetSection(t: TargetCertificate): string {
  const { target, description } = t;
  const facts: [string, string][] = [
    ['backend class', `<code>${escapeHtml(description.backendClass)}</code>`],
    ['implementation', escapeHtml(ORIGIN_LABELS[description.origin])],
    ['versions', escapeHtml(versionText(description) || 'not declared')],
    ['kwargs', kwargsList(t)],
    ['servers', escapeHtml(serversText(t))],
    ...(description.notes ?? []).map((note): [string, string] => ['note', escapeHtml(note)]),
    ...t.flags.map((flag): [string, string] => ['flag', `<span class="flag">${escapeHtml(flag)}</span>`]),
  ];
  return (
    `<section id="target-${escapeHtml(target.name)}"><h3>${escapeHtml(target.name)}</h3>` +
    (target.summary ? `<p>${escapeHtml(target.summary)}</p>` : '') +
    `<dl class="what">${facts.map(([term, value]) => `<dt>${term}</dt><dd>${value}</dd>`).join('')}</dl>` +
    t.levels.map((level) => levelBlock(t, level)).join('') +
    '</section>'
  );
}

export function renderCertificateHtml(certificate: Certificate): string {
  const { report } = certificate;
  const passed = report.verdict.passed;
  const problems = report.verdict.problems.length > 0 ? `<ul>${report.verdict.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>` : '';
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Nothing on this page loads from anywhere, and nothing runs.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>Certificate: run ${escapeHtml(report.runId)}</title>`,
    `<style>${STYLE}</style></head><body><main>`,
    `<h1>Airflow secrets backend certificate</h1>`,
    `<p class="run">Run <code>${escapeHtml(report.runId)}</code>, issued by ${escapeHtml(certificate.issuer)} on ${escapeHtml(report.finishedAt)}; ` +
      `${report.verdict.executedCases} conformance cases executed in ${escapeHtml(formatDuration(report.durationMs))}, provisioning <code>${escapeHtml(report.selection.provisioning)}</code>${report.selection.ci ? ', CI' : ''}.</p>`,
    `<p>Run verdict: <span id="run-verdict" class="outcome ${passed ? 'certified' : 'not-certified'}">${passed ? '✓ PASS' : '✗ FAIL'}</span></p>${problems}`,
    '<h2>Levels</h2>',
    matrix(certificate),
    '<h2>Findings</h2>',
    findings(certificate),
    '<h2>Flags</h2>',
    flags(certificate),
    '<h2>Measured figures</h2>',
    metrics(certificate),
    '<h2>Targets</h2>',
    `<p class="note">${escapeHtml(SECRET_NOTE)}</p>`,
    ...certificate.targets.map(targetSection),
    '</main></body></html>',
    '',
  ].join('\n');
}
