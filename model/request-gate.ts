/**
 * A cap on the request rate to a server the harness does not own: every request (a backend's read,
 * a fixture write, a residue listing) first takes a slot, and slots are at least `1000 / maxPerSecond`
 * ms apart. The clock is injected, so the spacing is tested without waiting.
 */

export interface GateClock {
  now(): number;
  wait(ms: number): Promise<void>;
}

const realClock: GateClock = {
  now: () => performance.now(),
  wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RequestGate {
  readonly maxPerSecond: number;
  /** Resolves when this request may go: at once while under the cap, else at its slot. */
  take(): Promise<void>;
  /** Requests that passed the gate so far. */
  readonly passed: number;
}

export function requestGate(maxPerSecond: number, clock: GateClock = realClock): RequestGate {
  if (!(maxPerSecond > 0) || !Number.isFinite(maxPerSecond)) throw new RangeError(`maxPerSecond must be a positive number, not ${maxPerSecond}`);
  const spacingMs = 1000 / maxPerSecond;
  let nextSlot = Number.NEGATIVE_INFINITY;
  let passed = 0;
  return {
    maxPerSecond,
    get passed() {
      return passed;
    },
    async take() {
      // Reserved before waiting, so concurrent callers queue one spacing apart.
      const now = clock.now();
      const slot = Math.max(now, nextSlot);
      nextSlot = slot + spacingMs;
      if (slot > now) await clock.wait(slot - now);
      passed += 1;
    },
  };
}
