/**
 * The resilience figures of each target, gathered from the metrics its cases recorded:
 * lookup latency percentiles, what each network fault did to a lookup and how long recovery took,
 * requests per kind of lookup, and the time to a rotated value. Pure: the report builder calls it.
 */
import { meaningOf } from '../suites/measure';
import { percentile } from './statistics';
import type { CaseReport, FaultFigures, LatencyFigures, TargetFigures } from './model';

/** Nearest-rank percentiles of `values`, or null for none. */
export function latencyFigures(values: readonly number[]): LatencyFigures | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return {
    samples: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] as number,
  };
}

/** The worst of several recordings of one figure: a bound holds only if the worst case holds. */
function worst(current: number | null | undefined, value: number): number {
  return current === null || current === undefined ? value : Math.max(current, value);
}

function figuresOf(target: string, cases: readonly CaseReport[]): TargetFigures | null {
  const latencies: number[] = [];
  const faults = new Map<string, FaultFigures>();
  const requestsPer: Record<string, number> = {};
  const rotation: TargetFigures['rotation'] = { cachedMs: null, uncachedMs: null };
  const faultOf = (name: string): FaultFigures => {
    let figures = faults.get(name);
    if (!figures) faults.set(name, (figures = { fault: name, lookupMs: null, attempts: null, recoveryMs: null }));
    return figures;
  };
  let any = false;
  for (const { metric, value } of cases.flatMap((c) => c.metrics)) {
    const meaning = meaningOf(metric);
    if (meaning === null || !Number.isFinite(value)) continue;
    any = true;
    switch (meaning.kind) {
      case 'lookup-latency':
        latencies.push(value);
        break;
      case 'fault-lookup':
        faultOf(meaning.fault).lookupMs = worst(faultOf(meaning.fault).lookupMs, value);
        break;
      case 'fault-requests':
        faultOf(meaning.fault).attempts = worst(faultOf(meaning.fault).attempts, value);
        break;
      case 'recovery':
        faultOf(meaning.fault).recoveryMs = worst(faultOf(meaning.fault).recoveryMs, value);
        break;
      case 'requests':
        requestsPer[meaning.what] = worst(requestsPer[meaning.what], value);
        break;
      case 'time-to-new-value':
        if (meaning.cached) rotation.cachedMs = worst(rotation.cachedMs, value);
        else rotation.uncachedMs = worst(rotation.uncachedMs, value);
        break;
    }
  }
  if (!any) return null;
  return { target, lookupLatencyMs: latencyFigures(latencies), faults: [...faults.values()], requestsPer, rotation };
}

/** One entry per target that recorded any of these figures, in the report's target order. */
export function buildTargetFigures(cases: readonly CaseReport[], targetOrder: readonly string[]): TargetFigures[] {
  const names = [...new Set([...targetOrder, ...cases.map((c) => c.target)])];
  return names.flatMap((target) => {
    const figures = figuresOf(
      target,
      cases.filter((c) => c.target === target),
    );
    return figures ? [figures] : [];
  });
}

/** `6.3 / 14.1 / 14.1 ms (12)`: p50 / p95 / p99 and the number of lookups. */
export function formatLatency(latency: LatencyFigures | null): string {
  if (!latency) return '–';
  return `${latency.p50} / ${latency.p95} / ${latency.p99} ms (${latency.samples})`;
}

export function formatMs(value: number | null): string {
  return value === null ? '–' : `${value} ms`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The `## Measured figures` section of summary.md: per-target figures, then one row per fault. */
export function renderFiguresMarkdown(figures: readonly TargetFigures[] | undefined): string[] {
  if (!figures || figures.length === 0) return [];
  const lines = [
    '## Measured figures',
    '',
    "Lookup latency is p50 / p95 / p99 over healthy lookups (nearest rank, real time). A rotated value through the cache is timed on the fake clock (TTL + 1 ms for Airflow's cache); without the cache in real time after the store's write.",
    '',
    '| target | lookup p50 / p95 / p99 (lookups) | new value, cache on | new value, no cache | requests per lookup |',
    '|---|---|---|---|---|',
  ];
  for (const f of figures) {
    const requests =
      Object.entries(f.requestsPer)
        .map(([what, count]) => `${what}: ${count}`)
        .join('; ') || '–';
    lines.push(
      `| ${cell(f.target)} | ${formatLatency(f.lookupLatencyMs)} | ${formatMs(f.rotation.cachedMs)} | ${formatMs(f.rotation.uncachedMs)} | ${cell(requests)} |`,
    );
  }
  const faultRows = figures.flatMap((f) =>
    f.faults.map(
      (fault) =>
        `| ${cell(f.target)} | ${cell(fault.fault)} | ${formatMs(fault.lookupMs)} | ${fault.attempts ?? '–'} | ${formatMs(fault.recoveryMs)} |`,
    ),
  );
  if (faultRows.length > 0) {
    lines.push('', '| target | fault | lookup under it | requests sent | recovery after it |', '|---|---|---|---|---|', ...faultRows);
  }
  lines.push('');
  return lines;
}

/** One line per target for the console: latency percentiles, the slowest recovery, requests per cold lookup. */
export function renderFiguresConsole(figures: readonly TargetFigures[] | undefined): string[] {
  if (!figures || figures.length === 0) return [];
  const width = Math.max(...figures.map((f) => [...f.target].length));
  const lines = ['', 'Figures (lookup p50 / p95 / p99 and samples; slowest recovery after a fault; upstream requests):'];
  for (const f of figures) {
    const recoveries = f.faults.filter((fault) => fault.recoveryMs !== null);
    const slowest = recoveries.reduce<FaultFigures | null>(
      (worstSoFar, fault) => (worstSoFar === null || (fault.recoveryMs ?? 0) > (worstSoFar.recoveryMs ?? 0) ? fault : worstSoFar),
      null,
    );
    const parts = [
      formatLatency(f.lookupLatencyMs),
      slowest ? `recovery ${slowest.recoveryMs} ms (${slowest.fault}, slowest of ${recoveries.length})` : 'no faults',
      `${f.requestsPer['cold connection lookup'] ?? '–'} per cold connection lookup`,
    ];
    lines.push(`  ${f.target.padEnd(width)}  ${parts.join('; ')}`);
  }
  return lines;
}
