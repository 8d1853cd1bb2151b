/**
 * Times several ways of doing one lookup side by side: round after round, each path once, the
 * starting path moving by one each round (ABC, BCA, CAB, ...), so load and clock drift on a
 * shared machine hit every path alike. Warm-up rounds run first and are not kept.
 *
 * After a path with an I/O tail the event loop gets one turn: a client finishes a response in
 * callbacks after its promise resolves (socket release, stream end), and without that turn the
 * next path's timing would pay for the previous path's tail. Paths without I/O get no turn: it
 * would add a constant to every sample and squeeze the ratios of sub-microsecond paths towards 1.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { rotate } from './stats';

export interface TimedPath<Id extends string = string> {
  readonly id: Id;
  /** One lookup. A synchronous answer is timed as it returns: no await is added to a sync call. */
  readonly call: () => unknown;
  /** What every call must answer; a different answer stops the run (a benchmark of a miss measures nothing). */
  readonly expected: unknown;
  /** The call's client finishes in callbacks after it answers (sockets, pipes): let them run before the next call. */
  readonly ioTail?: boolean;
  /** Runs after each kept (not warm-up) call, outside the timing: reads figures the call left behind. */
  readonly afterEach?: (elapsedMs: number) => void;
}

export interface SamplingBounds {
  readonly warmupRounds: number;
  readonly rounds: number;
  /** Sampling stops after this long even if fewer rounds ran; warm-up counts against it. */
  readonly budgetMs: number;
  /** Injected for tests; `performance.now` otherwise. */
  readonly now?: () => number;
}

export interface Sampled<Id extends string> {
  readonly samplesMs: Record<Id, number[]>;
  readonly rounds: number;
  readonly stoppedBy: 'rounds' | 'time';
}

export class UnexpectedAnswerError extends Error {
  constructor(readonly pathId: string) {
    // Never the answer itself: it may be a secret value.
    super(`path "${pathId}" answered something other than the seeded value`);
    this.name = 'UnexpectedAnswerError';
  }
}

async function timeOnce(path: TimedPath, now: () => number): Promise<number> {
  const started = now();
  const pending = path.call();
  const answer = pending instanceof Promise ? await pending : pending;
  const elapsed = now() - started;
  if (answer !== path.expected) throw new UnexpectedAnswerError(path.id);
  return elapsed;
}

export async function sampleInterleaved<Id extends string>(paths: readonly TimedPath<Id>[], bounds: SamplingBounds): Promise<Sampled<Id>> {
  const now = bounds.now ?? (() => performance.now());
  const samplesMs = Object.fromEntries(paths.map((path) => [path.id, [] as number[]])) as Record<Id, number[]>;
  const deadline = now() + bounds.budgetMs;
  const total = bounds.warmupRounds + bounds.rounds;
  let rounds = 0;
  for (let round = 0; round < total; round += 1) {
    if (now() >= deadline) return { samplesMs, rounds, stoppedBy: 'time' };
    const kept = round >= bounds.warmupRounds;
    for (const path of rotate(paths, round)) {
      const elapsed = await timeOnce(path, now);
      if (path.ioTail) await nextMacrotask();
      if (!kept) continue;
      samplesMs[path.id].push(elapsed);
      path.afterEach?.(elapsed);
    }
    if (kept) rounds += 1;
  }
  return { samplesMs, rounds, stoppedBy: 'rounds' };
}
