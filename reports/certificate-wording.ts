/**
 * The words the Markdown and HTML certificates share: verdict and case labels, who a finding is
 * about, the one-line texts of versions, servers and counts, and the legends. One wording, so the
 * two renderings cannot drift apart.
 */
import type { BackendOrigin, TargetDescription } from '../suites/target';
import type { LevelResult, LevelVerdict, TargetCertificate } from './certificate';
import type { CaseReport, ServerReport } from './model';

export const VERDICT_LABELS: Record<LevelVerdict, string> = { certified: 'certified', 'not-certified': 'not certified', 'not-run': 'not run' };
export const VERDICT_SYMBOLS: Record<LevelVerdict, string> = { certified: '✓', 'not-certified': '✗', 'not-run': '–' };
export const CASE_LABELS: Record<CaseReport['status'], string> = { pass: 'pass', fail: 'fail', skip: 'not run', finding: 'fail (known finding)' };

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
  const notes = (c.notes ?? []).map((note) => `; note: ${note}`).join('');
  if (c.status === 'fail') return `${c.error ?? 'failed without an error'}${notes}`;
  if (c.status === 'finding') return `${c.error ?? 'failed'}; known finding: ${c.finding ?? ''}${notes}`;
  if (c.status === 'skip') return c.skipReason ?? 'not run: no reason given';
  return `${c.rule}${notes}`;
}

export const VERDICT_LEGEND =
  'certified: every executed case of the level passed; not certified: at least one failed; ' +
  "not run: no case of the level executed (the reason is in the target's section). Cases a target cannot run are " +
  'skipped with its declared reason and do not count against it.';

export const SECRET_NOTE =
  "Kwargs under secret-looking names (token, password, secret, key, credentials, ...) and any value carrying the run's " +
  'canary are redacted. After the run every report file, this one included, is searched for the canary (canary.json).';
