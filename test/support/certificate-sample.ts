/**
 * The run every certificate test reads: three targets (the reference env one, Airflow's own class,
 * a Vault target whose server never started) built into one report and one certificate, and the
 * small builders for targets and recorded cases that the tests vary it with.
 */
import { buildRunReport, type RecordedTest, type SelectedTarget } from '../../reports/build-report';
import { buildCertificate, type Certificate, type LevelResult } from '../../reports/certificate';
import { describeTarget } from '../../reports/target-description';
import type { ConformanceMeta, RunReport } from '../../reports/model';
import type { CaseMetric, CertificationLevel } from '../../suites/suite';
import type { TargetDefinition, TargetDescription, TargetEnvironment } from '../../suites/target';

export const CANARY = 'cnryc0ffee1234abcd';
export const environment: TargetEnvironment = { runId: 'run-1', canary: 'cnrycertificatetest', scratchDir: '/tmp/scratch', servers: {} };

export function target(name: string, extra: Partial<TargetDefinition> = {}): TargetDefinition {
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

export function recorded(targetName: string, suite: string, name: string, state: RecordedTest['state'], extra: RecordedExtra = {}): RecordedTest {
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

export const vaultDown = 'not run: bao is not installed; run npm run servers:install';
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

export const descriptions: Record<string, TargetDescription> = {
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
export const report = sampleReport(descriptions);
export const certificate = buildCertificate(report);

export function levelOf(cert: Certificate, targetName: string, level: CertificationLevel): LevelResult {
  const found = cert.targets.find((t) => t.target.name === targetName)?.levels.find((l) => l.level === level);
  if (!found) throw new Error(`no ${level} level for ${targetName}`);
  return found;
}
