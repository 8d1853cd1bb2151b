/**
 * `junit.xml`: one `<testsuite>` per target × suite (named `target › suite`) so CI systems show the
 * matrix, plus the failing unit tests. Skipped cases carry their reason as the message.
 */
import type { CaseReport, RunReport } from './model';
import { escapeXml } from './text';

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function testcase(classname: string, c: CaseReport): string {
  const head = `    <testcase classname="${escapeXml(classname)}" name="${escapeXml(c.case)}" time="${seconds(c.durationMs)}">`;
  const rule = `      <properties><property name="rule" value="${escapeXml(c.rule)}"/></properties>`;
  if (c.status === 'fail') {
    const message = escapeXml(c.error ?? 'failed');
    return [head, rule, `      <failure message="${message}" type="conformance">${message}</failure>`, '    </testcase>'].join('\n');
  }
  if (c.status === 'finding') {
    // Declared and reproduced: not a failure of the run, but never shown as a plain pass either.
    const finding = `      <properties><property name="rule" value="${escapeXml(c.rule)}"/><property name="finding" value="${escapeXml(c.finding ?? '')}"/></properties>`;
    return [
      head,
      finding,
      `      <system-out>known finding: ${escapeXml(c.finding ?? '')}; observed: ${escapeXml(c.error ?? '')}</system-out>`,
      '    </testcase>',
    ].join('\n');
  }
  if (c.status === 'skip') return [head, rule, `      <skipped message="${escapeXml(c.skipReason ?? 'skipped')}"/>`, '    </testcase>'].join('\n');
  return [head, rule, '    </testcase>'].join('\n');
}

export function renderJunitXml(report: RunReport): string {
  const blocks: string[] = [];
  let tests = 0;
  let failures = 0;
  let skipped = 0;
  for (const cell of report.totals) {
    const cases = report.cases.filter((c) => c.target === cell.target && c.suite === cell.suite);
    const count = cell.passed + cell.failed + cell.skipped;
    tests += count;
    failures += cell.failed;
    skipped += cell.skipped;
    blocks.push(
      `  <testsuite name="${escapeXml(`${cell.target} › ${cell.suite}`)}" tests="${count}" failures="${cell.failed}" errors="0" skipped="${cell.skipped}" time="${seconds(cell.durationMs)}">`,
      ...cases.map((c) => testcase(`${cell.target}.${cell.suite}`, c)),
      '  </testsuite>',
    );
  }
  // Unit tests are vitest's business; only their failures are listed here, so a CI page shows them.
  const unitFailures = report.unitTests?.failures ?? [];
  if (unitFailures.length > 0) {
    tests += unitFailures.length;
    failures += unitFailures.length;
    blocks.push(
      `  <testsuite name="unit tests (failures only)" tests="${unitFailures.length}" failures="${unitFailures.length}" errors="0" skipped="0">`,
    );
    for (const f of unitFailures) {
      const message = escapeXml(f.error);
      blocks.push(
        `    <testcase classname="unit" name="${escapeXml(f.name)}">`,
        `      <failure message="${message}">${message}</failure>`,
        '    </testcase>',
      );
    }
    blocks.push('  </testsuite>');
  }
  // The runner's canary scan: one test that fails when a seeded value was found anywhere after the run.
  if (report.canary.leaks !== undefined) {
    const leaks = report.canary.leaks;
    tests += 1;
    failures += leaks.length > 0 ? 1 : 0;
    const message = escapeXml(`a seeded secret value leaked into ${leaks.join(', ')}`);
    blocks.push(
      `  <testsuite name="canary scan" tests="1" failures="${leaks.length > 0 ? 1 : 0}" errors="0" skipped="0">`,
      `    <testcase classname="canary" name="no seeded secret value in any report, log or console output">`,
      ...(leaks.length > 0 ? [`      <failure message="${message}">${message}</failure>`] : []),
      '    </testcase>',
      '  </testsuite>',
    );
  }
  const errors = report.errors.length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="airflow-secrets-conformance ${escapeXml(report.runId)}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${seconds(report.durationMs)}">`,
    ...blocks,
    '</testsuites>',
    '',
  ].join('\n');
}
