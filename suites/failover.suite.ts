/**
 * Failover under real network faults: a Toxiproxy proxy of its own between the
 * backend and its server for every case, one fault switched on while the case watches a lookup.
 *
 * While the fault is on, the lookup through the chain `[proxied backend, env]` must come back
 * within the bound its kwargs give (attempts × timeout + the waits between them, plus what the
 * fault itself may add to a successful answer, plus a scheduling allowance), as a value or as the
 * typed error, with the next backend's answer served (spec §2.3), and with no more requests than
 * the retry rules allow. Then the fault goes and the time to the first correct answer is measured.
 * A bound is a conformance property here, not a benchmark: it only catches a lookup that waits
 * without limit or retries beyond its budget.
 */
import type { SecretsBackend } from '../model/contract';
import { EnvironmentVariablesBackend, variableEnvName } from '../model/environment-variables';
import { TimeoutError, UnavailableError, type SecretsError } from '../model/errors';
import type { LookupOutcome } from '../model/search-path';
import { requireEndpoint } from '../containers/contract';
import { createProxy, toxiproxyServer, type CreatedProxy, type ToxiproxyEndpoint } from '../containers/toxiproxy';
import type { TargetDefinition } from './target';
import { expectNoSecretIn, expectSecret, fingerprint } from './expect-secret';
import { faultLookupMetric, LOOKUP_LATENCY, pollUntil, recoveryMetric, requestsMetric, settleWithin, timed } from './measure';
import { backendAt, networkOf, serverOf, startLogProxyBefore } from './network';
import type { RequestLogProxy } from '../containers/request-log-proxy';
import { defineSuite, type CaseContext, type ConformanceCase } from './suite';

/** Each attempt's timeout, in the backend's kwargs: short, so a case under a fault stays short. */
const ATTEMPT_TIMEOUT_SECONDS = 0.25;
/** Room for a loaded machine's scheduling on top of the declared bound. */
const SCHEDULING_ALLOWANCE_MS = 1_000;
/** Responses of the lookups here (headers and a short value) fit in this. */
const RESPONSE_BYTES = 2_048;
/** Far above the attempt timeout, and above the whole bound, so waiting it out is caught. */
const LATENCY_MS = 5_000;
/**
 * How long a lookup is watched when its kwargs bound nothing (a backend that takes no timeout):
 * past the latency fault, so a late answer is seen as late and a stall as a stall.
 */
const UNBOUNDED_WATCH_MS = 2 * LATENCY_MS;
const BANDWIDTH_KB_PER_S = 1;
const SLICE = { averageBytes: 16, variationBytes: 8, delayMicroseconds: 500 } as const;

type ErrorClass = abstract new (...args: never[]) => SecretsError;

interface Fault {
  readonly id: string;
  /** What the case name says about it. */
  readonly description: string;
  /** Whether the backend's own value may come back while the fault is on (a slow but whole answer). */
  readonly valueAllowed: boolean;
  /** The failures the backend may report instead. */
  readonly errors: readonly ErrorClass[];
  /** Whether requests still reach the server (the toxic acts on answers), so the server side can count them. */
  readonly requestsReachServer: boolean;
  /** Time the fault may add to a successful answer, beyond the retry budget. */
  readonly extraMs: number;
  /** Switches the fault on; returns what switches it off. */
  apply(proxy: CreatedProxy, name: string): Promise<() => Promise<void>>;
}

function toxic<T>(type: 'latency' | 'timeout' | 'reset_peer' | 'bandwidth' | 'slicer', attributes: T) {
  return async (proxy: CreatedProxy, name: string) => {
    const added = await proxy.proxy.addToxic<T>({ name, type, stream: 'downstream', toxicity: 1, attributes });
    return () => added.remove();
  };
}

