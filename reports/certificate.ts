/**
 * The certificate of a run, as a model: for every target, what was certified (class, versions,
 * redacted kwargs, servers), a verdict per certification level with every case behind it, the
 * measured figures, the findings and the flags. `buildCertificate` reads the report model only;
 * certificate-markdown.ts renders it as `certificate.md`, certificate-html.ts as `certificate.html`.
 */
import { soakLine } from './load-evidence';
import type { CertificationLevel, MetricUnit } from '../suites/suite';
import { ownPackageVersion, type TargetDescription } from '../suites/target';
import { percentile } from './statistics';
import type { CaseReport, RunReport, ServerReport, TargetReport } from './model';

export const CERTIFICATE_FILES = { markdown: 'certificate.md', html: 'certificate.html' } as const;

export type LevelVerdict = 'certified' | 'not-certified' | 'not-run';

export const CERTIFICATION_LEVELS: readonly { readonly id: CertificationLevel; readonly title: string }[] = [
  { id: 'core', title: 'Core' },
  { id: 'lookup-and-caching', title: 'Lookup and caching' },
  { id: 'rotation', title: 'Rotation' },
  { id: 'resilience', title: 'Resilience' },
  { id: 'security', title: 'Security and auth' },
];

export interface LevelResult {
  readonly level: CertificationLevel;
  readonly title: string;
  /** Suites of this level that brought cases for this target. */
  readonly suites: readonly string[];
  readonly verdict: LevelVerdict;
  readonly passed: number;
  readonly failed: number;
  readonly notRun: number;
  /** Why the level was not run, when it was not. */
  readonly reason?: string;
  readonly cases: readonly CaseReport[];
  /** Each suite's own verdict within the level (failover, request budget, throttling under Resilience). */
  readonly suiteVerdicts: readonly SuiteVerdict[];
  /** Verdicts from outside the run that belong to the level: the load bench's soak under Resilience. */
  readonly evidence: readonly string[];
}

export interface SuiteVerdict {
  readonly suite: string;
  readonly verdict: LevelVerdict;
  readonly passed: number;
  readonly failed: number;
}

function suiteVerdict(suite: string, cases: readonly CaseReport[]): SuiteVerdict {
  const own = cases.filter((c) => c.suite === suite);
  const passed = own.filter((c) => c.status === 'pass').length;
  const failed = own.filter((c) => c.status === 'fail' || c.status === 'finding').length;
  return { suite, verdict: failed > 0 ? 'not-certified' : passed > 0 ? 'certified' : 'not-run', passed, failed };
}

export interface TargetCertificate {
  readonly target: TargetReport;
  readonly description: TargetDescription;
  readonly servers: readonly ServerReport[];
  readonly levels: readonly LevelResult[];
  /** Failed cases of a target that ran. */
  readonly findings: readonly CaseReport[];
  readonly flags: readonly string[];
}

