/**
 * `npm run bench -- --load`: the herd for every networked reference target and its Airflow twin,
 * on one set of servers. Writes reports/bench/<run>/ (bench.json, bench.md) and reports/bench/latest/.
 */
import { currentCommit } from '../reports/load-evidence';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { stopCommandProcesses } from '../targets/command-process';
import { distinctKinds, startServers } from '../containers/servers';
import { scanFolderForCanary } from '../reports/canary-scan';
import { publishLatest } from '../reports/publish';
import { formatDuration } from '../reports/text';
import { newCanary } from '../targets/run-environment';
import { buildRegistry } from '../runner/run-selection';
import { runTag, type TargetDefinition, type TargetEnvironment } from '../suites/target';
import { measureHerd, scenarioHeld, type HerdPlan, type TargetHerd } from './herd';
import { soakTarget, type SoakPlan, type TargetSoak } from './soak';
import { renderLoadMarkdown, type LoadBenchResult } from './load-report';
import { machineFacts } from './machine-facts';
import { BENCH_FILES } from './report';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function progress(line: string): void {
  process.stdout.write(`bench: ${line}\n`);
}

/** The networked reference targets of every family, each followed by its Airflow twin. */
function herdTargets(): TargetDefinition[] {
  return buildRegistry().families.flatMap((family) =>
    family.targets
      .filter((target) => target.network)
      .flatMap((target) => {
        const twin = family.airflowTwins?.find((one) => one.baseTarget === target.name);
        return twin ? [target, twin] : [target];
      }),
  );
}

function herdLine(herd: TargetHerd): string {
  if (herd.notRun) return `${herd.target}: ${herd.notRun}`;
  const parts = herd.scenarios.map(
    (s) =>
      `${s.ids}/${s.cache ? 'cache' : 'no cache'}${s.rateLimit === null ? '' : `/limit ${s.rateLimit}/s`} ${s.lookupsPerSecond.toFixed(0)}/s p99 ${formatDuration(s.p99Ms)} ${s.upstream.perLookup.toFixed(2)} req/lookup` +
      `${s.answered === s.lookups ? '' : ` (${s.lookups - s.answered} not answered)`}` +
      `${s.throttling.firstAtMs === null ? '' : `, throttled from ${formatDuration(s.throttling.firstAtMs)}`}`,
  );
  return `${herd.target}: ${parts.join('; ')}`;
}

function soakLine(soak: TargetSoak): string {
  if (soak.notRun) return `${soak.target} soak: ${soak.notRun}`;
  const verdict = soak.leaks.length === 0 ? 'nothing grew beyond noise' : `LEAK: ${soak.leaks.join('; ')}`;
  return `${soak.target} soak: ${soak.lookups} lookups (${soak.answered} answered), ${soak.faultsApplied} faults; ${verdict}`;
}

export async function runLoadBench(runId: string, lookups: number, soakSeconds: number): Promise<number> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const loadAverageAtStart = loadavg();
  const benchRoot = join(REPO_ROOT, 'reports', 'bench');
  const outDir = join(benchRoot, runId);
  const scratchDir = join(tmpdir(), `secrets-conformance-load-${runId}`);
  await mkdir(outDir, { recursive: true });
  await mkdir(scratchDir, { recursive: true });
  progress(`writing ${relative(REPO_ROOT, outDir)}/`);

  const canary = newCanary();
  const targets = herdTargets();
  const servers = await startServers(distinctKinds(targets.flatMap((target) => target.servers)), {
    provisioning: 'auto',
    logDir: join(outDir, 'servers'),
  });
  const plan: HerdPlan = { lookups, timeoutMs: 300_000, seedConcurrency: 20 };
  // The Airflow bridge answers one lookup at a time: a herd of N queues N lookups behind it, and each
  // waits its turn, so a twin's lookup may wait as long as the herd's own bound, not the usual 20 s.
  const environment: TargetEnvironment = { runId, canary, scratchDir, servers: servers.endpoints, commandRequestTimeoutMs: plan.timeoutMs };
  const herd: TargetHerd[] = [];
  const soak: TargetSoak[] = [];
  const soakPlan: SoakPlan = { durationMs: soakSeconds * 1000, concurrency: 4, faultPeriodMs: 3_000, attemptTimeoutSeconds: 0.25 };
  try {
    for (const [index, target] of targets.entries()) {
      const keyPrefix = `asc_${runTag(runId)}_herd${index + 1}`;
      const measured = await measureHerd(target, environment, keyPrefix, (key) => `herd-${key.slice(-4)}-${canary}`, plan);
      herd.push(measured);
      progress(herdLine(measured));
    }
    if (soakSeconds > 0) {
      for (const [index, target] of targets.entries()) {
        const measured = await soakTarget(target, environment, `asc_${runTag(runId)}_soak${index + 1}`, `soak-${canary}`, soakPlan);
        soak.push(measured);
        progress(soakLine(measured));
      }
    }
  } finally {
    await stopCommandProcesses();
    await servers.stop();
    await rm(scratchDir, { recursive: true, force: true });
  }

  const result: LoadBenchResult = {
    schemaVersion: 1,
    kind: 'load',
    runId,
    commit: currentCommit(REPO_ROOT),
    startedAt,
    finishedAt: new Date().toISOString(),
    durationMs: performance.now() - started,
    machine: machineFacts(loadAverageAtStart),
    options: { lookups, soakSeconds },
    servers: {
      provisioning: [...new Set(Object.values(servers.endpoints).map((endpoint) => endpoint.provisioning))].join(', ') || 'none started',
      unavailable: { ...servers.unavailable },
    },
    herd,
    soak,
  };
  await write(outDir, result);
  const scan = await scanFolderForCanary(outDir, canary);
  const final: LoadBenchResult = {
    ...result,
    canaryScan: { scannedFiles: scan.scannedFiles, leaks: scan.findings.map((finding) => `${finding.source} (${finding.occurrences}×)`) },
  };
  await write(outDir, final);
  await publishLatest(benchRoot, outDir, runId);
  progress(`${relative(REPO_ROOT, outDir)}/${BENCH_FILES.markdown} (+ ${BENCH_FILES.json}); copy in reports/bench/latest/`);
  if (scan.findings.length > 0) {
    process.stderr.write(`bench: FAIL: the run canary appears in ${final.canaryScan?.leaks.join(', ')}\n`);
    return 1;
  }
  const unanswered = herd.some((one) => one.notRun || !one.scenarios.every(scenarioHeld));
  const leaked = soak.some((one) => one.notRun || one.leaks.length > 0);
  if (leaked) process.stderr.write('bench: FAIL: a soak grew beyond noise or did not run (see bench.md)\n');
  return unanswered || leaked ? 1 : 0;
}

async function write(outDir: string, result: LoadBenchResult): Promise<void> {
  await writeFile(join(outDir, BENCH_FILES.json), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(outDir, BENCH_FILES.markdown), renderLoadMarkdown(result));
}