const FAULTS: readonly Fault[] = [
  {
    id: 'latency',
    requestsReachServer: true,
    description: `${LATENCY_MS / 1000} s of latency, far above the timeout`,
    valueAllowed: false,
    errors: [TimeoutError],
    extraMs: 0,
    apply: toxic('latency', { latency: LATENCY_MS, jitter: 0 }),
  },
  {
    id: 'timeout',
    requestsReachServer: true,
    description: 'the timeout toxic (no byte of the answer comes back)',
    valueAllowed: false,
    // A server that closes after answering (moto's HTTP/1.0) turns the stall into a closed connection.
    errors: [TimeoutError, UnavailableError],
    extraMs: 0,
    apply: toxic('timeout', { timeout: 0 }),
  },
  {
    id: 'reset-peer',
    requestsReachServer: true,
    description: 'connections reset by the peer',
    valueAllowed: false,
    errors: [UnavailableError],
    extraMs: 0,
    apply: toxic('reset_peer', { timeout: 0 }),
  },
  {
    id: 'server-down',
    requestsReachServer: false,
    description: 'the server down (proxy disabled: connections refused)',
    valueAllowed: false,
    errors: [UnavailableError],
    extraMs: 0,
    async apply(proxy) {
      await proxy.setEnabled(false);
      return () => proxy.setEnabled(true);
    },
  },
  {
    id: 'bandwidth',
    requestsReachServer: true,
    description: `a ${BANDWIDTH_KB_PER_S} KB/s link`,
    // A slow answer that keeps coming is no timeout for hvac or botocore: the value is a pass too.
    valueAllowed: true,
    errors: [TimeoutError],
    extraMs: (RESPONSE_BYTES / (BANDWIDTH_KB_PER_S * 1024)) * 1000,
    apply: toxic('bandwidth', { rate: BANDWIDTH_KB_PER_S }),
  },
  {
    id: 'slicer',
    requestsReachServer: true,
    description: `answers cut into ${SLICE.averageBytes}-byte slices`,
    valueAllowed: true,
    errors: [],
    extraMs: (RESPONSE_BYTES / (SLICE.averageBytes - SLICE.variationBytes)) * (SLICE.delayMicroseconds / 1000),
    apply: toxic('slicer', { average_size: SLICE.averageBytes, size_variation: SLICE.variationBytes, delay: SLICE.delayMicroseconds }),
  },
];

