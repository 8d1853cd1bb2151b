import { describe, expect, it } from 'vitest';
import { buildRunReport, oneLineError, type RecordedTest, type ReportInput } from '../reports/build-report';
import { buildCertificate } from '../reports/certificate';
import { renderCertificateMarkdown } from '../reports/certificate-markdown';
import { countCanary } from '../reports/canary-scan';
import { renderConsoleMatrix } from '../reports/console-matrix';
import { renderJunitXml } from '../reports/junit-xml';
import { escapeXml } from '../reports/text';
import { cellText } from '../reports/matrix';
import type { ConformanceMeta } from '../reports/model';
import { renderSummaryMarkdown } from '../reports/summary-markdown';

function meta(target: string, suite: string, extra: Partial<ConformanceMeta> = {}): ConformanceMeta {
  return {
    target,
    family: target.split('-')[0] ?? target,
    backendKind: 'SomeBackend',
    suite,
    suiteTitle: suite,
    level: 'core',
    rule: `§1 ${suite} rule`,
    ...extra,
  };
}

function conformanceTest(name: string, m: ConformanceMeta, state: RecordedTest['state'], extra: Partial<RecordedTest> = {}): RecordedTest {
  return {
    module: 'runner/conformance.test.ts',
    project: 'conformance',
    fullName: `${m.target} > ${m.suite} > ${name}`,
    name,
    meta: m,
    state,
    durationMs: 2,
    errors: [],
    ...extra,
  };
}

function input(tests: RecordedTest[], overrides: Partial<ReportInput> = {}): ReportInput {
  return {
    runId: 'r1',
    startedAt: new Date(0),
    finishedAt: new Date(1500),
    endReason: 'passed',
    provisioning: 'auto',
    ci: false,
    unitTestsSelected: false,
    targets: [
      { name: 'env', family: 'env', backendKind: 'EnvironmentVariablesBackend', servers: [] },
      { name: 'vault-kv2', family: 'vault', backendKind: 'VaultBackend', servers: ['vault'] },
    ],
    suites: [
      { id: 'retrieval', title: 'Retrieval', level: 'core' },
      { id: 'caching', title: 'Caching', level: 'lookup-and-caching' },
    ],
    servers: [{ name: 'vault', status: 'unavailable', reason: 'not run: bao missing; run npm run servers:install' }],
    unitModules: 0,
    tests,
    errors: [],
    ...overrides,
  };
}

const notRun = 'not run: bao missing; run npm run servers:install';
const sample = [
  conformanceTest('reads a variable', meta('env', 'retrieval'), 'passed'),
  conformanceTest('reads a connection', meta('env', 'retrieval'), 'passed'),
  conformanceTest('sees a change', meta('env', 'caching'), 'skipped', {
    note: 'not run: env does not declare mutable: env vars are read at call time',
  }),
  conformanceTest('expires after the TTL', meta('env', 'caching'), 'failed', {
    errors: [{ name: 'AssertionError', message: 'variable "x": value differs (got string len 3)\n- diff line\n+ other' }],
  }),
  conformanceTest('target not run', meta('vault-kv2', 'retrieval', { notRun }), 'skipped', { note: notRun }),
  conformanceTest('target not run', meta('vault-kv2', 'caching', { notRun }), 'skipped', { note: notRun }),
];

