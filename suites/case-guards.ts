/**
 * What the runner does around each case, whatever the case checks: it keeps a backend's leaked
 * secrets out of the reports (and fails the case for the leak), and it stops a target that hangs
 * instead of waiting out every case.
 */
import { TimeoutError } from '../model/errors';
import { SecretAssertionError } from './expect-secret';

/** A fragment this long of a seeded value's random part, seen in a message, is that value leaking. */
const FRAGMENT_LENGTH = 12;

/** The strings among fixture arguments (a value, a URI, connection fields) that carry the canary. */
export function seededStrings(args: readonly unknown[], canary: string): string[] {
  const found: string[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > 6) return;
    if (typeof value === 'string') {
      if (value.includes(canary)) found.push(value);
    } else if (Array.isArray(value)) value.forEach((item) => visit(item, depth + 1));
    else if (value !== null && typeof value === 'object') Object.values(value).forEach((item) => visit(item, depth + 1));
  };
  args.forEach((arg) => visit(arg, 0));
  return found;
}

/**
 * The secret parts of seeded values: each run of letters and digits that carries the canary (a
 * token the suites made), without the canary. Hosts, field names and other text around them in a
 * fixture are not secrets, and may appear in a message.
 */
function secretCores(seeded: readonly string[], canary: string): string[] {
  return seeded.flatMap((value) =>
    (value.match(/[A-Za-z0-9]+/g) ?? []).filter((run) => run.includes(canary)).map((run) => run.split(canary).join('')),
  );
}

/** Whether `text` shows the canary or a long enough piece of a seeded secret. */
function showsSecret(text: string, canary: string, seeded: readonly string[]): boolean {
  if (text.includes(canary)) return true;
  return secretCores(seeded, canary).some((core) => {
    if (core.length < FRAGMENT_LENGTH) return false;
    for (let start = 0; start + FRAGMENT_LENGTH <= core.length; start += 1) {
      const fragment = core.slice(start, start + FRAGMENT_LENGTH);
      // A run of one character (padding in a large value) says nothing about a secret.
      if (new Set(fragment).size > 3 && text.includes(fragment)) return true;
    }
    return false;
  });
}

/**
 * The error a case ended with, as the reports may show it: unchanged when it shows no seeded
 * value; otherwise a failure of the backend for leaking it, which names the error class only.
 */
export function withoutSeededSecrets(error: unknown, canary: string, seeded: readonly string[]): unknown {
  if (!(error instanceof Error)) return error;
  const texts = [error.message, String(error.stack ?? '')];
  for (let cause = error.cause, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth += 1) texts.push(cause.message);
  if (!texts.some((text) => showsSecret(text, canary, seeded))) return error;
  return new SecretAssertionError(
    `the backend's ${error.name} carried a seeded secret value in its message (withheld from every report): a backend's messages must never hold a secret`,
  );
}

/** After this many cases in a row of one target end in a timeout, its remaining cases are not waited for. */
export const HANG_LIMIT = 3;
/**
 * Timeouts scattered between answers (a backend that hangs on some ids only) stop a target after
 * this many in all, or once this long has gone on cases that timed out: a correct backend never
 * times out at all, and two 30 s cases (about a minute) are enough to show the hang.
 */
export const MAX_TIMEOUTS = 5;
export const MAX_TIMED_OUT_MS = 45_000;

/** How the verdict of a stopped target starts, in every report and on the console. */
export const HANG_VERDICT = /^(TimeoutError: )?hangs: /;

interface Timeouts {
  /** Cases recorded, whatever their outcome. */
  lookups: number;
  timedOut: number;
  timedOutMs: number;
  inARow: number;
}

/**
 * Counts each target's cases that ended in a timeout: in a row, in all, and the time they took.
 * While every timeout so far came in a row, the in-a-row rule alone decides.
 */
export class HangWatch {
  private readonly targets = new Map<string, Timeouts>();

  /** A failure to throw at once for a target that hangs; null while it has not reached a bound. */
  verdict(target: string): Error | null {
    const { lookups, timedOut, timedOutMs, inARow } = this.of(target);
    const hint = 'find what the backend waits on (its log, its server); a lookup must answer or fail within its timeout';
    if (inARow >= HANG_LIMIT) {
      return new TimeoutError(`hangs: ${inARow} lookups in a row timed out, so the rest of ${target}'s cases were not waited for`, {
        what: `target ${target}`,
        hint,
      });
    }
    const scattered = timedOut > inARow;
    if (!scattered || (timedOut < MAX_TIMEOUTS && timedOutMs < MAX_TIMED_OUT_MS)) return null;
    return new TimeoutError(
      `hangs: ${timedOut} of ${lookups} lookups timed out (${Math.round(timedOutMs / 1000)} s), so the rest of ${target}'s cases were not waited for`,
      { what: `target ${target}`, hint },
    );
  }

  /** One case's outcome, and how long it ran (`elapsedMs`). */
  record(target: string, outcome: 'passed' | unknown, elapsedMs = 0): void {
    const counts = this.of(target);
    counts.lookups += 1;
    if (outcome === 'passed' || !isTimeout(outcome)) {
      counts.inARow = 0;
      return;
    }
    counts.inARow += 1;
    counts.timedOut += 1;
    counts.timedOutMs += elapsedMs;
  }

  private of(target: string): Timeouts {
    let counts = this.targets.get(target);
    if (!counts) {
      counts = { lookups: 0, timedOut: 0, timedOutMs: 0, inARow: 0 };
      this.targets.set(target, counts);
    }
    return counts;
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof TimeoutError || (error instanceof Error && /timed out|did not answer .* within/i.test(error.message));
}

/** `running`, or a TimeoutError when it has not settled within `ms` (the case's own bound, below vitest's). */
export async function within<T>(running: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new TimeoutError(`${what} did not finish within ${Math.round(ms / 1000)} s`, { hint: 'the backend may hang' })),
      ms,
    );
    timer.unref();
  });
  try {
    return await Promise.race([running, expired]);
  } finally {
    clearTimeout(timer);
  }
}
