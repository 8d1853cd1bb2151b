/** How the bench turns samples into figures: percentiles and ratios, goals met or missed, and interleaved sampling. */
import { describe, expect, it } from 'vitest';
import { evaluateGoal, formatThreshold, GOALS, type Goal } from '../bench/goals';
import { sampleInterleaved, UnexpectedAnswerError } from '../bench/interleaved-sampler';
import { ratio, rotate, summarize } from '../bench/stats';
import { percentile } from '../reports/statistics';
import { formatDuration } from '../reports/text';

describe('bench statistics', () => {
  it('takes percentiles by nearest rank, the same as the certificate: always a measured value', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([7], 99)).toBe(7);
    const hundred = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(hundred, 0)).toBe(1);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile(hundred, 99)).toBe(99);
  });

  it('refuses percentiles of nothing or outside 0..100', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });

  it("summarises unsorted samples without reordering the caller's array", () => {
    const samples = [5, 1, 4, 2, 3];
    const summary = summarize(samples);
    expect(summary).toMatchObject({ samples: 5, p50Ms: 3, minMs: 1, maxMs: 5, meanMs: 3 });
    expect(summary.p99Ms).toBe(5);
    expect(samples).toEqual([5, 1, 4, 2, 3]);
  });

  it('answers null for a ratio with a missing or non-positive denominator', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(null, 2)).toBeNull();
    expect(ratio(3, undefined)).toBeNull();
    expect(ratio(3, 0)).toBeNull();
    expect(ratio(Number.POSITIVE_INFINITY, 2)).toBeNull();
  });

  it('rotates the path order by one per round', () => {
    expect(rotate(['a', 'b', 'c'], 0)).toEqual(['a', 'b', 'c']);
    expect(rotate(['a', 'b', 'c'], 1)).toEqual(['b', 'c', 'a']);
    expect(rotate(['a', 'b', 'c'], 5)).toEqual(['c', 'a', 'b']);
    expect(rotate([], 3)).toEqual([]);
  });

  it('formats durations in the unit that reads best', () => {
    expect(formatDuration(0.0000005)).toBe('1 ns');
    expect(formatDuration(0.00085)).toBe('850 ns');
    expect(formatDuration(0.0123)).toBe('12.3 µs');
    expect(formatDuration(4.567)).toBe('4.57 ms');
    expect(formatDuration(2100)).toBe('2.10 s');
  });
});

describe('bench goals', () => {
  const atMost: Goal = { id: 'x', text: 'x', comparison: 'at-most', threshold: 1.1, unit: 'ratio' };

  it('meets an at-most goal on the threshold and misses it above', () => {
    expect(evaluateGoal(atMost, 'env', 1.1).status).toBe('met');
    expect(evaluateGoal(atMost, 'env', 1.11).status).toBe('missed');
  });

  it('misses a below goal on the threshold itself', () => {
    expect(evaluateGoal(GOALS.cacheHitMedian, 'env', 0.0049).status).toBe('met');
    expect(evaluateGoal(GOALS.cacheHitMedian, 'env', 0.005).status).toBe('missed');
  });

  it('meets an at-least goal on the threshold and misses it below', () => {
    expect(evaluateGoal(GOALS.cacheHitSpeedup, 'vault', 100).status).toBe('met');
    expect(evaluateGoal(GOALS.cacheHitSpeedup, 'vault', 99.9).status).toBe('missed');
  });

  it('reports a missing figure as not measured, with the reason', () => {
    const outcome = evaluateGoal(GOALS.warmVaultTest, 'npm test', null, 'not measured: skipped');
    expect(outcome).toMatchObject({ status: 'not measured', measured: null, note: 'not measured: skipped' });
    expect(evaluateGoal(GOALS.warmVaultTest, 'npm test', Number.NaN).status).toBe('not measured');
  });

  it('states thresholds with their sign and unit', () => {
    expect(formatThreshold(GOALS.referenceOverhead)).toBe('≤ 1.10x');
    expect(formatThreshold(GOALS.cacheHitMedian)).toBe('< 5.00 µs');
    expect(formatThreshold(GOALS.connectionReuse)).toBe('≤ 2');
    expect(formatThreshold(GOALS.cacheHitSpeedup)).toBe('≥ 100x');
  });
});

describe('interleaved sampling', () => {
  function fakeClock() {
    let now = 0;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  }

  it('runs every path once per round, starting one later each round, and keeps no warm-up samples', async () => {
    const clock = fakeClock();
    const order: string[] = [];
    const path = (id: string, cost: number) => ({
      id,
      expected: 'v',
      call: () => {
        order.push(id);
        clock.advance(cost);
        return 'v';
      },
    });
    const sampled = await sampleInterleaved([path('a', 1), path('b', 2), path('c', 3)], {
      warmupRounds: 1,
      rounds: 2,
      budgetMs: 1_000,
      now: clock.now,
    });
    expect(order).toEqual(['a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b']);
    expect(sampled).toEqual({ samplesMs: { a: [1, 1], b: [2, 2], c: [3, 3] }, rounds: 2, stoppedBy: 'rounds' });
  });

  it('times an async answer to its resolution and calls afterEach for kept samples only', async () => {
    const clock = fakeClock();
    const seen: number[] = [];
    const slow = {
      id: 'slow',
      expected: 'v',
      call: async () => {
        await Promise.resolve();
        clock.advance(5);
        return 'v';
      },
      afterEach: (elapsed: number) => seen.push(elapsed),
    };
    await sampleInterleaved([slow], { warmupRounds: 2, rounds: 3, budgetMs: 1_000, now: clock.now });
    expect(seen).toEqual([5, 5, 5]);
  });

  it('lets callbacks a path left behind run before the next call only after a path with an I/O tail', async () => {
    const run = async (ioTail: boolean) => {
      let tailDone = false;
      const client = { id: 'client', expected: 1, ioTail, call: () => (setImmediate(() => (tailDone = true)), 1) };
      const next = { id: 'next', expected: true, call: () => tailDone };
      return sampleInterleaved([client, next], { warmupRounds: 0, rounds: 1, budgetMs: 1_000 });
    };
    await expect(run(true)).resolves.toMatchObject({ rounds: 1 });
    await expect(run(false)).rejects.toBeInstanceOf(UnexpectedAnswerError);
  });

  it('stops at the time bound with the rounds it finished', async () => {
    const clock = fakeClock();
    const sampled = await sampleInterleaved([{ id: 'a', expected: 1, call: () => (clock.advance(10), 1) }], {
      warmupRounds: 0,
      rounds: 1_000,
      budgetMs: 35,
      now: clock.now,
    });
    expect(sampled.stoppedBy).toBe('time');
    expect(sampled.rounds).toBe(4);
  });

  it('stops on an answer other than the seeded value, without repeating the answer', async () => {
    const wrong = { id: 'wrong', expected: 'seeded', call: () => 'cnry-leaked-value' };
    const error = await sampleInterleaved([wrong], { warmupRounds: 0, rounds: 1, budgetMs: 1_000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnexpectedAnswerError);
    expect((error as Error).message).toContain('"wrong"');
    expect((error as Error).message).not.toContain('cnry-leaked-value');
  });
});