function toxiproxyOf(ctx: CaseContext): ToxiproxyEndpoint {
  return requireEndpoint(ctx.environment.servers, toxiproxyServer, `target ${ctx.target.name} (its failover cases)`);
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/** The lookup's outcome is one the fault allows: the backend's value, or the fallback after a typed failure. */
function checkOutcome(fault: Fault, outcome: LookupOutcome<string>, backend: SecretsBackend, values: { stored: string; fallback: string }): void {
  const what = `variable under ${fault.id}`;
  if (outcome.value === values.stored) {
    if (!fault.valueAllowed) throw new Error(`${what}: ${backend.kind} answered although ${fault.description} should have made it give up`);
    if (outcome.servedBy !== backend.kind) throw new Error(`${what}: the value came from ${outcome.servedBy ?? 'nowhere'}, not ${backend.kind}`);
    return;
  }
  const failure = outcome.failures.find((one) => one.backend === backend.kind);
  if (!failure) {
    throw new Error(
      `${what}: got ${fingerprint(outcome.value)} from ${outcome.servedBy ?? 'no backend'} with no failure of ${backend.kind} recorded`,
    );
  }
  if (!fault.errors.some((errorClass) => failure.error instanceof errorClass)) {
    const allowed = [...(fault.valueAllowed ? ['the value'] : []), ...fault.errors.map((errorClass) => errorClass.name)].join(' or ');
    throw new Error(`${what}: ${backend.kind} failed with ${errorName(failure.error)}, expected ${allowed}`);
  }
  expectNoSecretIn(failure.error, [values.stored, values.fallback], what);
  // §2.3: the failure is skipped and the next backend answers.
  expectSecret(outcome.value, values.fallback, `${what}: the chain after ${backend.kind} failed`);
}

/**
 * Attempts on the wire since `start()`: the backend's own counter (proven against a proxy by the
 * request-budget suite), or, for a backend that keeps none (Airflow's own through the bridge), the
 * requests the server side saw, when the fault lets requests through; `null` when neither can tell.
 */
function attemptCounter(backend: SecretsBackend, serverSide: RequestLogProxy | null, fault: Fault) {
  const own = () => backend.requestsSent;
  const seen = () => (serverSide && fault.requestsReachServer ? serverSide.requests.length : undefined);
  let from: { own: number | undefined; seen: number | undefined } = { own: undefined, seen: undefined };
  return {
    start() {
      from = { own: own(), seen: seen() };
    },
    since(): number | null {
      const ownNow = own();
      if (typeof ownNow === 'number' && from.own !== undefined) return ownNow - from.own;
      const seenNow = seen();
      return seenNow !== undefined && from.seen !== undefined ? seenNow - from.seen : null;
    },
  };
}

async function underFault(ctx: CaseContext, fault: Fault): Promise<void> {
  const network = networkOf(ctx.target);
  const toxiproxy = toxiproxyOf(ctx);
  const key = ctx.ids.next(fault.id);
  const values = { stored: ctx.secrets.token('stored'), fallback: ctx.secrets.token('fallback') };
  await ctx.fixtures.putVariable(key, values.stored);
  // Toxiproxy on this machine can dial a logging proxy in front of the server; in a container it cannot.
  const serverSide = toxiproxy.listenPorts.length === 0 ? await startLogProxyBefore(ctx, network) : null;
  let proxy: CreatedProxy | null = null;
  let removeFault: (() => Promise<void>) | null = null;
  try {
    proxy = await createProxy(toxiproxy, { name: ctx.ids.next('proxy'), upstream: serverSide?.address ?? serverOf(ctx, network) });
    const kwargs = network.timeoutKwargs(ATTEMPT_TIMEOUT_SECONDS);
    const budget = network.lookupBudget(kwargs);
    const bounded = Number.isFinite(budget.worstCaseMs);
    const boundMs = bounded ? budget.worstCaseMs + fault.extraMs + SCHEDULING_ALLOWANCE_MS : UNBOUNDED_WATCH_MS;
    const backend = backendAt(ctx, proxy.address, kwargs);
    // Through the healthy proxy first: proves the path, and authenticates before the fault.
    const healthy = await timed(() => backend.getVariable(key));
    expectSecret(healthy.value, values.stored, `variable "${key}" through the healthy proxy`);
    ctx.record(LOOKUP_LATENCY, healthy.ms, 'ms');

    const next = new EnvironmentVariablesBackend({ env: { [variableEnvName(key)]: values.fallback } });
    const chain = ctx.searchPath([backend, next]);
    removeFault = await fault.apply(proxy, ctx.ids.plain(fault.id));
    const attempts = attemptCounter(backend, serverSide, fault);
    attempts.start();
    const settled = await settleWithin(chain.resolveVariable(key), boundMs);
    if (!settled.settled && !bounded) {
      throw new Error(
        `variable "${key}" under ${fault.id}: no answer within ${boundMs} ms, and its kwargs bound nothing (the backend takes no timeout): a stalled server holds the lookup`,
      );
    }
    if (!settled.settled) {
      throw new Error(
        `variable "${key}" under ${fault.id}: no answer within ${boundMs} ms (${budget.attempts} attempts of ${ATTEMPT_TIMEOUT_SECONDS} s with their waits, ` +
          `+${Math.round(fault.extraMs)} ms for the fault, +${SCHEDULING_ALLOWANCE_MS} ms allowance)`,
      );
    }
    ctx.record(faultLookupMetric(fault.id), settled.ms, 'ms');
    if ('error' in settled.outcome) throw settled.outcome.error;
    const sent = attempts.since();
    if (sent !== null) ctx.record(requestsMetric(`lookup under ${fault.id}`), sent, 'requests');
    checkOutcome(fault, settled.outcome.value, backend, values);
    // Uncountable only for a backend without a counter while connections are refused: the time bound still holds it.
    if (sent !== null && (sent < 1 || sent > budget.attempts)) {
      throw new Error(`variable "${key}" under ${fault.id}: ${sent} request(s) on the wire, the retry rules allow 1 to ${budget.attempts}`);
    }

    await removeFault();
    removeFault = null;
    const recovered = await pollUntil(
      () => backend.getVariable(key),
      (value) => value === values.stored,
      {
        attempts: 40,
        deadlineMs: 4 * boundMs,
        intervalMs: 50,
      },
    );
    if (!recovered.ok) {
      const last = recovered.last instanceof Error ? errorName(recovered.last) : fingerprint(recovered.last);
      throw new Error(
        `variable "${key}": no correct answer within ${recovered.attempts} tries (${recovered.ms} ms) after ${fault.id} ended; last: ${last}`,
      );
    }
    ctx.record(recoveryMetric(fault.id), recovered.ms, 'ms');
  } finally {
    // Removing the proxy also cuts a lookup that is still waiting, so nothing outlives the case.
    if (removeFault) await removeFault().catch(() => undefined);
    await proxy?.remove();
    await serverSide?.close();
  }
}

function faultCase(fault: Fault): ConformanceCase {
  const outcome = fault.valueAllowed
    ? fault.errors.length > 0
      ? `the value or ${fault.errors.map((e) => e.name).join('/')}`
      : 'the value, whole'
    : fault.errors.map((e) => e.name).join('/');
  return {
    name: `${fault.id}: ${outcome} within the bound, the chain falls through, retries within budget, then recovery`,
    rule:
      `§2.3 a failing backend is skipped and the next one answers; under ${fault.description}, one lookup ends ` +
      `within the bound of its kwargs (attempts × timeout + backoff: urllib3 total=3, backoff 0.1 s for Vault; botocore config_kwargs for AWS; ` +
      "urllib3's default Retry(3), no backoff, for Kubernetes) " +
      'with no more attempts than they allow',
    needs: ['variables', 'network-faults'],
    // Enough for a no-timeout backend to be caught, the proxy removed and the session closed.
    timeoutMs: 60_000,
    run: (ctx) => underFault(ctx, fault),
  };
}

export const failoverSuite = defineSuite({
  id: 'failover',
  title: 'Failover under network faults',
  level: 'resilience',
  requires: 'network-faults',
  // A target that inherits the capability without a network (a bridged twin) has nothing to proxy.
  cases: (target: TargetDefinition) => (target.network ? FAULTS.map(faultCase) : []),
});
