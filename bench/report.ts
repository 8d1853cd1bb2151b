/**
 * What one bench run wrote: the figures (bench.json), the page people read (bench.md) and the
 * chart's input. Rendering only; measuring is elsewhere in bench/.
 */
import type { BatchComparison } from './batch';
import type { ConnectionReuse, ReuseCount } from './connection-reuse';
import type { ProfileDigest } from './cpu-profile';
import { formatGoalValue, formatThreshold, type GoalOutcome } from './goals';
import type { ColdCiBreakdown, ServerStart, WarmTestRun } from './harness-timing';
import type { ChartSeries, LatencyChart } from './latency-chart';
import { PATH_IDS, PATH_LABELS, type Pass, type PathId, type TargetLatency } from './lookup-latency';
import { formatDuration, formatRatio } from '../reports/text';
import type { MachineFacts } from './machine-facts';
import type { LatencySummary } from './stats';

export const BENCH_FILES = { json: 'bench.json', markdown: 'bench.md', chart: 'latency.svg', chartPng: 'latency.png' } as const;

export interface BenchResult {
  readonly schemaVersion: 1;
  readonly runId: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly machine: MachineFacts;
  readonly options: { readonly coldCi: boolean; readonly harness: boolean; readonly families: readonly string[] };
  /** The seeded variable: a fixed, non-secret text plus the run canary; its size only. */
  readonly valueBytes: number;
  readonly servers: { readonly provisioning: string; readonly unavailable: Readonly<Record<string, string>> };
  readonly latency: readonly TargetLatency[];
  readonly connectionReuse: readonly ConnectionReuse[];
  readonly batch: BatchComparison;
  readonly harness: {
    readonly warmTests: readonly WarmTestRun[];
    readonly warmTestsNote?: string;
    readonly coldCi: ColdCiBreakdown | null;
    readonly coldCiNote: string;
    readonly serverStarts: readonly ServerStart[];
  };
  readonly goals: readonly GoalOutcome[];
  readonly chartPng: string;
  readonly canaryScan?: { readonly scannedFiles: number; readonly leaks: readonly string[] };
}

export const SERIES: readonly ChartSeries[] = [
  { key: 'raw', label: PATH_LABELS.raw, colour: '#6b7280' },
  { key: 'reference', label: PATH_LABELS.reference, colour: '#2563eb' },
  { key: 'cache-hit', label: PATH_LABELS['cache-hit'], colour: '#16a34a' },
  { key: 'airflow', label: PATH_LABELS.airflow, colour: '#d97706' },
];

export function latencyChart(result: BenchResult): LatencyChart {
  return {
    title: 'Lookup latency per backend and path',
    subtitle: `bar: p50, whisker: p99; (a, b) and (b, d) sampled interleaved, (c) back to back (${result.startedAt}, ${result.machine.cpus} cores, Node ${result.machine.node})`,
    series: SERIES,
    groups: result.latency.map((target) => ({
      label: target.target,
      bars: PATH_IDS.map((path) => {
        const found = target.paths.find((one) => one.path === path);
        const missing = found?.notRun ? shortReason(found.notRun) : 'not run';
        return { series: path, p50Ms: found?.latency?.p50Ms ?? null, p99Ms: found?.latency?.p99Ms ?? null, missing };
      }),
    })),
  };
}

function shortReason(notRun: string): string {
  return notRun.length > 90 ? `${notRun.slice(0, 87)}...` : notRun;
}

// ---------------------------------------------------------------------------------------------
// bench.md

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join(
    '\n',
  );
}

const ms = (value: number | null | undefined) => (value === null || value === undefined ? 'n/a' : formatDuration(value));
const seconds = (value: number | null | undefined) => (value === null || value === undefined ? 'n/a' : `${value.toFixed(1)} s`);
const p50p99 = (summary: LatencySummary | null | undefined) =>
  summary ? `${formatDuration(summary.p50Ms)} / ${formatDuration(summary.p99Ms)}` : 'n/a';

function pathOf(target: TargetLatency, path: PathId) {
  return target.paths.find((one) => one.path === path);
}

