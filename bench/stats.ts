/**
 * The arithmetic of a benchmark: percentiles of timing samples and the ratios that make the
 * headline. Timings on a shared 2-core machine drift; ratios of paths sampled side by side do not.
 */

/** Timing samples of one path, in milliseconds. */
export interface LatencySummary {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly minMs: number;
  readonly maxMs: number;
}

/**
 * The `p`-th percentile (0..100) of samples already sorted ascending, interpolated linearly
 * between the two nearest ranks (numpy's default), so p50 of an even count is the mean of the middle two.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('a percentile of no samples is undefined');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`a percentile is between 0 and 100, not ${p}`);
  const rank = (p / 100) * (sorted.length - 1);
  const below = Math.floor(rank);
  const above = Math.ceil(rank);
  const low = sorted[below] as number;
  const high = sorted[above] as number;
  return low + (high - low) * (rank - below);
}

export function summarize(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) throw new RangeError('a summary of no samples is undefined');
  const sorted = [...samples].sort((a, b) => a - b);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    samples: sorted.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    meanMs: total / sorted.length,
    minMs: sorted[0] as number,
    maxMs: sorted[sorted.length - 1] as number,
  };
}

/** `numerator / denominator`, or `null` when either side is missing or the denominator is not positive. */
export function ratio(numerator: number | null | undefined, denominator: number | null | undefined): number | null {
  if (numerator === null || numerator === undefined || denominator === null || denominator === undefined) return null;
  if (!Number.isFinite(numerator) || !Number.isFinite(denominator) || denominator <= 0) return null;
  return numerator / denominator;
}

/** `[a, b, c]` rotated left by `by`: each round of interleaved paths starts one path later. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const shift = ((by % items.length) + items.length) % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** A duration for people: `850 ns`, `12.3 µs`, `4.56 ms`, `2.1 s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  const abs = Math.abs(ms);
  if (abs < 0.001) return `${Math.round(ms * 1_000_000)} ns`;
  if (abs < 1) return `${significant(ms * 1000)} µs`;
  if (abs < 1000) return `${significant(ms)} ms`;
  return `${significant(ms / 1000)} s`;
}

/** `12.3x`, `0.045x`: three significant digits. */
export function formatRatio(value: number | null): string {
  return value === null ? 'n/a' : `${significant(value)}x`;
}

function significant(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}
