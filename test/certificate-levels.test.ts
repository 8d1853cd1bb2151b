/** The verdicts of a certificate: a level per target, its findings and figures, and the Resilience level with its soak. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildRunReport } from '../reports/build-report';
import { buildCertificate } from '../reports/certificate';
import { describeTarget } from '../reports/target-description';
import { renderCertificateMarkdown } from '../reports/certificate-markdown';
import { renderCertificateHtml } from '../reports/certificate-html';
import { readLoadEvidence } from '../reports/load-evidence';
import { percentile } from '../reports/statistics';
import { CANARY, certificate, descriptions, environment, levelOf, recorded, target, vaultDown } from './support/certificate-sample';

const scratch = await mkdtemp(join(tmpdir(), 'certificate-test-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

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