function goalsSection(goals: readonly GoalOutcome[]): string {
  const rows = goals.map((outcome) => [
    outcome.goal.text,
    outcome.subject,
    formatGoalValue(outcome.goal.unit, outcome.measured),
    formatThreshold(outcome.goal),
    outcome.status === 'met' ? 'met' : outcome.status === 'missed' ? '**missed**' : 'not measured',
  ]);
  // One bullet per goal and reason: the same reason on five targets is said once.
  const grouped = new Map<string, GoalOutcome[]>();
  for (const outcome of goals.filter((one) => one.status !== 'met' && one.note)) {
    const key = `${outcome.goal.id}\u0000${outcome.note}`;
    grouped.set(key, [...(grouped.get(key) ?? []), outcome]);
  }
  const notes = [...grouped.values()].map((group) => {
    const first = group[0]!;
    const subjects = group
      .map((one) => `${one.subject} ${formatGoalValue(one.goal.unit, one.measured)}${one.detail ? ` (${one.detail})` : ''}`)
      .join(', ');
    return `- **${first.goal.text}**: ${subjects}. ${first.note}`;
  });
  const met = goals.filter((outcome) => outcome.status === 'met').length;
  const missed = goals.filter((outcome) => outcome.status === 'missed').length;
  return [
    '## Goals (reported, never enforced)',
    '',
    `${met} met, ${missed} missed, ${goals.length - met - missed} not measured.`,
    '',
    table(['goal', 'on', 'measured', 'goal', 'status'], rows),
    '',
    ...(notes.length > 0 ? ['### Why a goal was missed or not measured, and what would reach it', '', ...notes, ''] : []),
  ].join('\n');
}

function passesText(target: TargetLatency): string {
  const pass = (label: string, one: Pass | null) => (one ? `${label} ${one.rounds}${one.stoppedBy === 'time' ? ' (time bound)' : ''}` : '');
  return [pass('a+b', target.passes.direct), pass('b+d', target.passes.bridged), pass('c', target.passes.cacheHit)]
    .filter((one) => one !== '')
    .join(', ');
}

function headlineSection(latency: readonly TargetLatency[]): string {
  const rows = latency.map((target) => [
    target.target,
    formatRatio(target.ratios.referenceOverRaw),
    formatRatio(target.ratios.cacheHitOverReference),
    target.airflowTwin ? `${formatRatio(target.ratios.airflowOverReference)} (${target.airflowTwin})` : 'no twin',
    target.notRun ?? passesText(target),
  ]);
  return [
    '## Headline: ratios of medians, paths sampled side by side',
    '',
    'b/a: what the reference backend adds over the raw client; c/b: a cache hit relative to an uncached lookup; d/b: Airflow through the bridge relative to the reference. ' +
      'a and b are sampled interleaved in one pass, b and d in another; c (no I/O) back to back in its own: between I/O paths a hit runs on CPU caches the I/O has just cooled and measures its neighbours (3 to 10 times its own cost on this machine).',
    '',
    table(['target', 'b/a', 'c/b', 'd/b', 'rounds per pass'], rows),
    '',
  ].join('\n');
}

function latencySection(latency: readonly TargetLatency[]): string {
  const rows: string[][] = [];
  for (const target of latency) {
    for (const path of PATH_IDS) {
      const found = pathOf(target, path);
      rows.push([
        target.target,
        PATH_LABELS[path],
        found?.what || '',
        found?.latency ? formatDuration(found.latency.p50Ms) : found?.notRun ? shortReason(found.notRun) : 'n/a',
        found?.latency ? formatDuration(found.latency.p99Ms) : '',
        found?.latency ? String(found.latency.samples) : '',
      ]);
      if (path === 'raw' && target.rawInAsyncFunction) {
        const floor = target.rawInAsyncFunction;
        rows.push([
          target.target,
          "(a') raw call behind a Promise",
          `${found?.what ?? ''} in an async function: the floor of an async contract`,
          formatDuration(floor.p50Ms),
          formatDuration(floor.p99Ms),
          String(floor.samples),
        ]);
      }
    }
  }
  const requests = latency
    .filter((target) => target.referenceRequestsPerLookup !== null && target.referenceRequestsPerLookup > 0)
    .map((target) => `${target.target} ${target.referenceRequestsPerLookup?.toFixed(2)}`);
  return [
    '## Lookup latency per target and path',
    '',
    table(['target', 'path', 'call', 'p50', 'p99', 'samples'], rows),
    '',
    'The (b) of d/b is the (b) sampled beside (d), in the bridge overhead table below.',
    '',
    ...(requests.length > 0 ? [`Upstream requests per uncached reference lookup: ${requests.join(', ')}.`, ''] : []),
  ].join('\n');
}

