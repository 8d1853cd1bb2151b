/**
 * The certificate of a run: for every target, what was certified (class, versions, redacted
 * kwargs, servers), a verdict per certification level with every case behind it, the measured
 * figures, the findings and the flags. `buildCertificate` reads the report model only; this file
 * renders it as `certificate.md`, `certificate-html.ts` as `certificate.html`.
 *
 * What a target says about itself enters the model through `describeTarget`, which redacts it:
 * every report file may then print a description as it stands.
 */
import { soakLine } from './load-evidence';
import type { MutantTarget } from '../mutants/mutant';
import type { CertificationLevel, MetricUnit } from '../suites/suite';
import { ownPackageVersion, type TargetDefinition, type TargetEnvironment } from '../suites/target';
import { firstErrorLine } from '../model/errors';
import { percentile } from './statistics';
import { formatDuration } from './text';
import type { BackendOrigin, TargetDescription } from '../suites/target';
import type { CaseReport, RunReport, ServerReport, TargetReport } from './model';

export const CERTIFICATE_FILES = { markdown: 'certificate.md', html: 'certificate.html' } as const;

// ---------------------------------------------------------------------------------------------
// Describing a target, redacted

/** Substrings of a kwarg name that make its value secret-looking, wherever they stand in the name. */
const SECRET_NAME_PARTS = [
  'pass',
  'pwd',
  'token',
  'secret',
  'credential',
  'private',
  'key',
  'session',
  'cookie',
  'cert',
  'jwt',
  'signature',
  'role_id',
  'sas',
];
/** A URL whose user-info holds a password: `postgres://user:pw@host`. */
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@\s]*:[^/?#@\s]*@/i;
const MAX_KWARG_DEPTH = 8;

export const REDACTED = {
  byName: '[redacted: secret-looking name]',
  byCanary: "[redacted: carries the run's canary]",
  urlPassword: '[redacted: URL with a password]',
} as const;

export function isSecretLookingName(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_NAME_PARTS.some((part) => lower.includes(part));
}

function carriesCanary(text: string, canary: string): boolean {
  return canary !== '' && text.toLowerCase().includes(canary.toLowerCase());
}

/** Replaces every occurrence of the canary, in any case, so free text can be shown. */
export function maskCanary(text: string, canary: string): string {
  if (canary === '') return text;
  return text.replace(new RegExp(canary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), '[canary]');
}

function redactValue(value: unknown, canary: string, depth: number): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (carriesCanary(value, canary)) return REDACTED.byCanary;
    return URL_WITH_PASSWORD.test(value) ? REDACTED.urlPassword : value;
  }
  if (depth >= MAX_KWARG_DEPTH) return '[nested too deep to show]';
  if (Array.isArray(value)) return value.map((item) => redactValue(item, canary, depth + 1));
  if (typeof value === 'object') return redactKwargs(value as Record<string, unknown>, canary, depth + 1);
  // Functions, symbols, bigints: their text is not configuration a reader can use, and may hold anything.
  return `[${typeof value}]`;
}

/**
 * Kwargs a certificate can show: a value under a secret-looking name is replaced whole (nested
 * objects included), and any other value carrying the run's canary too.
 */
export function redactKwargs(kwargs: Record<string, unknown>, canary: string, depth = 0): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(kwargs)) {
    const key = maskCanary(name, canary);
    if (isSecretLookingName(name)) shown[key] = REDACTED.byName;
    else shown[key] = redactValue(value, canary, depth);
  }
  return shown;
}

export function redactDescription(description: TargetDescription, canary: string): TargetDescription {
  const mask = (text: string) => maskCanary(text, canary);
  const redacted: TargetDescription = {
    backendClass: mask(description.backendClass),
    origin: description.origin,
    versions: Object.fromEntries(Object.entries(description.versions).map(([name, version]) => [mask(name), mask(String(version))])),
  };
  if (description.kwargs) redacted.kwargs = redactKwargs(description.kwargs, canary);
  if (description.notes) redacted.notes = description.notes.map(mask);
  if (description.flags) redacted.flags = description.flags.map(mask);
  return redacted;
}

function isMutant(target: TargetDefinition): target is MutantTarget {
  return typeof (target as Partial<MutantTarget>).mutantOf === 'string';
}

/** The target's own description (or what can be said without one), redacted for the reports. */
export function describeTarget(target: TargetDefinition, environment: TargetEnvironment, canary: string): TargetDescription {
  const undeclared: TargetDescription = {
    backendClass: target.backendKind,
    origin: 'unknown',
    versions: {},
    notes: ['the target declares no describe(): its versions and kwargs are unknown'],
  };
  let description: TargetDescription;
  try {
    description = target.describe?.(environment) ?? undeclared;
  } catch (error) {
    description = { ...undeclared, notes: [`describe() failed: ${firstErrorLine(error)}`] };
  }
  // How the throttling cases made the server throttle (its own quota, or a stand-in before an emulator).
  const throttling = target.network?.throttling;
  if (throttling) description = { ...description, notes: [...(description.notes ?? []), `throttling: ${throttling.method}`] };
  // Mutants copy their base target, describe() included; the certificate must not call them the real thing.
  if (isMutant(target)) {
    description = {
      ...description,
      origin: 'mutant',
      notes: [`a deliberately broken copy of ${target.mutantOf}: ${target.breaks}`, ...(description.notes ?? [])],
    };
  }
  return redactDescription(description, canary);
}

// ---------------------------------------------------------------------------------------------
// The certificate's view of a run

export type LevelVerdict = 'certified' | 'not-certified' | 'not-run';

