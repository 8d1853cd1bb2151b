/**
 * The bench's figures against its goals, each missed goal with the reason found for it and what
 * would reach it. Reasons are written from what the profiles and counts of this bench showed;
 * the figures in them are this run's.
 */
import type { ConnectionReuse } from './connection-reuse';
import { evaluateGoal, GOALS, type GoalOutcome } from './goals';
import type { ServerStart, WarmTestRun } from './harness-timing';
import type { TargetLatency } from './lookup-latency';
import { formatDuration, formatRatio } from '../reports/text';
import { ratio } from './stats';

export interface GoalInputs {
  readonly latency: readonly TargetLatency[];
  readonly connectionReuse: readonly ConnectionReuse[];
  readonly warmTests: readonly WarmTestRun[];
  readonly warmTestsNote?: string;
  readonly nativeStarts: readonly ServerStart[];
}

const p50 = (target: TargetLatency, path: string) => target.paths.find((one) => one.path === path)?.latency?.p50Ms ?? null;

function notRunOf(target: TargetLatency, path: string): string | undefined {
  return target.notRun ?? target.paths.find((one) => one.path === path)?.notRun;
}

/** Why (b) costs more than (a) for this target's family, and what would close the gap. */
function referenceOverheadReason(target: TargetLatency): string {
  const family = target.target.split('-')[0];
  const profile = 'The CPU profiles of both paths are at the end of this page.';
  switch (family) {
    case 'env': {
      const floor = target.rawInAsyncFunction ? ratio(target.rawInAsyncFunction.p50Ms, p50(target, 'raw')) : null;
      const floorText =
        floor === null
          ? ''
          : `The same read behind a Promise alone is ${formatRatio(floor)} of (a): that much of the gap is the async contract itself, which every backend must have. `;
      return (
        "(b) builds the name as Airflow does on every lookup (Python's str.upper(): an ASCII test, toUpperCase, the AIRFLOW_VAR_ prefix) and answers through a Promise; (a) reads a name computed once, synchronously. " +
        floorText +
        `What would narrow the rest: memoise the environment name per key in EnvironmentVariablesBackend. 1.10x of a synchronous property read is out of reach for any async backend. ${profile}`
      );
    }
    case 'local':
      return (
        "(b) re-reads and parses the file on every lookup, as Airflow does, with parsers that reproduce Python's results and errors: json with a CPython-compatible json.loads, " +
        "yaml with the yaml package in YAML 1.1 mode plus a second pass over its CST (for the two constructs PyYAML refuses and the yaml package accepts), .env with Python's splitlines; " +
        '(a) is readFile and one JSON.parse / yaml.parse / split. To reach 1.10x on YAML: run the CST pass only when the text can hold such a construct (a line starting with ":" or an alias "*"), a string test; ' +
        `on JSON: parse with JSON.parse and fall back to the Python-compatible parser only where the two can differ (errors, duplicate keys, NaN, large integers). ${profile}`
      );
    default:
      return `The request on the wire is the one the raw client sends; the rest is per-lookup work in the backend (path building, retry wrapper, answer classification). ${profile}`;
  }
}

function cacheHitReason(): string {
  return (
    "A hit is SearchPath.getVariable: two awaited promises (the resolve step and the answer), then SecretCache's Map lookup and TTL check. " +
    "To reach it: answer a hit synchronously (peek the cache before entering the async walk). Airflow's own SecretCache is a multiprocessing.Manager dict: every hit there is an IPC round trip."
  );
}

function speedupReason(target: TargetLatency): string {
  if (target.target === 'env') {
    return 'The uncached lookup is itself an in-memory read of process.env: there is no I/O for a cache to save, so no cache can be 100x faster. The goal is meant for backends that do I/O; nothing to change.';
  }
  return `uncached ${formatDuration(p50(target, 'reference') ?? Number.NaN)}: the store answers fast (a small local file, a server on this machine), so the hit is not 100x cheaper. ${cacheHitReason()}`;
}