function bridgeSection(latency: readonly TargetLatency[]): string {
  const rows = latency
    .filter((target) => target.bridge)
    .map((target) => {
      const bridge = target.bridge!;
      return [
        `${target.airflowTwin} (on ${target.target})`,
        p50p99(target.referenceBesideAirflow),
        p50p99(pathOf(target, 'airflow')?.latency),
        p50p99(bridge.roundTrip),
        p50p99(bridge.insideAirflow),
        p50p99(bridge.bridge),
        p50p99(bridge.nodeSide),
      ];
    });
  if (rows.length === 0) return '## Bridge overhead\n\nnot measured: no Airflow twin ran.\n';
  return [
    '## Bridge overhead per call (p50 / p99)',
    '',
    'd = the whole lookup as a suite sees it; round trip = request line written to answer line read; inside Airflow = what the bridge timed around the backend method; bridge = round trip minus inside Airflow (pipes, JSON, the bridge loop); Node side = d minus round trip (CommandBackend: environment mirroring, answer checks).',
    '',
    table(['Airflow backend', 'b beside d', 'd', 'round trip', 'inside Airflow', 'bridge', 'Node side'], rows),
    '',
  ].join('\n');
}

function reuseSection(reuse: readonly ConnectionReuse[]): string {
  const count = (one: ReuseCount | null) => (one ? `${one.tcpConnections} / ${one.httpRequests}` : 'n/a');
  const perLookup = (one: ReuseCount | null) => (one && one.lookups > 0 ? formatDuration(one.wallMs / one.lookups) : 'n/a');
  const rows = reuse.map((one) => [
    one.target,
    one.server,
    one.notRun ? shortReason(one.notRun) : String(one.front?.lookups ?? one.asIs?.lookups ?? 0),
    count(one.asIs),
    count(one.front),
    one.front?.serverCloses === null || one.front?.serverCloses === undefined ? 'n/a' : String(one.front.serverCloses),
    `${perLookup(one.asIs)} / ${perLookup(one.front)}`,
  ]);
  return [
    '## Connection reuse: sequential lookups with one backend instance',
    '',
    'Counted on the wire: a TCP proxy counts connections opened, an HTTP proxy behind it counts requests (logins included). ' +
      '"Server as is": the HTTP proxy passes the server\'s own Connection header on. "Keep-alive front": it keeps the client\'s connection open whatever the server says, which shows what the client does against a server that allows reuse (Vault, AWS). The goal is judged on the front.',
    '',
    table(
      [
        'backend',
        'server',
        'lookups',
        'connections / requests, server as is',
        'connections / requests, keep-alive front',
        'server answers with Connection: close',
        'per lookup, as is / front',
      ],
      rows,
    ),
    '',
  ].join('\n');
}

function batchSection(batch: BatchComparison): string {
  if (batch.notRun) return `## Batch reads (Secrets Manager)\n\n${batch.notRun}\n`;
  return [
    `## Batch reads: ${batch.variables} variables from Secrets Manager`,
    '',
    table(
      ['reads', 'upstream calls', 'wall time p50 / p99 per round', 'rounds'],
      [
        ['BatchGetSecretValue, 20 names per call', String(batch.batchCalls), p50p99(batch.batchRound), String(batch.rounds)],
        ['GetSecretValue, one name per call', String(batch.singleCalls), p50p99(batch.singleRound), String(batch.rounds)],
      ],
    ),
    '',
    `Single reads take ${formatRatio(batch.singleOverBatch)} the batch's wall time. Airflow's SecretsManagerBackend reads one name per lookup (GetSecretValue), so this is what a batching backend, or a warm-up that fills the cache in batches, could save.`,
    '',
  ].join('\n');
}

