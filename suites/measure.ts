/**
 * Measuring for the rotation, failover and request-budget suites: the names of the figures they
 * record (the reports group by these names), real-time stopwatches, bounded polling, and a guard
 * that stops waiting for a lookup that does not come back within its bound.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as pause } from 'node:timers/promises';

const FAULT_LOOKUP = 'lookup under ';
const RECOVERY = 'recovery after ';
const REQUESTS = 'requests per ';

/** A lookup against a healthy store, in real time: the samples behind the latency percentiles. */
export const LOOKUP_LATENCY = 'lookup latency';

/** How long a lookup took while `fault` was on, whatever it returned. */
export function faultLookupMetric(fault: string): string {
  return FAULT_LOOKUP + fault;
}

/** From the fault's removal to the first correct answer. */
export function recoveryMetric(fault: string): string {
  return RECOVERY + fault;
}

/** Upstream requests one kind of lookup cost: `requests per cold connection lookup`. */
export function requestsMetric(what: string): string {
  return REQUESTS + what;
}

/** Rotation, through the cache: when the new value was first served, in the fake clock's ms. */
export const TIME_TO_NEW_VALUE_CACHED = 'time to new value (cache on, fake clock)';
/** Rotation, no cache: real time from the store's write to the backend serving the new value. */
export const TIME_TO_NEW_VALUE_UNCACHED = 'time to new value (no cache)';

/** What a recorded metric is a figure of, read back from its name (the reports group by it). */
export type MetricMeaning =
  | { readonly kind: 'lookup-latency' }
  | { readonly kind: 'fault-lookup'; readonly fault: string }
  | { readonly kind: 'fault-requests'; readonly fault: string }
  | { readonly kind: 'recovery'; readonly fault: string }
  | { readonly kind: 'requests'; readonly what: string }
  | { readonly kind: 'time-to-new-value'; readonly cached: boolean };

export function meaningOf(metric: string): MetricMeaning | null {
  if (metric === LOOKUP_LATENCY) return { kind: 'lookup-latency' };
  if (metric === TIME_TO_NEW_VALUE_CACHED) return { kind: 'time-to-new-value', cached: true };
  if (metric === TIME_TO_NEW_VALUE_UNCACHED) return { kind: 'time-to-new-value', cached: false };
  if (metric.startsWith(FAULT_LOOKUP)) return { kind: 'fault-lookup', fault: metric.slice(FAULT_LOOKUP.length) };
  if (metric.startsWith(RECOVERY)) return { kind: 'recovery', fault: metric.slice(RECOVERY.length) };
  if (metric.startsWith(REQUESTS + FAULT_LOOKUP)) return { kind: 'fault-requests', fault: metric.slice((REQUESTS + FAULT_LOOKUP).length) };
  if (metric.startsWith(REQUESTS)) return { kind: 'requests', what: metric.slice(REQUESTS.length) };
  return null;
}

/** Milliseconds with sub-millisecond precision, rounded to 0.1 ms for the reports. */
function roundedMs(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}

export interface Timed<T> {
  readonly value: T;
  readonly ms: number;
}

export async function timed<T>(work: () => Promise<T>): Promise<Timed<T>> {
  const start = performance.now();
  const value = await work();
  return { value, ms: roundedMs(start) };
}

export type Settled<T> =
  | { readonly settled: true; readonly ms: number; readonly outcome: { value: T } | { error: unknown } }
  | { readonly settled: false; readonly ms: number };

/**
 * Waits for `promise` at most `boundMs`. A promise still pending is left to settle on its own (its
 * failure is absorbed here), so a case can report "no answer within the bound" at once.
 */
export async function settleWithin<T>(promise: Promise<T>, boundMs: number): Promise<Settled<T>> {
  const start = performance.now();
  const outcome = promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  const guard = new AbortController();
  const expired = pause(boundMs, 'expired' as const, { signal: guard.signal }).catch(() => 'cancelled' as const);
  const first = await Promise.race([outcome, expired]);
  guard.abort();
  if (first === 'expired' || first === 'cancelled') return { settled: false, ms: roundedMs(start) };
  return { settled: true, ms: roundedMs(start), outcome: first };
}

export interface PollBounds {
  readonly attempts: number;
  readonly deadlineMs: number;
  /** Pause between two checks that both failed. */
  readonly intervalMs: number;
}

export type PollResult<T> =
  | { readonly ok: true; readonly ms: number; readonly attempts: number; readonly value: T }
  | { readonly ok: false; readonly ms: number; readonly attempts: number; readonly last: unknown };

/**
 * Calls `check` until it answers something `done` accepts, bounded in attempts and time. A check
 * that throws counts as not done (a backend still recovering fails); the last answer or error is
 * kept for the message.
 */
export async function pollUntil<T>(check: () => Promise<T>, done: (value: T) => boolean, bounds: PollBounds): Promise<PollResult<T>> {
  const start = performance.now();
  let last: unknown = undefined;
  for (let attempt = 1; attempt <= bounds.attempts; attempt += 1) {
    try {
      const value = await check();
      if (done(value)) return { ok: true, ms: roundedMs(start), attempts: attempt, value };
      last = value;
    } catch (error) {
      last = error;
    }
    if (performance.now() - start >= bounds.deadlineMs) return { ok: false, ms: roundedMs(start), attempts: attempt, last };
    await pause(bounds.intervalMs);
  }
  return { ok: false, ms: roundedMs(start), attempts: bounds.attempts, last };
}
