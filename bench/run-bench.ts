/**
 * One bench run, in the order that keeps measurements apart: server starts alone first, then the
 * lookup benches on one set of servers, then (servers stopped) the harness runs as child processes.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { stopCommandProcesses } from '../targets/command-process';
import { distinctKinds, startServers } from '../containers/servers';
import { scanFolderForCanary } from '../reports/canary-scan';
import { publishLatest } from '../reports/publish';
import { newCanary } from '../targets/run-environment';
import { buildRegistry } from '../runner/run-selection';
import type { BackendFamily } from '../targets/family';
import { runTag, type TargetDefinition, type TargetEnvironment } from '../suites/target';
import { compareBatchReads } from './batch';
import { measureConnectionReuse, type ConnectionReuse } from './connection-reuse';
import { reviewGoals } from './goal-review';
import { GOALS } from './goals';
import { machineFacts } from './machine-facts';
import {
  CI_TIMINGS_DIR,
  latestCiRecord,
  measureServerStarts,
  measureWarmTest,
  runColdCi,
  type ColdCiBreakdown,
  type WarmTestRun,
} from './harness-timing';
import { renderLatencyChart } from './latency-chart';
import { measureTargetLatency, type LatencyPlan, type TargetLatency } from './lookup-latency';
import { BENCH_FILES, latencyChart, renderBenchMarkdown, type BenchResult } from './report';
import { renderSvgToPng } from './svg-to-png';
import { formatDuration, formatRatio } from '../reports/text';

export interface BenchFlags {
  /** Run `.ci/run` on a fresh clone now (about 15 minutes) instead of reading the last record. */
  readonly coldCi: boolean;
  /** Leave out the warm `npm test` runs (minutes each). */
  readonly harness: boolean;
  /** Families whose warm `npm test` is timed. */
  readonly families: readonly string[];
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const IN_PROCESS_PLAN = { rounds: 5_000, warmupRounds: 500, budgetMs: 20_000, networked: false };
const NETWORK_PLAN = { rounds: 500, warmupRounds: 50, budgetMs: 30_000, networked: true };
const REUSE_PLAN = { lookups: 1_000, budgetMs: 90_000 };
const BATCH_VARIABLES = 100;
const BATCH_ROUNDS = 5;
const START_REPEATS = 3;
const WARM_TEST_TIMEOUT_MS = 30 * 60_000;
const COLD_CI_TIMEOUT_MS = 90 * 60_000;

function progress(line: string): void {
  process.stdout.write(`bench: ${line}\n`);
}

const registry = buildRegistry();

/** Every family's reference targets, each with its family and its Airflow twin (if any), in report order. */
function referenceTargets(): Array<{ target: TargetDefinition; family: BackendFamily; twin: TargetDefinition | null }> {
  return registry.families.flatMap((family) =>
    family.targets.map((target) => ({ target, family, twin: family.airflowTwins?.find((twin) => twin.baseTarget === target.name) ?? null })),
  );
}

function targetNamed(name: string): TargetDefinition {
  const found = registry.byName(name);
  if (!found) throw new Error(`the target registry has no ${name}`);
  return found;
}

function isNetworked(target: TargetDefinition): boolean {
  return target.servers.length > 0;
}

async function measureLookups(environment: TargetEnvironment, key: string, value: string): Promise<TargetLatency[]> {
  const results: TargetLatency[] = [];
  for (const { target, family, twin } of referenceTargets()) {
    const name = target.name;
    const plan: LatencyPlan = { target, twin, rawClient: family.rawClient ?? null, ...(isNetworked(target) ? NETWORK_PLAN : IN_PROCESS_PLAN) };
    const started = performance.now();
    const result = await measureTargetLatency(plan, environment, key, value, { profileWhenOver: GOALS.referenceOverhead.threshold });
    results.push(result);
    const p50 = (path: string) => formatDuration(result.paths.find((one) => one.path === path)?.latency?.p50Ms ?? NaN);
    progress(
      result.notRun
        ? `${name}: ${result.notRun}`
        : `${name}: a ${p50('raw')}, b ${p50('reference')}, c ${p50('cache-hit')}, d ${p50('airflow')}; b/a ${formatRatio(result.ratios.referenceOverRaw)}, d/b ${formatRatio(result.ratios.airflowOverReference)} (${formatDuration(performance.now() - started)})`,
    );
  }
  return results;
}