describe('report model', () => {
  it('counts per target × suite, marks not-run targets and keeps only the first error line', () => {
    const report = buildRunReport(input(sample));
    expect(report.totals).toContainEqual(expect.objectContaining({ target: 'env', suite: 'retrieval', passed: 2, failed: 0, skipped: 0 }));
    expect(report.totals).toContainEqual(expect.objectContaining({ target: 'env', suite: 'caching', passed: 0, failed: 1, skipped: 1 }));
    expect(report.targets.find((t) => t.name === 'vault-kv2')).toMatchObject({ status: 'not-run', notRunReason: notRun, provisioning: null });
    expect(report.targets.find((t) => t.name === 'env')).toMatchObject({ status: 'ran', provisioning: 'embedded' });
    expect(report.cases.find((c) => c.status === 'fail')?.error).toBe('AssertionError: variable "x": value differs (got string len 3)');
    expect(report.verdict).toEqual({ passed: false, executedCases: 3, problems: ['1 conformance case failed'] });
  });

  it('zero executed cases fails; a not-run target fails only under CI', () => {
    const onlySkips = [sample[2] as RecordedTest, sample[4] as RecordedTest];
    expect(buildRunReport(input(onlySkips)).verdict.problems).toEqual([expect.stringContaining('zero conformance cases executed')]);
    const passing = sample.filter((t) => t.state !== 'failed');
    expect(buildRunReport(input(passing)).verdict.passed).toBe(true);
    const ci = buildRunReport(input(passing, { ci: true })).verdict;
    expect(ci.passed).toBe(false);
    expect(ci.problems).toEqual([`CI: target vault-kv2 did not run (${notRun})`]);
  });

  it('reports a declared finding that failed as a finding: counted as executed, not as a failure, shown with why', () => {
    const finding = {
      reason: 'the provider maps every 403 to an authentication error',
      observed: 'AssertionError: expected ForbiddenError, got UnauthorizedError',
    };
    const tests = [sample[0] as RecordedTest, conformanceTest('denied read is Forbidden', meta('env', 'retrieval', { finding }), 'passed')];
    const report = buildRunReport(input(tests));
    const reported = report.cases.find((c) => c.case === 'denied read is Forbidden');
    expect(reported).toMatchObject({ status: 'finding', finding: finding.reason, error: finding.observed });
    expect(report.totals).toContainEqual(expect.objectContaining({ target: 'env', suite: 'retrieval', passed: 1, failed: 0, findings: 1 }));
    expect(report.verdict).toEqual({ passed: true, executedCases: 2, problems: [] });
    expect(cellText(report.totals.find((t) => t.target === 'env' && t.suite === 'retrieval'))).toBe('1/2 ✓ 1 finding');
    const console = renderConsoleMatrix(report, 'reports/r1');
    expect(console).toContain('! env › retrieval › denied read is Forbidden');
    expect(console).toContain(`why: ${finding.reason}`);
    expect(renderSummaryMarkdown(report)).toContain('## Findings');
    expect(renderJunitXml(report)).toContain('known finding: the provider maps every 403');
    expect(renderJunitXml(report)).not.toContain('<failure');
  });

  it('keeps unit tests apart and counts errors outside tests as failures', () => {
    const unit: RecordedTest = {
      module: 'test/x.test.ts',
      project: 'unit',
      fullName: 'test/x.test.ts > adds',
      name: 'adds',
      meta: {},
      state: 'failed',
      durationMs: 1,
      errors: [{ name: 'Error', message: 'boom' }],
    };
    const report = buildRunReport(
      input([sample[0] as RecordedTest, unit], { unitTestsSelected: true, unitModules: 1, errors: ['suites/a.ts: Error: cannot load'] }),
    );
    expect(report.unitTests).toEqual({
      files: 1,
      passed: 0,
      failed: 1,
      skipped: 0,
      failures: [{ name: 'test/x.test.ts > adds', error: 'Error: boom' }],
    });
    expect(report.cases).toHaveLength(1);
    expect(report.verdict.problems).toEqual(['1 unit test failed', '1 error outside any test (see "errors")']);
  });

  it('sums the canary seeds the cases reported', () => {
    const seeded = [
      conformanceTest('a', meta('env', 'retrieval', { canarySeeds: 3 }), 'passed'),
      conformanceTest('b', meta('env', 'retrieval', { canarySeeds: 2 }), 'passed'),
    ];
    expect(buildRunReport(input(seeded)).canary).toEqual({ seededValues: 5 });
  });

  it('names the search path and cache a case ran, per cell, in results, summary.md and the certificate', () => {
    const airflow = 'airflow 3.3.2 in the bridge (...)';
    const tests = [
      conformanceTest('expires after the TTL', meta('env', 'caching', { searchPath: airflow }), 'passed'),
      conformanceTest('reads a variable', meta('env', 'retrieval'), 'passed'),
    ];
    const report = buildRunReport(input(tests));
    expect(report.cases.find((c) => c.suite === 'caching')?.searchPath).toBe(airflow);
    expect(report.cases.find((c) => c.suite === 'retrieval')).not.toHaveProperty('searchPath');
    expect(renderSummaryMarkdown(report)).toContain(`| env | caching | ${airflow} |`);
    expect(renderCertificateMarkdown(buildCertificate(report))).toContain(`- search path and cache of caching: ${airflow}`);
  });

  it('one-line errors carry where and hint, and are bounded', () => {
    expect(oneLineError({ name: 'UnavailableError', message: 'vault did not answer\nstack', where: 'http://127.0.0.1:8200', hint: 'start it' })).toBe(
      'UnavailableError: vault did not answer (http://127.0.0.1:8200); hint: start it',
    );
    expect(oneLineError({ message: 'x'.repeat(1000) }).length).toBe(400);
  });
});

