/** The one percentile of the project: the certificate's figures and the bench's latencies use it alike. */

/**
 * The `p`-th percentile (0..100) by nearest rank over values sorted ascending: always one of the
 * measured values (p50 of [1, 2, 3, 4] is 2, p95 of five values is the largest).
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('a percentile of no values is undefined');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`a percentile is between 0 and 100, not ${p}`);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}
