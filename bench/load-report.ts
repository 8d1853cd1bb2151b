/**
 * What `npm run bench -- --load` wrote: the herd's figures (bench.json) and the page people read
 * (bench.md). Rendering only; measuring is in herd.ts.
 */
import type { HerdScenario, TargetHerd } from './herd';
import { SOAK_NOISE, type ResourceSnapshot, type TargetSoak } from './soak';
import type { MachineFacts } from './machine-facts';
import { formatDuration } from '../reports/text';

export interface LoadBenchResult {
  readonly schemaVersion: 1;
  readonly kind: 'load';
  readonly runId: string;
  /** The commit the bench ran on: a certificate of the same commit takes its soak verdicts. */
  readonly commit: string | null;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly machine: MachineFacts;
  readonly options: { readonly lookups: number; readonly soakSeconds: number };
  readonly servers: { readonly provisioning: string; readonly unavailable: Readonly<Record<string, string>> };
  readonly herd: readonly TargetHerd[];
  readonly soak: readonly TargetSoak[];
  readonly canaryScan?: { readonly scannedFiles: number; readonly leaks: readonly string[] };
}

function errorsText(scenario: HerdScenario): string {
  const parts = Object.entries(scenario.errors).map(([name, count]) => `${name} ${count}`);
  if (scenario.notFound > 0) parts.push(`not found ${scenario.notFound}`);
  if (scenario.wrongValue > 0) parts.push(`wrong value ${scenario.wrongValue}`);
  return parts.join(', ') || 'none';
}

function throttlingText(scenario: HerdScenario): string {
  const { firstAtMs, responses } = scenario.throttling;
  return firstAtMs === null ? 'never' : `after ${formatDuration(firstAtMs)} (${responses} answers)`;
}

function snapshotText(shot: ResourceSnapshot | null): string {
  return shot
    ? `${shot.fds} fds (${shot.sockets} sockets), heap ${shot.heapMiB.toFixed(0)} MiB, RSS ${shot.rssMiB.toFixed(0)} MiB, ${shot.children} children (${shot.childFds} fds)`
    : '–';
}

function renderSoak(lines: string[], result: LoadBenchResult): void {
  lines.push('## Soak', '');
  if (result.soak.length === 0) {
    lines.push('Not run (--soak-seconds=0).', '');
    return;
  }
  lines.push(
    `${result.options.soakSeconds} s of lookups per target, 4 at a time, through a Toxiproxy proxy whose faults (connections reset, ` +
      '2 s of latency past the 0.25 s timeout, the proxy disabled) come and go every 1.5 s; resources of this process and its children ' +
      '(the bridge, the local servers) after a 2 s warm-up and after a 2 s settle with the faults gone, the heap measured after a full collection. ' +
      `Noise allowed: ${Object.entries(SOAK_NOISE)
        .map(([name, value]) => `${name} +${value}`)
        .join(', ')}.`,
    '',
    '| target | lookups (answered) | failures | faults | before | after | verdict |',
    '|---|---|---|---|---|---|---|',
  );
  for (const soak of result.soak) {
    const failures = Object.entries(soak.failures)
      .map(([name, count]) => `${name} ${count}`)
      .join(', ');
    const verdict = soak.notRun ?? (soak.leaks.length === 0 ? 'pass' : `**FAIL**: ${soak.leaks.join('; ')}`);
    lines.push(
      `| ${soak.target} | ${soak.lookups} (${soak.answered}) | ${failures || 'none'} | ${soak.faultsApplied} | ${snapshotText(soak.before)} | ${snapshotText(soak.after)} | ${verdict.replace(/\|/g, '\\|')} |`,
    );
  }
  lines.push('');
}

export function renderLoadMarkdown(result: LoadBenchResult): string {
  const lines: string[] = [
    `# Load bench: run ${result.runId}`,
    '',
    `${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memoryGiB} GiB, node ${result.machine.node}; ` +
      `load average ${result.machine.loadAverageAtStart.map((n) => n.toFixed(2)).join(' ')} at the start. ` +
      `Servers: ${result.servers.provisioning}. Took ${formatDuration(result.durationMs)}.`,
    '',
    '## Herd',
    '',
    `${result.options.lookups} lookups launched at once per scenario, of one id (same) or of ${result.options.lookups} ids (distinct), ` +
      'with the cache off (Airflow’s default) and on. Each scenario has a fresh backend and chain, so its requests include a login. ' +
      'Upstream requests are counted by a request-log proxy before the server; "throttled" is when it first saw a throttling answer. ' +
      'The last row of a throttling target is the same herd against a server that lets 50 reads per second through ' +
      "(Vault: an OpenBao rate-limit quota on the secret's path; AWS: the stand-in before moto answering ThrottlingException beyond the rate): " +
      'there every lookup must come back with the value or ThrottledError, never "not found". Without a limit the dev servers and moto never throttle.',
    '',
    '| target | chain | ids | cache | limit | lookups/s | p50 | p99 | max | errors | upstream req/lookup (reads, logins) | throttled |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const herd of result.herd) {
    const chain = herd.searchPath.split(' (')[0] ?? herd.searchPath;
    if (herd.notRun) {
      lines.push(`| ${herd.target} | ${chain} | – | – | – | – | – | – | – | ${herd.notRun.replace(/\|/g, '\\|')} | – | – |`);
      continue;
    }
    for (const s of herd.scenarios) {
      lines.push(
        `| ${herd.target} | ${chain} | ${s.ids} | ${s.cache ? 'on' : 'off'} | ${s.rateLimit === null ? 'none' : `${s.rateLimit}/s`} | ${s.lookupsPerSecond.toFixed(0)} | ${formatDuration(s.p50Ms)} | ` +
          `${formatDuration(s.p99Ms)} | ${formatDuration(s.maxMs)} | ${errorsText(s)} | ${s.upstream.perLookup.toFixed(2)} (${s.upstream.reads}, ${s.upstream.auth}) | ${throttlingText(s)} |`,
      );
    }
  }
  lines.push('');
  renderSoak(lines, result);
  if (result.canaryScan) {
    lines.push(
      `Canary: ${result.canaryScan.leaks.length === 0 ? `not found in ${result.canaryScan.scannedFiles} files` : `FOUND in ${result.canaryScan.leaks.join(', ')}`}.`,
      '',
    );
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