export const CERTIFICATION_LEVELS: readonly { readonly id: CertificationLevel; readonly title: string }[] = [
  { id: 'core', title: 'Core' },
  { id: 'lookup-and-caching', title: 'Lookup and caching' },
  { id: 'rotation', title: 'Rotation' },
  { id: 'resilience', title: 'Resilience' },
  { id: 'security', title: 'Security and auth' },
];

export const VERDICT_LABELS: Record<LevelVerdict, string> = { certified: 'certified', 'not-certified': 'not certified', 'not-run': 'not run' };
export const VERDICT_SYMBOLS: Record<LevelVerdict, string> = { certified: '✓', 'not-certified': '✗', 'not-run': '–' };
export const CASE_LABELS: Record<CaseReport['status'], string> = { pass: 'pass', fail: 'fail', skip: 'not run', finding: 'fail (known finding)' };

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

// ---------------------------------------------------------------------------------------------
// Wording shared by the Markdown and HTML renderings

export const ORIGIN_LABELS: Record<BackendOrigin, string> = {
  reference: "this package's reference implementation",
  airflow: "Airflow's own class, run by Airflow through the bridge",
  custom: 'a backend given on the command line',
  mutant: 'a deliberately broken target (proves the suites catch its bug)',
  unknown: 'not declared by the target',
};

/** Who a finding is about, for a sentence: "<who> fails these cases". */
export function findingSubject(certificate: TargetCertificate): string {
  const { description } = certificate;
  const versions = versionText(description);
  switch (description.origin) {
    case 'airflow':
      return `Airflow itself (${description.backendClass}${versions === '' ? '' : `, ${versions}`})`;
    case 'reference':
      return `the reference ${description.backendClass}`;
    case 'mutant':
      return 'the mutant (as intended: these cases catch its bug)';
    case 'custom':
      return `the backend under test (${description.backendClass})`;
    default:
      return description.backendClass;
  }
}

export function versionText(description: TargetDescription): string {
  return Object.entries(description.versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
}

export function kwargText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}

export function serverText(server: ServerReport): string {
  if (server.status !== 'started') return `${server.name}: unavailable (${server.reason ?? 'no reason given'})`;
  const identity = server.identity ? `, as ${server.identity}` : '';
  return `${server.name} ${server.version ?? '(version unknown)'}, ${server.provisioning ?? 'provisioning unknown'}${server.address ? ` at ${server.address}` : ''}${identity}`;
}

export function serversText(certificate: TargetCertificate): string {
  if (certificate.servers.length === 0) return 'none: embedded (the backend runs in this process)';
  return certificate.servers.map(serverText).join('; ');
}

export function levelCounts(level: LevelResult): string {
  const executed = level.passed + level.failed;
  const parts = [`${level.passed}/${executed} passed`];
  if (level.notRun > 0) parts.push(`${level.notRun} not run`);
  return parts.join(', ');
}

/** `failover ✓ certified (6/6); throttling ✗ not certified (0/1)`: each suite of a level that brought cases. */
export function suiteVerdictsText(level: LevelResult): string {
  return level.suiteVerdicts
    .map((one) => {
      const executed = one.passed + one.failed;
      return `${one.suite} ${VERDICT_SYMBOLS[one.verdict]} ${VERDICT_LABELS[one.verdict]}${executed > 0 ? ` (${one.passed}/${executed})` : ''}`;
    })
    .join('; ');
}

/** `3 of 5 levels certified`, the at-a-glance summary of a row. */
export function levelSummary(certificate: TargetCertificate): string {
  if (certificate.target.status === 'not-run')
    return `did not run: ${(certificate.target.notRunReason ?? 'no reason given').replace(/^not run:\s*/, '')}`;
  const certified = certificate.levels.filter((level) => level.verdict === 'certified').length;
  const failed = certificate.levels.filter((level) => level.verdict === 'not-certified').length;
  const failedText = failed > 0 ? `, ${failed} not certified` : '';
  return `${certified} of ${certificate.levels.length} levels certified${failedText}`;
}

/** Which search path and cache each cell (suite) of a level ran, for the cells whose cases used one. */
export function searchPathsBySuite(cases: readonly CaseReport[]): Array<{ suite: string; implementations: string[] }> {
  const bySuite = new Map<string, Set<string>>();
  for (const c of cases) {
    if (!c.searchPath) continue;
    const found = bySuite.get(c.suite) ?? new Set<string>();
    found.add(c.searchPath);
    bySuite.set(c.suite, found);
  }
  return [...bySuite].map(([suite, implementations]) => ({ suite, implementations: [...implementations] }));
}

export function formatMetricValue(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toFixed(Math.abs(value) < 10 ? 2 : 1)));
}

/** What a case row shows next to its outcome: the error, the skip reason, or the rule. */
export function caseDetail(c: CaseReport): string {
  if (c.status === 'fail') return c.error ?? 'failed without an error';
  if (c.status === 'finding') return `${c.error ?? 'failed'}; known finding: ${c.finding ?? ''}`;
  if (c.status === 'skip') return c.skipReason ?? 'not run: no reason given';
  return c.rule;
}

export const VERDICT_LEGEND =
  'certified: every executed case of the level passed; not certified: at least one failed; ' +
  "not run: no case of the level executed (the reason is in the target's section). Cases a target cannot run are " +
  'skipped with its declared reason and do not count against it.';

export const SECRET_NOTE =
  "Kwargs under secret-looking names (token, password, secret, key, credentials, ...) and any value carrying the run's " +
  'canary are redacted. After the run every report file, this one included, is searched for the canary (canary.json).';

// ---------------------------------------------------------------------------------------------
// certificate.md

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