async function measureReuse(environment: TargetEnvironment, key: string, value: string): Promise<ConnectionReuse[]> {
  const results: ConnectionReuse[] = [];
  // Backends counted for connection reuse: our networked reference ones and Airflow's through the bridge.
  const counted = referenceTargets()
    .filter(({ target }) => target.network)
    .flatMap(({ target, twin }) => (twin ? [target, twin] : [target]));
  for (const target of counted) {
    const name = target.name;
    const result = await measureConnectionReuse(target, environment, key, value, REUSE_PLAN);
    results.push(result);
    const line = (label: string, count: ConnectionReuse['front']) =>
      count ? `${label} ${count.lookups} lookups over ${count.tcpConnections} connections, ${count.httpRequests} requests` : '';
    progress(
      result.notRun ? `${name}: ${result.notRun}` : `${name}: ${line('server as is:', result.asIs)}; ${line('keep-alive front:', result.front)}`,
    );
  }
  return results;
}

async function harnessRuns(flags: BenchFlags, outDir: string): Promise<{ warmTests: WarmTestRun[]; warmTestsNote?: string }> {
  if (!flags.harness) return { warmTests: [], warmTestsNote: 'not measured: run without --skip-harness to time the warm npm test runs' };
  const warmTests: WarmTestRun[] = [];
  for (const family of flags.families) {
    progress(`timing npm test -- --backend=${family} ...`);
    const run = await measureWarmTest(family, REPO_ROOT, outDir, WARM_TEST_TIMEOUT_MS);
    warmTests.push(run);
    progress(
      `npm test -- --backend=${family}: ${run.notRun ?? formatDuration(run.wallMs ?? NaN)}, ${run.passed ? 'passed' : `exit ${run.exitCode}`}`,
    );
  }
  return {
    warmTests,
    warmTestsNote:
      'Warm: node_modules, the servers and the Airflow venv installed, compile caches filled by earlier runs; each family once, one after another, with no bench servers running.',
  };
}

async function coldCi(flags: BenchFlags, outDir: string): Promise<{ coldCi: ColdCiBreakdown | null; coldCiNote: string }> {
  const shown = (breakdown: ColdCiBreakdown): ColdCiBreakdown => ({ ...breakdown, record: relative(REPO_ROOT, breakdown.record) });
  if (flags.coldCi) {
    progress('running .ci/run on a fresh clone (about 15 minutes) ...');
    const { breakdown, run, log } = await runColdCi(REPO_ROOT, outDir, COLD_CI_TIMEOUT_MS);
    if (!breakdown)
      return {
        coldCi: null,
        coldCiNote: `not measured: the cold run ${run.timedOut ? 'timed out' : `exited ${run.exitCode}`} before writing its record; see ${relative(outDir, log)}`,
      };
    return {
      coldCi: shown(breakdown),
      coldCiNote: `Measured now with --cold-ci: a fresh git clone of HEAD, then bash .ci/run (log: ${relative(outDir, log)}).`,
    };
  }
  const latest = await latestCiRecord(join(REPO_ROOT, CI_TIMINGS_DIR));
  return latest
    ? {
        coldCi: shown(latest),
        coldCiNote: 'Read from the last .ci/run record on this machine; npm run bench -- --cold-ci measures a fresh clone now (about 15 minutes).',
      }
    : {
        coldCi: null,
        coldCiNote:
          'not measured yet: run bash .ci/run (it records its phase timings in reports/ci-timings/), or npm run bench -- --cold-ci for a fresh clone.',
      };
}