function warmTestReason(run: WarmTestRun): string {
  const slowest = run.slowestSuites.map((suite) => `${suite.name} ${formatDuration(suite.ms)}`).join(', ');
  const starts = Object.values(run.serverStartMs).filter((one): one is number => one !== undefined);
  return (
    `server start inside the run: ${starts.length > 0 ? formatDuration(Math.max(...starts)) : 'n/a'}; slowest suites by summed case time: ${slowest || 'n/a'}. ` +
    "The suites dominate: to reach 60 s, shorten the waits in those suites or give vitest more workers than this machine's two cores."
  );
}

function startReason(start: ServerStart): string {
  return (
    `samples ${start.samplesMs.map((one) => formatDuration(one)).join(', ')}: the time from spawn to the first healthy answer, each server alone. ` +
    "A spread between samples is load from other work on the two cores; a median over the goal is the server's own start-up (for moto: importing its Python services), which only a lighter server or a pre-started one would avoid."
  );
}

export function reviewGoals(inputs: GoalInputs): GoalOutcome[] {
  const outcomes: GoalOutcome[] = [];
  for (const target of inputs.latency) {
    const overhead = target.ratios.referenceOverRaw;
    const outcome = evaluateGoal(GOALS.referenceOverhead, target.target, overhead, notRunOf(target, 'raw') ?? notRunOf(target, 'reference'));
    const raw = p50(target, 'raw');
    const reference = p50(target, 'reference');
    const detail =
      raw !== null && reference !== null ? `${reference >= raw ? '+' : '-'}${formatDuration(Math.abs(reference - raw))} per lookup` : undefined;
    outcomes.push(outcome.status === 'missed' ? { ...outcome, note: referenceOverheadReason(target), ...(detail ? { detail } : {}) } : outcome);
  }
  for (const target of inputs.latency) {
    const hit = p50(target, 'cache-hit');
    const outcome = evaluateGoal(GOALS.cacheHitMedian, target.target, hit, notRunOf(target, 'cache-hit'));
    outcomes.push(outcome.status === 'missed' ? { ...outcome, note: cacheHitReason() } : outcome);
  }
  for (const target of inputs.latency) {
    const speedup = ratio(p50(target, 'reference'), p50(target, 'cache-hit'));
    const outcome = evaluateGoal(GOALS.cacheHitSpeedup, target.target, speedup, notRunOf(target, 'cache-hit') ?? notRunOf(target, 'reference'));
    outcomes.push(outcome.status === 'missed' ? { ...outcome, note: speedupReason(target) } : outcome);
  }
  for (const reuse of inputs.connectionReuse) {
    const subject = `${reuse.target} (${reuse.front?.lookups ?? 0} lookups)`;
    const outcome = evaluateGoal(GOALS.connectionReuse, subject, reuse.front?.tcpConnections ?? null, reuse.notRun);
    outcomes.push(
      outcome.status === 'missed'
        ? {
            ...outcome,
            note: `${reuse.front?.tcpConnections} connections for ${reuse.front?.httpRequests} HTTP requests behind a front that keeps connections open: the client does not keep its connection alive between lookups; give it a keep-alive agent (or pool).`,
          }
        : outcome,
    );
  }
  const vault = inputs.warmTests.find((run) => run.family === 'vault');
  const vaultOutcome = evaluateGoal(
    GOALS.warmVaultTest,
    'npm test -- --backend=vault',
    vault?.wallMs ?? null,
    vault?.notRun ?? (vault ? undefined : (inputs.warmTestsNote ?? 'not measured: the harness runs were skipped')),
  );
  outcomes.push(vaultOutcome.status === 'missed' && vault ? { ...vaultOutcome, note: warmTestReason(vault) } : vaultOutcome);
  const startGoals = [
    [GOALS.baoStart, 'vault'],
    [GOALS.motoStart, 'moto'],
    [GOALS.toxiproxyStart, 'toxiproxy'],
  ] as const;
  for (const [goal, server] of startGoals) {
    const start = inputs.nativeStarts.find((one) => one.server === server && one.provisioning === 'native');
    const outcome = evaluateGoal(goal, `${server} (native, median)`, start?.medianMs ?? null, start?.notRun);
    outcomes.push(outcome.status === 'missed' && start ? { ...outcome, note: startReason(start) } : outcome);
  }
  return outcomes;
}