function harnessSection(result: BenchResult): string {
  const { warmTests, warmTestsNote, coldCi, coldCiNote, serverStarts } = result.harness;
  const warmRows = warmTests.map((run) => [
    run.command,
    run.notRun ?? seconds(run.wallMs === null ? null : run.wallMs / 1000),
    run.passed === null ? `exit ${run.exitCode}` : run.passed ? 'passed' : `failed (exit ${run.exitCode})`,
    run.cases ? `${run.cases.pass} pass, ${run.cases.finding} finding, ${run.cases.fail} fail, ${run.cases.skip} skip` : 'n/a',
    Object.entries(run.serverStartMs)
      .map(([server, start]) => `${server} ${ms(start)}`)
      .join(', ') || 'none',
    run.slowestSuites.map((suite) => `${suite.name} ${formatDuration(suite.ms)}`).join(', ') || 'n/a',
  ]);
  const cold = coldCi
    ? [
        table(
          ['phase', 'seconds'],
          [
            ['install (npm ci + servers:install)', seconds(coldCi.installSeconds)],
            ['typecheck', seconds(coldCi.typecheckSeconds)],
            ['server start (inside the tests, slowest server)', seconds(coldCi.serverStartSeconds)],
            ['suites (tests minus server start)', seconds(coldCi.suitesSeconds)],
            ['total', seconds(coldCi.totalSeconds)],
          ],
        ),
        '',
        `Record ${coldCi.record} (commit ${coldCi.commit.slice(0, 12)}, started ${coldCi.startedAt}, ${coldCi.passed ? 'passed' : `failed in ${coldCi.failedPhase ?? 'an unknown phase'}`}). ${coldCiNote}`,
      ].join('\n')
    : coldCiNote;
  const startRows = serverStarts.map((start) => [
    start.server,
    start.provisioning,
    start.medianMs === null ? (start.notRun ?? 'n/a') : ms(start.medianMs),
    start.samplesMs.map((one) => ms(one)).join(', ') || '',
  ]);
  return [
    '## Harness',
    '',
    '### Warm `npm test -- --backend=<family>` (child processes, one after another)',
    '',
    warmRows.length > 0
      ? table(
          ['command', 'wall time', 'verdict', 'cases', 'server start inside', 'slowest suites (summed case time; workers run side by side)'],
          warmRows,
        )
      : (warmTestsNote ?? 'not measured'),
    ...(warmRows.length > 0 && warmTestsNote ? ['', warmTestsNote] : []),
    '',
    '### Cold CI (`.ci/run` on a fresh clone)',
    '',
    cold,
    '',
    '### Server start per provisioning strategy (each server alone, readiness included)',
    '',
    table(['server', 'provisioning', 'median', 'samples'], startRows),
    '',
  ].join('\n');
}

function profileLines(label: string, digest: ProfileDigest): string[] {
  const modules = digest.modules.map((one) => `${one.name} ${(one.share * 100).toFixed(0)}%`).join(', ');
  const functions = digest.functions
    .slice(0, 5)
    .map((one) => `${one.name} ${(one.share * 100).toFixed(0)}%`)
    .join('; ');
  return [
    `- ${label}: ${digest.calls} calls, ${formatDuration(digest.msPerCall)} each under the profiler, thread busy ${(digest.busyShare * 100).toFixed(0)}% of the time.`,
    `  - busy time by module: ${modules}`,
    `  - top functions (self time): ${functions}`,
  ];
}

function profilesSection(latency: readonly TargetLatency[]): string {
  const profiled = latency.filter((target) => target.profiles);
  if (profiled.length === 0) return '';
  const lines = [
    '## CPU profiles where (b) missed its goal',
    '',
    "V8's sampling profiler (what `node --cpu-prof` records), 50 µs interval, in the bench process.",
    '',
  ];
  for (const target of profiled) {
    lines.push(`### ${target.target}`, '');
    lines.push(...profileLines(`(a) ${pathOf(target, 'raw')?.what}`, target.profiles!.raw));
    lines.push(...profileLines(`(b) ${pathOf(target, 'reference')?.what}`, target.profiles!.reference));
    lines.push('');
  }
  return lines.join('\n');
}

export function renderBenchMarkdown(result: BenchResult): string {
  const { machine } = result;
  const unavailable = Object.entries(result.servers.unavailable);
  const canary = result.canaryScan
    ? result.canaryScan.leaks.length === 0
      ? `Canary scan: the run canary (carried by every seeded value and credential) is in none of the ${result.canaryScan.scannedFiles} files of this folder.`
      : `Canary scan: **the run canary appears in ${result.canaryScan.leaks.join(', ')}**.`
    : 'Canary scan: pending.';
  return [
    `# Bench ${result.runId}`,
    '',
    `${result.startedAt} to ${result.finishedAt} (${formatDuration(result.durationMs)}); ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}; load average ${machine.loadAverageAtStart.map((one) => one.toFixed(2)).join(' ')} at the start, ${machine.loadAverageAtEnd.map((one) => one.toFixed(2)).join(' ')} at the end.`,
    '',
    `Timings on a shared machine are noisy: read the ratios (paths sampled interleaved, round after round, in one process) before the absolute figures. Servers: ${result.servers.provisioning}${unavailable.length > 0 ? `; unavailable: ${unavailable.map(([name, why]) => `${name} (${why})`).join('; ')}` : ''}. The variable read is ${result.valueBytes} bytes of fixed text carrying the run canary.`,
    '',
    goalsSection(result.goals),
    headlineSection(result.latency),
    `![latency chart](${'latency.svg'})`,
    '',
    latencySection(result.latency),
    bridgeSection(result.latency),
    reuseSection(result.connectionReuse),
    batchSection(result.batch),
    harnessSection(result),
    profilesSection(result.latency),
    `Chart: latency.svg${result.chartPng ? `; ${result.chartPng}` : ''}.`,
    '',
    canary,
    '',
  ].join('\n');
}