export async function runBench(flags: BenchFlags, runId: string): Promise<number> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const loadAverageAtStart = loadavg();
  const benchRoot = join(REPO_ROOT, 'reports', 'bench');
  const outDir = join(benchRoot, runId);
  const scratchDir = join(tmpdir(), `secrets-conformance-bench-${runId}`);
  await mkdir(outDir, { recursive: true });
  await mkdir(scratchDir, { recursive: true });
  progress(`writing ${relative(REPO_ROOT, outDir)}/`);

  progress('server starts, each server alone ...');
  const serverStarts = [
    ...(await measureServerStarts(registry.serverKinds, 'native', START_REPEATS, join(outDir, 'server-starts'))),
    ...(await measureServerStarts(registry.serverKinds, 'docker', 1, join(outDir, 'server-starts'))),
  ];

  const canary = newCanary();
  const tag = runTag(runId);
  const key = `asc_${tag}_bench_latency`;
  const value = `bench-value-${canary}`;
  // The servers the reference backends read from (not their fault proxies or second servers).
  const stores = distinctKinds(referenceTargets().flatMap(({ target }) => (target.network ? [target.network.server] : [])));
  const servers = await startServers(stores, { provisioning: 'auto', logDir: join(outDir, 'servers') });
  const environment: TargetEnvironment = { runId, canary, scratchDir, servers: servers.endpoints };
  let latency: TargetLatency[];
  let connectionReuse: ConnectionReuse[];
  let batch: BenchResult['batch'];
  try {
    progress('lookup latency, paths interleaved ...');
    latency = await measureLookups(environment, key, value);
    progress('connection reuse ...');
    connectionReuse = await measureReuse(environment, key, value);
    progress('batch reads ...');
    const batchKeys = Array.from({ length: BATCH_VARIABLES }, (_, index) => `asc_${tag}_bench_batch_${index + 1}`);
    batch = await compareBatchReads(targetNamed('aws-sm'), environment, batchKeys, (one) => `bench-${one.slice(-3)}-${canary}`, BATCH_ROUNDS);
    progress(batch.notRun ?? `batch: ${batch.batchCalls} calls vs ${batch.singleCalls}; single/batch wall ${formatRatio(batch.singleOverBatch)}`);
  } finally {
    await stopCommandProcesses();
    await servers.stop();
    await rm(scratchDir, { recursive: true, force: true });
  }

  const { warmTests, warmTestsNote } = await harnessRuns(flags, outDir);
  const cold = await coldCi(flags, outDir);

  const goals = reviewGoals({ latency, connectionReuse, warmTests, ...(warmTestsNote ? { warmTestsNote } : {}), nativeStarts: serverStarts });
  const provisioning = [...new Set(Object.values(servers.endpoints).map((endpoint) => endpoint.provisioning))].join(', ') || 'none started';
  const result: BenchResult = {
    schemaVersion: 1,
    runId,
    startedAt,
    finishedAt: new Date().toISOString(),
    durationMs: performance.now() - started,
    machine: machineFacts(loadAverageAtStart),
    options: { coldCi: flags.coldCi, harness: flags.harness, families: flags.families },
    valueBytes: Buffer.byteLength(value),
    servers: { provisioning, unavailable: { ...servers.unavailable } },
    latency,
    connectionReuse,
    batch,
    harness: { warmTests, ...(warmTestsNote ? { warmTestsNote } : {}), ...cold, serverStarts },
    goals,
    chartPng: '',
  };

  const svg = renderLatencyChart(latencyChart(result));
  await writeFile(join(outDir, BENCH_FILES.chart), svg);
  const png = await renderSvgToPng(join(outDir, BENCH_FILES.chart), join(outDir, BENCH_FILES.chartPng));
  const withChart: BenchResult = { ...result, chartPng: png.written ? BENCH_FILES.chartPng : png.note };
  await writeOutputs(outDir, withChart);
  // Everything the bench wrote, the harness runs' own folders included, is searched for the canary.
  const scan = await scanFolderForCanary(outDir, canary);
  const final: BenchResult = {
    ...withChart,
    canaryScan: { scannedFiles: scan.scannedFiles, leaks: scan.findings.map((finding) => `${finding.source} (${finding.occurrences}×)`) },
  };
  await writeOutputs(outDir, final);
  await publishLatest(benchRoot, outDir, runId);

  printSummary(final, outDir);
  if (scan.findings.length > 0) {
    process.stderr.write(`bench: FAIL: the run canary appears in ${final.canaryScan?.leaks.join(', ')}\n`);
    return 1;
  }
  return 0;
}

async function writeOutputs(outDir: string, result: BenchResult): Promise<void> {
  await writeFile(join(outDir, BENCH_FILES.json), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(outDir, BENCH_FILES.markdown), renderBenchMarkdown(result));
}

function printSummary(result: BenchResult, outDir: string): void {
  const lines = ['', 'target         b/a       c/b       d/b'];
  for (const target of result.latency) {
    lines.push(
      `${target.target.padEnd(14)} ${formatRatio(target.ratios.referenceOverRaw).padEnd(9)} ${formatRatio(target.ratios.cacheHitOverReference).padEnd(9)} ${formatRatio(target.ratios.airflowOverReference)}`,
    );
  }
  const missed = result.goals.filter((goal) => goal.status === 'missed');
  const met = result.goals.filter((goal) => goal.status === 'met');
  lines.push(
    '',
    `goals: ${met.length} met, ${missed.length} missed, ${result.goals.length - met.length - missed.length} not measured (reported, not enforced)`,
  );
  for (const goal of missed) lines.push(`  missed: ${goal.goal.text} on ${goal.subject}`);
  const shown = existsSync(join(outDir, BENCH_FILES.chartPng)) ? `, ${BENCH_FILES.chartPng}` : '';
  lines.push(
    '',
    `bench: ${relative(REPO_ROOT, outDir)}/${BENCH_FILES.markdown} (+ ${BENCH_FILES.json}, ${BENCH_FILES.chart}${shown}); copy in reports/bench/latest/`,
    '',
  );
  process.stdout.write(lines.join('\n'));
}