export interface MetricRow {
  readonly target: string;
  /** Cases that recorded the metric. */
  readonly cases: number;
  readonly samples: number;
  readonly min: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export interface MetricGroup {
  readonly metric: string;
  readonly unit: MetricUnit;
  readonly rows: readonly MetricRow[];
}

export interface Certificate {
  readonly report: RunReport;
  readonly issuer: string;
  readonly targets: readonly TargetCertificate[];
  readonly metrics: readonly MetricGroup[];
  /** Problems of the run as a whole (interrupted, errors outside tests). */
  readonly runFlags: readonly string[];
}

function levelResult(target: TargetReport, report: RunReport, level: (typeof CERTIFICATION_LEVELS)[number]): LevelResult {
  const inRun = report.suites.filter((suite) => suite.level === level.id).map((suite) => suite.id);
  // A target that did not run has one placeholder per suite, not cases.
  const cases = target.status === 'ran' ? report.cases.filter((c) => c.target === target.name && c.level === level.id) : [];
  const suites = inRun.filter((suite) => cases.some((c) => c.suite === suite));
  const passed = cases.filter((c) => c.status === 'pass').length;
  // A known finding is still a case the backend fails: the level is not certified for it.
  const failed = cases.filter((c) => c.status === 'fail' || c.status === 'finding').length;
  const notRun = cases.length - passed - failed;
  const suiteVerdicts = suites.map((suite) => suiteVerdict(suite, cases));
  const networked = cases.some((c) => c.suite === 'failover' || c.suite === 'throttling');
  const soak = level.id === 'resilience' ? soakLine(report.load, target.name, networked) : null;
  const base = { level: level.id, title: level.title, suites, passed, failed, notRun, cases, suiteVerdicts, evidence: soak ? [soak] : [] };
  if (target.status === 'not-run') return { ...base, verdict: 'not-run', reason: target.notRunReason ?? 'not run: the target did not run' };
  const leaks = report.canary.leaks ?? [];
  if (level.id === 'security' && leaks.length > 0) {
    return { ...base, verdict: 'not-certified', reason: `a seeded secret value leaked into ${leaks.join(', ')}` };
  }
  if (failed > 0) return { ...base, verdict: 'not-certified' };
  const leaked = level.id === 'resilience' ? report.load?.soak.find((one) => one.target === target.name && one.verdict === 'leaked') : undefined;
  if (leaked) return { ...base, verdict: 'not-certified', reason: `the load bench's soak grew beyond noise: ${leaked.detail}` };
  if (passed > 0) return { ...base, verdict: 'certified' };
  let reason: string;
  if (inRun.length === 0) reason = 'not run: this run had no suite of this level';
  else if (cases.length === 0) reason = `not run: no case of ${inRun.join(', ')} applies to ${target.name}`;
  else {
    const why = (cases[0]?.skipReason ?? 'no reason given').replace(/^not run:\s*/, '');
    reason = cases.length === 1 ? `not run: its one case was skipped (${why})` : `not run: all ${cases.length} cases were skipped (${why}, ...)`;
  }
  return { ...base, verdict: 'not-run', reason };
}

function descriptionOf(target: TargetReport): TargetDescription {
  return (
    target.description ?? { backendClass: target.backendKind, origin: 'unknown', versions: {}, notes: ['this report predates target descriptions'] }
  );
}

function metricGroups(report: RunReport): MetricGroup[] {
  const groups = new Map<string, { metric: string; unit: MetricUnit; byTarget: Map<string, { cases: Set<string>; values: number[] }> }>();
  for (const c of report.cases) {
    for (const m of c.metrics) {
      if (!Number.isFinite(m.value)) continue;
      const key = `${m.metric}\u0000${m.unit}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { metric: m.metric, unit: m.unit, byTarget: new Map() }));
      let samples = group.byTarget.get(c.target);
      if (!samples) group.byTarget.set(c.target, (samples = { cases: new Set(), values: [] }));
      samples.cases.add(`${c.suite}\u0000${c.case}`);
      samples.values.push(m.value);
    }
  }
  const order = report.targets.map((t) => t.name);
  return [...groups.values()]
    .sort((a, b) => a.metric.localeCompare(b.metric) || a.unit.localeCompare(b.unit))
    .map((group) => ({
      metric: group.metric,
      unit: group.unit,
      rows: [...group.byTarget.entries()]
        .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
        .map(([target, samples]) => {
          const sorted = [...samples.values].sort((x, y) => x - y);
          return {
            target,
            cases: samples.cases.size,
            samples: sorted.length,
            min: sorted[0] as number,
            p50: percentile(sorted, 50),
            p95: percentile(sorted, 95),
            p99: percentile(sorted, 99),
            max: sorted[sorted.length - 1] as number,
          };
        }),
    }));
}

export function buildCertificate(report: RunReport): Certificate {
  const targets = report.targets.map((target): TargetCertificate => {
    const description = descriptionOf(target);
    const flags = [...(description.flags ?? [])];
    if (target.status === 'not-run') flags.push(`the target did not run: ${(target.notRunReason ?? 'no reason given').replace(/^not run:\s*/, '')}`);
    return {
      target,
      description,
      servers: target.servers.map(
        (name) => report.servers.find((s) => s.name === name) ?? { name, status: 'unavailable', reason: 'not in servers.json' },
      ),
      levels: CERTIFICATION_LEVELS.map((level) => levelResult(target, report, level)),
      findings:
        target.status === 'ran' ? report.cases.filter((c) => c.target === target.name && (c.status === 'fail' || c.status === 'finding')) : [],
      flags,
    };
  });
  const runFlags: string[] = [];
  if (report.endReason === 'interrupted') runFlags.push('the run was interrupted: levels may rest on fewer cases than the suites hold');
  for (const error of report.errors) runFlags.push(`error outside any test: ${error}`);
  for (const leak of report.canary.leaks ?? [])
    runFlags.push(`a seeded secret value leaked into ${leak}: no level of Security and auth is certified`);
  return { report, issuer: `airflow-secrets-conformance ${ownPackageVersion()}`, targets, metrics: metricGroups(report), runFlags };
}