describe('writers', () => {
  const report = buildRunReport(input(sample));

  it('matrix cells read at a glance', () => {
    expect(cellText({ target: 't', suite: 's', passed: 12, failed: 0, skipped: 0, durationMs: 0 })).toBe('12/12 ✓');
    expect(cellText({ target: 't', suite: 's', passed: 9, failed: 3, skipped: 0, durationMs: 0 })).toBe('3 ✗');
    expect(cellText({ target: 't', suite: 's', passed: 4, failed: 0, skipped: 2, durationMs: 0 })).toBe('4/4 ✓ (2 skip)');
    expect(cellText(undefined)).toBe('–');
  });

  it('the console matrix has a row per target and a not-run line with its reason', () => {
    const text = renderConsoleMatrix(report, 'reports/r1');
    expect(text).toMatch(/env\s+2\/2 ✓\s+1 ✗ \(1 skip\)/);
    expect(text).toMatch(/vault-kv2\s+not run: bao missing; run npm run servers:install/);
    expect(text).toContain('rule: §1 caching rule');
    expect(text).toContain('Result: FAIL (3 conformance cases executed): 1 conformance case failed');
  });

  it('the console lists at most 30 failing cases and points to summary.md for the rest', () => {
    const many = Array.from({ length: 32 }, (_, i) =>
      conformanceTest(`case ${i}`, meta('env', 'retrieval'), 'failed', { errors: [{ message: `boom ${i}` }] }),
    );
    const text = renderConsoleMatrix(buildRunReport(input(many)), 'reports/r1');
    expect(text).toContain('Failing cases (32):');
    expect(text).toContain('✗ env › retrieval › case 29');
    expect(text).not.toContain('✗ env › retrieval › case 30');
    expect(text).toContain('... and 2 more in summary.md');
    expect(renderSummaryMarkdown(buildRunReport(input(many)))).toContain('env › retrieval › case 31');
  });

  it('summary.md has the matrix, the not-run reasons and the failing cases with their rules', () => {
    const md = renderSummaryMarkdown(report);
    expect(md).toContain('| target | retrieval | caching |');
    expect(md).toContain('| env | 2/2 ✓ | 1 ✗ (1 skip) |');
    expect(md).toContain('| vault-kv2 | not run | not run |');
    expect(md).toContain(`- **vault-kv2**: ${notRun}`);
    expect(md).toContain('  - rule: §1 caching rule');
  });

  it('junit.xml has one testsuite per target × suite, skipped with the reason, failures one line', () => {
    const xml = renderJunitXml(report);
    expect(xml.match(/<testsuite /g)).toHaveLength(4);
    expect(xml).toContain('<testsuite name="env › caching" tests="2" failures="1" errors="0" skipped="1"');
    expect(xml).toContain('<skipped message="not run: env does not declare mutable: env vars are read at call time"/>');
    expect(xml).toContain('<failure message="AssertionError: variable &quot;x&quot;: value differs (got string len 3)" type="conformance">');
    expect(xml).not.toContain('diff line');
  });

  it('escapes XML and drops characters XML cannot hold', () => {
    expect(escapeXml(`a<b>&"c'\u0001`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
  });
});

describe('canary counting', () => {
  it('counts every occurrence, ignoring case', () => {
    expect(countCanary('xCNRY12ab yy cnry12AB', 'cnry12ab')).toBe(2);
    expect(countCanary('nothing here', 'cnry12ab')).toBe(0);
    expect(() => countCanary('x', '')).toThrow(RangeError);
  });
});
