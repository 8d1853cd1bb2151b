import { existsSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { buildRunReport, type RecordedTest, type SelectedTarget } from '../reports/build-report';
import { scanFolderForCanary } from '../reports/canary-scan';
import { buildCertificate, CERTIFICATE_FILES, type Certificate, type LevelResult } from '../reports/certificate';
import { describeTarget, REDACTED } from '../reports/target-description';
import { renderCertificateMarkdown } from '../reports/certificate-markdown';
import { renderCertificateHtml } from '../reports/certificate-html';
import { readLoadEvidence } from '../reports/load-evidence';
import { percentile } from '../reports/statistics';
import type { ConformanceMeta, RunReport } from '../reports/model';
import { writeRunReports } from '../reports/publish';
import type { CaseMetric, CertificationLevel } from '../suites/suite';
import type { TargetDefinition, TargetDescription, TargetEnvironment } from '../suites/target';

const CANARY = 'cnryc0ffee1234abcd';
const environment: TargetEnvironment = { runId: 'run-1', canary: 'cnrycertificatetest', scratchDir: '/tmp/scratch', servers: {} };
const scratch = await mkdtemp(join(tmpdir(), 'certificate-test-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

function target(name: string, extra: Partial<TargetDefinition> = {}): TargetDefinition {
  return {
    name,
    family: name,
    summary: `${name} target`,
    backendKind: 'SomeBackend',
    capabilities: [],
    servers: [],
    store: { layout: 'none' },
    open: () => Promise.reject(new Error('not opened in this test')),
    ...extra,
  };
}

const SUITE_LEVELS: Record<string, CertificationLevel> = {
  retrieval: 'core',
  formats: 'core',
  caching: 'lookup-and-caching',
  auth: 'security',
  failover: 'resilience',
  throttling: 'resilience',
};

interface RecordedExtra extends Partial<RecordedTest> {
  metrics?: CaseMetric[];
  notRun?: string;
}

function recorded(targetName: string, suite: string, name: string, state: RecordedTest['state'], extra: RecordedExtra = {}): RecordedTest {
  const { metrics, notRun, ...rest } = extra;
  const meta: ConformanceMeta = {
    target: targetName,
    family: targetName.split(':')[0] ?? targetName,
    backendKind: 'SomeBackend',
    suite,
    suiteTitle: suite,
    level: SUITE_LEVELS[suite] ?? 'core',
    rule: `§1 the ${suite} rule for ${name}`,
    ...(metrics ? { metrics } : {}),
    ...(notRun ? { notRun } : {}),
  };
  return {
    module: 'runner/conformance.test.ts',
    project: 'conformance',
    fullName: `${targetName} > ${suite} > ${name}`,
    name,
    meta,
    state,
    durationMs: 3,
    errors: [],
    ...rest,
  };
}

const vaultDown = 'not run: bao is not installed; run npm run servers:install';
const latency = (value: number): CaseMetric => ({ metric: 'lookup latency', value, unit: 'ms' });

/**
 * Three targets: a reference one with a passing core, a failing caching case and an auth suite it
 * cannot run; Airflow's own class failing one formats case; a Vault target whose server never started.
 */
function sampleReport(descriptions: Record<string, TargetDescription>): RunReport {
  const tests: RecordedTest[] = [
    recorded('env', 'retrieval', 'reads a variable', 'passed', { metrics: [latency(1), latency(2), latency(3), latency(4)] }),
    recorded('env', 'retrieval', 'reads a config value', 'skipped', { note: 'not run: env does not declare config: no get_config' }),
    recorded('env', 'formats', 'reads <b>JSON</b> | pipes', 'passed', {
      metrics: [latency(10), { metric: 'requests per lookup', value: 1, unit: 'requests' }],
    }),
    recorded('env', 'caching', 'expires after the TTL', 'failed', {
      errors: [{ name: 'AssertionError', message: 'variable "k": still cached after 61 s\n- diff' }],
    }),
    recorded('env', 'auth', 'wrong credentials are refused', 'skipped', {
      note: 'not run: env does not declare auth-wrong-credentials: no credentials',
    }),
    recorded('airflow:env', 'retrieval', 'reads a variable', 'passed', { metrics: [latency(40)] }),
    recorded('airflow:env', 'formats', 'a JSON port given as a string becomes an integer', 'failed', {
      errors: [{ name: 'AssertionError', message: 'connection "c1": port differs (got string, want number)' }],
    }),
    recorded('airflow:env', 'caching', 'expires after the TTL', 'passed'),
    recorded('vault-kv2', 'retrieval', 'target not run', 'skipped', { note: vaultDown, notRun: vaultDown }),
  ];
  const targets: SelectedTarget[] = [
    { name: 'env', family: 'env', backendKind: 'EnvironmentVariablesBackend', servers: [], summary: 'the env target', description: descriptions.env },
    {
      name: 'airflow:env',
      family: 'airflow',
      backendKind: 'airflow.secrets.environment_variables.EnvironmentVariablesBackend',
      servers: [],
      description: descriptions['airflow:env'],
    },
    { name: 'vault-kv2', family: 'vault', backendKind: 'VaultBackend', servers: ['vault'], description: descriptions['vault-kv2'] },
  ];
  return buildRunReport({
    runId: 'run-1',
    startedAt: new Date(0),
    finishedAt: new Date(2500),
    endReason: 'failed',
    provisioning: 'native',
    ci: false,
    unitTestsSelected: false,
    targets,
    suites: [
      { id: 'retrieval', title: 'Retrieval', level: 'core' },
      { id: 'formats', title: 'Formats', level: 'core' },
      { id: 'caching', title: 'Caching', level: 'lookup-and-caching' },
      { id: 'auth', title: 'Auth', level: 'security' },
    ],
    servers: [{ name: 'vault', status: 'unavailable', reason: vaultDown }],
    unitModules: 0,
    tests,
    errors: [],
  });
}

const descriptions: Record<string, TargetDescription> = {
  env: describeTarget(
    target('env', {
      describe: () => ({
        backendClass: 'EnvironmentVariablesBackend',
        origin: 'reference',
        versions: { 'airflow-secrets-conformance': '0.1.0' },
        kwargs: {},
      }),
    }),
    environment,
    CANARY,
  ),
  'airflow:env': describeTarget(
    target('airflow:env', {
      describe: () => ({
        backendClass: 'airflow.secrets.environment_variables.EnvironmentVariablesBackend',
        origin: 'airflow',
        versions: { 'apache-airflow': '3.3.2' },
        kwargs: { connections_prefix: 'airflow-connections', password: `pw-${CANARY}` },
        flags: ['backend_kwargs is not a JSON object: Airflow ignored it'],
      }),
    }),
    environment,
    CANARY,
  ),
  'vault-kv2': describeTarget(target('vault-kv2', { backendKind: 'VaultBackend' }), environment, CANARY),
};
const report = sampleReport(descriptions);
const certificate = buildCertificate(report);

function levelOf(cert: Certificate, targetName: string, level: CertificationLevel): LevelResult {
  const found = cert.targets.find((t) => t.target.name === targetName)?.levels.find((l) => l.level === level);
  if (!found) throw new Error(`no ${level} level for ${targetName}`);
  return found;
}

describe('describing a target for the certificate', () => {
  it('redacts kwargs by secret-looking name, nested objects included, and keeps the rest', () => {
    const described = describeTarget(
      target('vault', {
        describe: () => ({
          backendClass: 'airflow.providers.hashicorp.secrets.vault.VaultBackend',
          origin: 'airflow',
          versions: { 'apache-airflow-providers-hashicorp': '4.8.4' },
          kwargs: {
            url: 'http://127.0.0.1:8200',
            mount_point: 'secret',
            kv_engine_version: 2,
            token: 'hvs.rootish',
            Password: 'hunter2',
            aws_secret_access_key: 'AKIAsecret',
            client_credentials: { id: 'x', value: 'y' },
            session_kwargs: { region_name: 'eu-west-1', aws_access_key_id: 'AKIAX' },
            role_id: 'role-123',
          },
        }),
      }),
      environment,
      CANARY,
    );
    expect(described.kwargs).toEqual({
      url: 'http://127.0.0.1:8200',
      mount_point: 'secret',
      kv_engine_version: 2,
      token: REDACTED.byName,
      Password: REDACTED.byName,
      aws_secret_access_key: REDACTED.byName,
      client_credentials: REDACTED.byName,
      session_kwargs: REDACTED.byName,
      role_id: REDACTED.byName,
    });
    expect(JSON.stringify(described)).not.toMatch(/hvs\.rootish|hunter2|AKIA|role-123/);
  });

  it("redacts any value carrying the run's canary, in any case and at any depth, and URLs with a password", () => {
    const described = describeTarget(
      target('custom', {
        describe: () => ({
          backendClass: 'my.Backend',
          origin: 'custom',
          versions: {},
          kwargs: {
            prefix: `conn-${CANARY.toUpperCase()}`,
            paths: ['/ok', `/x/${CANARY}`],
            extra: { nested: { deeper: CANARY } },
            endpoint: 'postgres://user:pa55@db:5432/x',
            plain_url: 'http://127.0.0.1:4566',
          },
          notes: [`seeded ${CANARY} once`],
        }),
      }),
      environment,
      CANARY,
    );
    expect(described.kwargs).toEqual({
      prefix: REDACTED.byCanary,
      paths: ['/ok', REDACTED.byCanary],
      extra: { nested: { deeper: REDACTED.byCanary } },
      endpoint: REDACTED.urlPassword,
      plain_url: 'http://127.0.0.1:4566',
    });
    expect(described.notes).toEqual(['seeded [canary] once']);
    expect(JSON.stringify(described).toLowerCase()).not.toContain(CANARY);
  });

  it('says so when a target declares nothing, when describe() throws, and when the target is a mutant', () => {
    expect(describeTarget(target('bare', { backendKind: 'BareBackend' }), environment, CANARY)).toEqual({
      backendClass: 'BareBackend',
      origin: 'unknown',
      versions: {},
      notes: ['the target declares no describe(): its versions and kwargs are unknown'],
    });
    const throwing = describeTarget(
      target('broken', {
        describe: () => {
          throw new TypeError(`cannot read ${CANARY}\nsecond line`);
        },
      }),
      environment,
      CANARY,
    );
    expect(throwing.notes).toEqual(['describe() failed: TypeError: cannot read [canary]']);
    const base = target('env', {
      describe: () => ({ backendClass: 'EnvironmentVariablesBackend', origin: 'reference', versions: { 'airflow-secrets-conformance': '0.1.0' } }),
    });
    const mutant = { ...base, name: 'mutant:env-lowercase', family: 'mutant', mutantOf: 'env', breaks: 'names are lower-cased' };
    expect(describeTarget(mutant, environment, CANARY)).toMatchObject({
      origin: 'mutant',
      notes: ['a deliberately broken copy of env: names are lower-cased'],
    });
  });
});

describe('certificate levels', () => {
  it('certifies a level whose executed cases all passed, with its skipped cases listed as not run', () => {
    const core = levelOf(certificate, 'env', 'core');
    expect(core).toMatchObject({ verdict: 'certified', passed: 2, failed: 0, notRun: 1, suites: ['retrieval', 'formats'] });
  });

  it('does not certify a level with a failed case', () => {
    expect(levelOf(certificate, 'env', 'lookup-and-caching')).toMatchObject({ verdict: 'not-certified', passed: 0, failed: 1 });
    expect(levelOf(certificate, 'airflow:env', 'core')).toMatchObject({ verdict: 'not-certified', passed: 1, failed: 1 });
  });

  it('gives every not-run level its reason: skipped cases, no suite in the run, or a target that did not run', () => {
    expect(levelOf(certificate, 'env', 'security')).toMatchObject({
      verdict: 'not-run',
      reason: 'not run: its one case was skipped (env does not declare auth-wrong-credentials: no credentials)',
    });
    expect(levelOf(certificate, 'env', 'rotation')).toMatchObject({ verdict: 'not-run', reason: 'not run: this run had no suite of this level' });
    expect(levelOf(certificate, 'airflow:env', 'security')).toMatchObject({
      verdict: 'not-run',
      reason: 'not run: no case of auth applies to airflow:env',
    });
    for (const level of certificate.targets.find((t) => t.target.name === 'vault-kv2')?.levels ?? []) {
      expect(level).toMatchObject({ verdict: 'not-run', reason: vaultDown });
    }
    expect(certificate.targets.find((t) => t.target.name === 'vault-kv2')?.levels).toHaveLength(5);
  });

  it('lists failed cases as findings, worded by whose code failed, and the targets flags', () => {
    const airflow = certificate.targets.find((t) => t.target.name === 'airflow:env');
    expect(airflow?.findings.map((c) => c.case)).toEqual(['a JSON port given as a string becomes an integer']);
    expect(airflow?.flags).toEqual(['backend_kwargs is not a JSON object: Airflow ignored it']);
    expect(certificate.targets.find((t) => t.target.name === 'vault-kv2')?.flags).toEqual([
      'the target did not run: bao is not installed; run npm run servers:install',
    ]);
    const markdown = renderCertificateMarkdown(certificate);
    expect(markdown).toContain(
      '**airflow:env**: Airflow itself (airflow.secrets.environment_variables.EnvironmentVariablesBackend, apache-airflow 3.3.2) fails 1 case:',
    );
    expect(markdown).toContain(
      '- formats › a JSON port given as a string becomes an integer: rule §1 the formats rule for a JSON port given as a string becomes an integer; `AssertionError: connection "c1": port differs (got string, want number)`',
    );
    expect(markdown).toContain('**env**: the reference EnvironmentVariablesBackend fails 1 case:');
    expect(markdown).toContain('- airflow:env: backend_kwargs is not a JSON object: Airflow ignored it');
  });

  it('groups measured figures by metric name, one row per target, with nearest-rank percentiles', () => {
    expect(percentile([1, 2, 3, 4, 10], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 10], 95)).toBe(10);
    expect(percentile([7], 99)).toBe(7);
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(certificate.metrics.map((g) => `${g.metric} (${g.unit})`)).toEqual(['lookup latency (ms)', 'requests per lookup (requests)']);
    expect(certificate.metrics[0]?.rows).toEqual([
      { target: 'env', cases: 2, samples: 5, min: 1, p50: 3, p95: 10, p99: 10, max: 10 },
      { target: 'airflow:env', cases: 1, samples: 1, min: 40, p50: 40, p95: 40, p99: 40, max: 40 },
    ]);
    expect(renderCertificateMarkdown(certificate)).toContain('| env | 2 | 5 | 1 | 3 | 10 | 10 | 10 |');
  });
});

describe('the Resilience level', () => {
  it("gives each of its suites a verdict of its own, throttling's among them, and says how the server was made to throttle", () => {
    const throttled = target('vault-kv2', {
      backendKind: 'VaultBackend',
      network: {
        server: { name: 'vault' } as never,
        serverUrl: () => null,
        addressKwargs: () => ({}),
        timeoutKwargs: () => ({}),
        lookupBudget: () => ({ attempts: 1, worstCaseMs: 0, throttledWaitsMs: 0 }),
        requestKind: () => 'read',
        throttling: {
          method: 'a rate-limit quota on the path',
          status: 429,
          throttleVariable: () => Promise.reject(new Error('not here')),
          limitVariableRate: () => Promise.reject(new Error('not here')),
        },
      },
    });
    const description = describeTarget(throttled, environment, CANARY);
    expect(description.notes).toContain('throttling: a rate-limit quota on the path');
    const run = buildRunReport({
      runId: 'run-2',
      startedAt: new Date(0),
      finishedAt: new Date(1000),
      endReason: 'failed',
      provisioning: 'native',
      ci: false,
      unitTestsSelected: false,
      targets: [{ name: 'vault-kv2', family: 'vault', backendKind: 'VaultBackend', servers: [], description }],
      suites: [
        { id: 'failover', title: 'Failover', level: 'resilience' },
        { id: 'throttling', title: 'Throttling', level: 'resilience' },
      ],
      servers: [],
      unitModules: 0,
      tests: [
        recorded('vault-kv2', 'failover', 'latency', 'passed'),
        recorded('vault-kv2', 'throttling', 'a throttled read', 'failed', { errors: [{ name: 'Error', message: 'read as "not found"' }] }),
      ],
      errors: [],
    });
    const resilience = levelOf(buildCertificate(run), 'vault-kv2', 'resilience');
    expect(resilience.verdict).toBe('not-certified');
    expect(resilience.suiteVerdicts).toEqual([
      { suite: 'failover', verdict: 'certified', passed: 1, failed: 0 },
      { suite: 'throttling', verdict: 'not-certified', passed: 0, failed: 1 },
    ]);
    const markdown = renderCertificateMarkdown(buildCertificate(run));
    expect(markdown).toContain('by suite: failover ✓ certified (1/1); throttling ✗ not certified (0/1)');
    expect(markdown).toContain('- note: throttling: a rate-limit quota on the path');
    expect(renderCertificateHtml(buildCertificate(run))).toContain('by suite: failover ✓ certified (1/1); throttling ✗ not certified (0/1)');
  });

  describe("the load bench's soak verdict under Resilience", () => {
    const commit = 'c0ffee0000000000000000000000000000000000';
    const benchRoot = join(scratch, 'bench');
    const soakReport = (load: ReturnType<typeof readLoadEvidence>) =>
      buildRunReport({
        runId: 'run-3',
        startedAt: new Date(0),
        finishedAt: new Date(1000),
        endReason: 'passed',
        provisioning: 'native',
        ci: false,
        unitTestsSelected: false,
        targets: [{ name: 'vault-kv2', family: 'vault', backendKind: 'VaultBackend', servers: [], description: descriptions['vault-kv2'] }],
        suites: [{ id: 'failover', title: 'Failover', level: 'resilience' }],
        servers: [],
        unitModules: 0,
        tests: [recorded('vault-kv2', 'failover', 'latency', 'passed')],
        errors: [],
        load,
      });
    const writeBench = async (soak: unknown[], benchCommit = commit) => {
      await mkdir(join(benchRoot, 'latest'), { recursive: true });
      const bench = { kind: 'load', runId: 'bench-9', commit: benchCommit, finishedAt: 'then', options: { soakSeconds: 180 }, soak };
      await writeFile(join(benchRoot, 'latest', 'bench.json'), JSON.stringify(bench));
    };
    const soaked = (leaks: string[]) => ({ target: 'vault-kv2', lookups: 900, answered: 870, faultsApplied: 54, leaks });

    it('a soak of this commit that held is shown, and the level stays certified', async () => {
      await writeBench([soaked([])]);
      const run = soakReport(readLoadEvidence(benchRoot, commit));
      const resilience = levelOf(buildCertificate(run), 'vault-kv2', 'resilience');
      expect(resilience.verdict).toBe('certified');
      const markdown = renderCertificateMarkdown(buildCertificate(run));
      expect(markdown).toContain(
        'soak (load bench bench-9, 180 s per target): ✓ held: 900 lookups (870 answered) while 54 Toxiproxy faults came and went',
      );
      expect(renderCertificateHtml(buildCertificate(run))).toContain('soak (load bench bench-9, 180 s per target): ✓ held');
    });

    it('a soak that grew beyond noise leaves the level not certified, with the numbers', async () => {
      await writeBench([soaked(['sockets 12 -> 212 (noise 8)'])]);
      const resilience = levelOf(buildCertificate(soakReport(readLoadEvidence(benchRoot, commit))), 'vault-kv2', 'resilience');
      expect(resilience.verdict).toBe('not-certified');
      expect(resilience.reason).toContain('sockets 12 -> 212 (noise 8)');
    });

    it("a bench of another commit, or none, is not this run's: the soak is 'not run' with how to add it", async () => {
      await writeBench([soaked(['sockets 12 -> 212 (noise 8)'])], 'another');
      expect(readLoadEvidence(benchRoot, commit)).toBeNull();
      expect(readLoadEvidence(join(scratch, 'no-bench'), commit)).toBeNull();
      const resilience = levelOf(buildCertificate(soakReport(null)), 'vault-kv2', 'resilience');
      expect(resilience.verdict).toBe('certified');
      expect(resilience.evidence).toEqual([expect.stringMatching(/^soak: not run: no `npm run bench -- --load` of this commit/)]);
    });
  });
});

describe('certificate.md', () => {
  const markdown = renderCertificateMarkdown(certificate);

  it('opens with the matrix: one row per target, a verdict in words per level', () => {
    const levels = markdown.slice(markdown.indexOf('## Levels'), markdown.indexOf('## Findings'));
    const rows = levels.split('\n').filter((line) => /^\| (env|airflow:env|vault-kv2) \|/.test(line));
    expect(rows).toEqual([
      '| env | EnvironmentVariablesBackend | ✓ certified (2/2) | ✗ not certified (0/1) | – not run | – not run | – not run | 1 of 5 levels certified, 1 not certified |',
      '| airflow:env | airflow.secrets.environment_variables.EnvironmentVariablesBackend | ✗ not certified (1/2) | ✓ certified (1/1) | – not run | – not run | – not run | 1 of 5 levels certified, 1 not certified |',
      '| vault-kv2 | VaultBackend | – not run | – not run | – not run | – not run | – not run | did not run: bao is not installed; run npm run servers:install |',
    ]);
  });

  it('says what was certified: class, implementation, versions, redacted kwargs, servers', () => {
    expect(markdown).toContain("- implementation: Airflow's own class, run by Airflow through the bridge");
    expect(markdown).toContain('- versions: apache-airflow 3.3.2');
    expect(markdown).toContain('  - `connections_prefix`: `airflow-connections`');
    expect(markdown).toContain('  - `password`: `[redacted: secret-looking name]`');
    expect(markdown).toContain(`- servers: vault: unavailable (${vaultDown})`);
    expect(markdown).toContain('- servers: none: embedded (the backend runs in this process)');
    expect(markdown).toContain('- kwargs: not declared');
    expect(markdown).toContain('- kwargs: none');
  });

  it('lists every case with pass, fail or not run and the reason, escaping table syntax', () => {
    expect(markdown).toContain('| retrieval | reads a config value | not run | not run: env does not declare config: no get_config |');
    expect(markdown).toContain('| caching | expires after the TTL | fail | AssertionError: variable "k": still cached after 61 s |');
    expect(markdown).toContain('| formats | reads <b>JSON</b> \\| pipes | pass | §1 the formats rule for reads <b>JSON</b> \\| pipes |');
    expect(markdown).toContain(`#### Core: – not run\n\n${vaultDown}`);
  });
});

describe('certificate.html', () => {
  const html = renderCertificateHtml(certificate);

  it('is one self-contained page: inline style, no script, nothing fetched', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|url\(|@import/i);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('escapes text from the model', () => {
    expect(html).toContain('reads &lt;b&gt;JSON&lt;/b&gt; | pipes');
    expect(html).not.toContain('<b>JSON</b>');
  });

  it('labels every verdict cell in words as well as colour', () => {
    const cells = [...html.matchAll(/<td class="verdict ([a-z-]+)"[^>]*><span class="label">([^<]*)<\/span>/g)].map((m) => [m[1], m[2]]);
    expect(cells).toHaveLength(15);
    for (const [verdict, label] of cells) {
      expect(label).toBe({ certified: '✓ certified', 'not-certified': '✗ not certified', 'not-run': '– not run' }[verdict ?? '']);
    }
  });
});

describe('the certificate files of a run', () => {
  it('are written with the other reports, and the canary scan reads them', async () => {
    const runDir = join(scratch, 'run-1');
    await writeRunReports(report, runDir);
    const files = (await readdir(runDir)).sort();
    expect(files).toEqual(expect.arrayContaining([CERTIFICATE_FILES.markdown, CERTIFICATE_FILES.html]));
    expect(await readFile(join(runDir, CERTIFICATE_FILES.markdown), 'utf8')).toBe(renderCertificateMarkdown(certificate));
    expect(await readFile(join(runDir, CERTIFICATE_FILES.html), 'utf8')).toBe(renderCertificateHtml(certificate));

    const clean = await scanFolderForCanary(runDir, CANARY);
    expect(clean).toEqual({ scannedFiles: files.length, findings: [] });
    // A writer that leaked a value into either certificate file would be caught.
    await appendFile(join(runDir, CERTIFICATE_FILES.html), `<!-- ${CANARY} -->`);
    await appendFile(join(runDir, CERTIFICATE_FILES.markdown), CANARY.toUpperCase());
    expect((await scanFolderForCanary(runDir, CANARY)).findings).toEqual([
      { source: CERTIFICATE_FILES.html, occurrences: 1 },
      { source: CERTIFICATE_FILES.markdown, occurrences: 1 },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// The page in a real browser

// The page-side callbacks below run in Chromium, where these exist; the project compiles without DOM types.
declare function getComputedStyle(element: unknown): { backgroundColor: string };
declare const document: { documentElement: { scrollWidth: number; clientWidth: number } };

const CHROMIUM = process.env.ASC_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

function requireChromium(context: TestContext): void {
  if (existsSync(CHROMIUM)) return;
  const note = `not run: chromium not installed (${CHROMIUM}); run npm run servers:install`;
  if (process.env.CI === 'true') throw new Error(note);
  context.skip(note);
}

describe('certificate.html in headless Chromium', () => {
  it('renders the matrix: one row per target, every verdict cell showing its text, nothing off-page', async (context) => {
    requireChromium(context);
    const { chromium } = await import('playwright-core');
    const page = join(scratch, 'browser-certificate.html');
    await writeFile(page, renderCertificateHtml(certificate));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await tab.goto(`file://${page}`);
      const matrix = tab.locator('table#matrix');
      await expect.poll(() => matrix.isVisible(), { timeout: 10_000 }).toBe(true);

      const rowLocator = matrix.locator(':scope > tbody > tr');
      const rows: {
        target: string | null;
        header: string;
        cells: { verdict: string | null; label: string; background: string; visible: boolean }[];
      }[] = [];
      for (let index = 0, count = await rowLocator.count(); index < count; index += 1) {
        const row = rowLocator.nth(index);
        const cellLocator = row.locator('td.verdict');
        const cells = [];
        for (let column = 0, columns = await cellLocator.count(); column < columns; column += 1) {
          const cell = cellLocator.nth(column);
          const box = await cell.boundingBox();
          cells.push({
            verdict: await cell.getAttribute('data-verdict'),
            label: (await cell.locator('.label').innerText()).trim(),
            background: await cell.evaluate((element) => getComputedStyle(element).backgroundColor),
            visible: box !== null && box.width > 0 && box.height > 0,
          });
        }
        rows.push({ target: await row.getAttribute('data-target'), header: (await row.locator('th').innerText()).trim(), cells });
      }
      expect(rows.map((row) => row.target)).toEqual(['env', 'airflow:env', 'vault-kv2']);
      expect(rows.map((row) => row.header)).toEqual(['env', 'airflow:env', 'vault-kv2']);
      const labels = { certified: '✓ certified', 'not-certified': '✗ not certified', 'not-run': '– not run' } as Record<string, string>;
      for (const row of rows) {
        expect(row.cells).toHaveLength(5);
        for (const c of row.cells) {
          expect(c.visible).toBe(true);
          expect(c.label).toBe(labels[c.verdict ?? '']);
        }
      }
      expect(rows[0]?.cells.map((c) => c.verdict)).toEqual(['certified', 'not-certified', 'not-run', 'not-run', 'not-run']);
      // Colour backs the words up: the three verdicts are painted differently.
      const backgrounds = new Set(rows.flatMap((row) => row.cells.map((c) => `${c.verdict}=${c.background}`)));
      expect(new Set([...backgrounds].map((entry) => entry.split('=')[1])).size).toBe(3);

      const overflow = await tab.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
    } finally {
      await browser.close();
    }
  });

  it('wraps a long class name inside its column instead of running over the next one', async (context) => {
    requireChromium(context);
    const { chromium } = await import('playwright-core');
    const longName = 'airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend';
    const withLongName: Certificate = {
      ...certificate,
      targets: certificate.targets.map((one) => ({ ...one, description: { ...one.description, backendClass: longName } })),
    };
    const page = join(scratch, 'browser-long-class.html');
    await writeFile(page, renderCertificateHtml(withLongName));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const tab = await browser.newPage({ viewport: { width: 900, height: 900 } });
      await tab.goto(`file://${page}`);
      const cells = tab.locator('table#matrix td.backend');
      await expect.poll(() => cells.count(), { timeout: 10_000 }).toBe(certificate.targets.length);
      for (let index = 0; index < certificate.targets.length; index += 1) {
        const cell = await cells.nth(index).boundingBox();
        const code = await cells.nth(index).locator('code').boundingBox();
        expect(cell && code, 'the backend cell and its class name are laid out').toBeTruthy();
        // The class name stays inside its own cell: it neither overflows to the right nor hides text.
        expect((code?.x ?? 0) + (code?.width ?? 0)).toBeLessThanOrEqual((cell?.x ?? 0) + (cell?.width ?? 0) + 0.5);
        const scroll = await cells
          .nth(index)
          .locator('code')
          .evaluate((element) => element.scrollWidth - element.clientWidth);
        expect(scroll).toBeLessThanOrEqual(0);
      }
    } finally {
      await browser.close();
    }
  });
});
