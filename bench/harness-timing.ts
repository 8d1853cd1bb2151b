/**
 * Measurement 3: what the harness costs a user. Warm `npm test -- --backend=<family>` runs as
 * child processes; the cold CI breakdown recorded by `.ci/run` (or, with `--cold-ci`, a fresh
 * clone run now); native server start per server, and the Docker strategy's state.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Provisioning, ServerKind } from '../containers/contract';
import { dockerAvailability } from '../containers/docker';
import { startServers } from '../containers/servers';
import type { RunReport, ServersFile } from '../reports/model';
import { percentile } from '../reports/statistics';

export const CI_TIMINGS_DIR = join('reports', 'ci-timings');

export interface ChildRun {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly wallMs: number;
  readonly timedOut: boolean;
}

/**
 * Runs `command` in its own process group with output to `logFile`; the whole group is killed
 * when `timeoutMs` passes.
 */
export function runChild(
  command: string,
  args: readonly string[],
  options: { cwd: string; logFile: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(options.logFile, { flags: 'a' });
    const started = performance.now();
    const child = spawn(command, [...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      log.end();
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      log.end(() => resolve({ exitCode: code, signal, wallMs, timedOut }));
    });
  });
}

export interface WarmTestRun {
  readonly family: string;
  readonly command: string;
  readonly wallMs: number | null;
  readonly exitCode: number | null;
  /** From the run's results.json: what the runner itself measured, and the verdict. */
  readonly runnerMs: number | null;
  readonly cases: { pass: number; fail: number; skip: number; finding: number } | null;
  /** The run's server start times (started in parallel inside the run). */
  readonly serverStartMs: Partial<Record<string, number>>;
  readonly passed: boolean | null;
  /** Where the run's time went: `target › suite` with the summed time of its cases, slowest first. */
  readonly slowestSuites: readonly { readonly name: string; readonly ms: number }[];
  readonly log: string;
  readonly notRun?: string;
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

export async function measureWarmTest(family: string, repoRoot: string, outDir: string, timeoutMs: number): Promise<WarmTestRun> {
  const reportsDir = join(outDir, 'harness-runs', family);
  const log = join(outDir, `harness-${family}.log`);
  await mkdir(reportsDir, { recursive: true });
  const args = ['test', '--', `--backend=${family}`, `--reports-dir=${reportsDir}`];
  const command = `npm test -- --backend=${family}`;
  const run = await runChild('npm', args, { cwd: repoRoot, logFile: log, timeoutMs });
  const report = await readJson<RunReport>(join(reportsDir, 'latest', 'results.json'));
  const cases = report ? { pass: 0, fail: 0, skip: 0, finding: 0 } : null;
  if (report && cases) for (const one of report.cases) cases[one.status] += 1;
  const bySuite = new Map<string, number>();
  for (const one of report?.cases ?? [])
    bySuite.set(`${one.target} › ${one.suite}`, (bySuite.get(`${one.target} › ${one.suite}`) ?? 0) + one.durationMs);
  const slowestSuites = [...bySuite]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([name, ms]) => ({ name, ms }));
  const serverStartMs: Partial<Record<string, number>> = {};
  for (const server of report?.servers ?? []) if (server.startMs !== undefined) serverStartMs[server.name] = server.startMs;
  return {
    family,
    command,
    wallMs: run.timedOut ? null : run.wallMs,
    exitCode: run.exitCode,
    runnerMs: report?.durationMs ?? null,
    cases,
    serverStartMs,
    passed: report ? report.verdict.passed && run.exitCode === 0 : null,
    slowestSuites,
    log,
    ...(run.timedOut ? { notRun: `not measured: stopped after ${Math.round(timeoutMs / 60_000)} minutes` } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// The cold CI record `.ci/run` writes.

export interface CiPhase {
  readonly phase: string;
  readonly seconds: number;
  readonly completed: boolean;
}

export interface CiTimingRecord {
  readonly startedAt: string;
  readonly commit: string;
  readonly exitCode: number;
  readonly failedPhase: string | null;
  readonly totalSeconds: number;
  readonly phases: readonly CiPhase[];
  readonly testServers: ServersFile | null;
}

/** The cold CI breakdown bench.md shows: install, server start (inside the tests), suites. */
export interface ColdCiBreakdown {
  readonly record: string;
  readonly startedAt: string;
  readonly commit: string;
  readonly passed: boolean;
  readonly failedPhase: string | null;
  readonly totalSeconds: number;
  readonly installSeconds: number;
  readonly typecheckSeconds: number | null;
  /** The servers start side by side in the test run: the slowest one is the wait. */
  readonly serverStartSeconds: number | null;
  /** The test phase minus the server start. */
  readonly suitesSeconds: number | null;
  readonly phases: readonly CiPhase[];
}

export function breakDownCiRecord(record: CiTimingRecord, file: string): ColdCiBreakdown {
  const phase = (name: string) => record.phases.find((one) => one.phase === name)?.seconds ?? null;
  const installSeconds = record.phases.filter((one) => one.phase.startsWith('install')).reduce((sum, one) => sum + one.seconds, 0);
  const starts = (record.testServers?.servers ?? []).map((server) => server.startMs).filter((ms): ms is number => typeof ms === 'number');
  const serverStartSeconds = starts.length > 0 ? Math.max(...starts) / 1000 : null;
  const tests = phase('tests');
  return {
    record: file,
    startedAt: record.startedAt,
    commit: record.commit,
    passed: record.exitCode === 0,
    failedPhase: record.failedPhase,
    totalSeconds: record.totalSeconds,
    installSeconds,
    typecheckSeconds: phase('typecheck'),
    serverStartSeconds,
    suitesSeconds: tests === null ? null : tests - (serverStartSeconds ?? 0),
    phases: record.phases,
  };
}

/** The newest record in `dir`, or `null` when `.ci/run` has not run here yet. */
export async function latestCiRecord(dir: string): Promise<ColdCiBreakdown | null> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith('.json')).sort();
  for (const name of files.reverse()) {
    const record = await readJson<CiTimingRecord>(join(dir, name));
    if (record && Array.isArray(record.phases)) return breakDownCiRecord(record, join(dir, name));
  }
  return null;
}

/**
 * A real cold CI: a fresh clone of this repository's HEAD (no node_modules) with a cache of its own
 * (ASC_CACHE_DIR in the clone, not the user's shared one), `.ci/run` in it, its record copied here.
 * Takes about three quarters of an hour; only on `--cold-ci`.
 */
export async function runColdCi(
  repoRoot: string,
  outDir: string,
  timeoutMs: number,
): Promise<{ breakdown: ColdCiBreakdown | null; run: ChildRun; log: string }> {
  const clone = await mkdtemp(join(tmpdir(), 'asc-cold-ci-'));
  const log = join(outDir, 'cold-ci.log');
  try {
    const cloned = await runChild('git', ['clone', '--quiet', repoRoot, clone], { cwd: repoRoot, logFile: log, timeoutMs: 120_000 });
    if (cloned.exitCode !== 0) return { breakdown: null, run: cloned, log };
    const run = await runChild('bash', ['.ci/run'], {
      cwd: clone,
      logFile: log,
      timeoutMs,
      env: { ...process.env, ASC_CACHE_DIR: join(clone, '.cold-cache') },
    });
    const cloneRecords = join(clone, CI_TIMINGS_DIR);
    const breakdown = await latestCiRecord(cloneRecords);
    if (breakdown) {
      await mkdir(join(repoRoot, CI_TIMINGS_DIR), { recursive: true });
      const kept = join(repoRoot, CI_TIMINGS_DIR, breakdown.record.split('/').pop() as string);
      await copyFile(breakdown.record, kept);
      return { breakdown: { ...breakdown, record: kept }, run, log };
    }
    return { breakdown: null, run, log };
  } finally {
    await rm(clone, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Server start per provisioning strategy.

export interface ServerStart {
  /** The server kind's name. */
  readonly server: string;
  readonly provisioning: Provisioning;
  /** Each start, alone on the machine's servers (not side by side with the others). */
  readonly samplesMs: readonly number[];
  readonly medianMs: number | null;
  readonly notRun?: string;
}

/**
 * Starts each server alone, `repeats` times, and stops it; the start time includes readiness.
 * Docker is measured only where an engine answers; elsewhere every server says why not and how to fix it.
 */
export async function measureServerStarts(
  kinds: readonly ServerKind[],
  provisioning: Provisioning,
  repeats: number,
  logDir: string,
): Promise<ServerStart[]> {
  if (provisioning === 'docker') {
    const docker = await dockerAvailability();
    if (!docker.available) {
      const notRun = `not run: ${docker.reason}; start a Docker engine (dockerd or Docker Desktop) and run npm run bench again`;
      return kinds.map((kind) => ({ server: kind.name, provisioning, samplesMs: [], medianMs: null, notRun }));
    }
  }
  const results: ServerStart[] = [];
  for (const kind of kinds) {
    const server = kind.name;
    const samplesMs: number[] = [];
    let notRun: string | undefined;
    for (let attempt = 0; attempt < repeats && notRun === undefined; attempt += 1) {
      const started = await startServers([kind], { provisioning, logDir: join(logDir, `${provisioning}-${server}-${attempt + 1}`) });
      try {
        const ms = started.startTimesMs[server];
        if (ms === undefined) notRun = started.unavailable[server] ?? 'not run: the server did not start';
        else samplesMs.push(ms);
      } finally {
        await started.stop();
      }
    }
    const sorted = [...samplesMs].sort((a, b) => a - b);
    results.push({ server, provisioning, samplesMs, medianMs: sorted.length > 0 ? percentile(sorted, 50) : null, ...(notRun ? { notRun } : {}) });
  }
  return results;
}
