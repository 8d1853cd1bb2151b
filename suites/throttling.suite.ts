/**
 * Throttling: the store tells the backend to slow down, as it does when a scheduler or a burst of
 * tasks reads the same connections at once (an OpenBao rate-limit quota answers 429, AWS answers
 * ThrottlingException). How the server is made to throttle is the target's declaration
 * (`network.throttling`); a request-log proxy between backend and server counts every attempt and
 * when it came, for any implementation (Airflow's own through the bridge too).
 *
 * The backend must come back within its retry budget with the value (it backed off and tried
 * again) or with the typed ThrottledError, so the chain goes on to the next backend with the
 * failure recorded (spec §2.3). Never "not found": the secret is there. Never a tight loop: no
 * more attempts than its retry rules allow, and waits between the later ones.
 */
import type { SecretsBackend } from '../model/contract';
import { EnvironmentVariablesBackend, variableEnvName } from '../model/environment-variables';
import { ThrottledError } from '../model/errors';
import type { LookupOutcome } from '../model/search-path';
import type { RequestLogProxy } from '../containers/request-log-proxy';
import type { ObservedRequest, ServerThrottling, TargetDefinition, TargetNetwork } from './target';
import { expectNoSecretIn, expectSecret, fingerprint } from './expect-secret';
import { faultLookupMetric, pollUntil, recoveryMetric, requestsMetric, settleWithin } from './measure';
import { backendAt, networkOf, startLogProxyBefore } from './network';
import { defineSuite, type CaseContext, type ConformanceCase } from './suite';

/** Each attempt's timeout: throttled answers come at once, so this only bounds a backend that hangs. */
const ATTEMPT_TIMEOUT_SECONDS = 1;
/** Room for a loaded machine's scheduling on top of the declared bound. */
const SCHEDULING_ALLOWANCE_MS = 1_000;
/**
 * The least time three or more attempts of one throttled lookup may span. urllib3 waits 0.2 s
 * before its third attempt; botocore's standard mode waits rand × 1 s, then rand × 2 s (a span under
 * this has a chance of about 1 in 1,600). A client retrying without backoff spans a few ms.
 */
const MIN_BACKOFF_SPAN_MS = 50;
const THROTTLE_ID = 'throttling';

function throttlingOf(target: TargetDefinition, network: TargetNetwork): ServerThrottling {
  if (network.throttling) return network.throttling;
  throw new Error(`target ${target.name} declares throttling but its network says not how to make the server throttle`);
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/** The lookup's outcome under throttling: the backend's value after backing off, or the fallback after a ThrottledError. */
function checkOutcome(outcome: LookupOutcome<string>, backend: SecretsBackend, values: { stored: string; fallback: string }): 'value' | 'throttled' {
  const what = 'variable under throttling';
  if (outcome.value === values.stored) {
    if (outcome.servedBy !== backend.kind) throw new Error(`${what}: the value came from ${outcome.servedBy ?? 'nowhere'}, not ${backend.kind}`);
    return 'value';
  }
  const failure = outcome.failures.find((one) => one.backend === backend.kind);
  if (!failure) {
    throw new Error(
      `${what}: ${backend.kind} read the throttling answer as "not found": the chain went on with no failure recorded and got ` +
        `${fingerprint(outcome.value)} from ${outcome.servedBy ?? 'no backend'}; expected the value or a ThrottledError`,
    );
  }
  if (!(failure.error instanceof ThrottledError)) {
    throw new Error(`${what}: ${backend.kind} failed with ${errorName(failure.error)}, expected the value or ThrottledError`);
  }
  expectNoSecretIn(failure.error, [values.stored, values.fallback], what);
  // §2.3: the failure is skipped and the next backend answers.
  expectSecret(outcome.value, values.fallback, `${what}: the chain after ${backend.kind} was throttled`);
  return 'throttled';
}

/** The attempts one lookup made: no more than the retry rules allow, and the later ones after a wait. */
function checkAttempts(reads: readonly ObservedRequest[], allowed: number): void {
  if (reads.length < 1) throw new Error('variable under throttling: no read reached the server');
  if (reads.length > allowed) {
    throw new Error(`variable under throttling: ${reads.length} reads on the wire, the retry rules allow at most ${allowed}: a retry loop`);
  }
  const span = (reads.at(-1)?.at ?? 0) - (reads[0]?.at ?? 0);
  if (reads.length >= 3 && span < MIN_BACKOFF_SPAN_MS) {
    throw new Error(
      `variable under throttling: ${reads.length} reads within ${span.toFixed(1)} ms: retries without backoff ` +
        `(three or more attempts must span at least ${MIN_BACKOFF_SPAN_MS} ms)`,
    );
  }
}

async function underThrottling(ctx: CaseContext): Promise<void> {
  const network = networkOf(ctx.target);
  const throttling = throttlingOf(ctx.target, network);
  // Plain: the id is also the quota's name and path, with nothing to quote.
  const key = ctx.ids.plain('throttled');
  const values = { stored: ctx.secrets.token('stored'), fallback: ctx.secrets.token('fallback') };
  await ctx.fixtures.putVariable(key, values.stored);
  const throttle = await throttling.throttleVariable(ctx.environment, key);
  let released = false;
  let proxy: RequestLogProxy | null = null;
  try {
    proxy = await startLogProxyBefore(ctx, network, throttle.answer ? { answer: throttle.answer } : {});
    const kwargs = network.timeoutKwargs(ATTEMPT_TIMEOUT_SECONDS);
    const budget = network.lookupBudget(kwargs);
    const boundMs = budget.worstCaseMs + budget.throttledWaitsMs + SCHEDULING_ALLOWANCE_MS;
    const backend = backendAt(ctx, proxy.address, kwargs);
    const next = new EnvironmentVariablesBackend({ env: { [variableEnvName(key)]: values.fallback } });
    const chain = ctx.searchPath([backend, next]);

    const settled = await settleWithin(chain.resolveVariable(key), boundMs);
    if (!settled.settled) {
      throw new Error(
        `variable "${key}" under throttling: no answer within ${boundMs} ms (${budget.attempts} attempts with their waits, ` +
          `throttled waits included, +${SCHEDULING_ALLOWANCE_MS} ms allowance)`,
      );
    }
    ctx.record(faultLookupMetric(THROTTLE_ID), settled.ms, 'ms');
    if ('error' in settled.outcome) throw settled.outcome.error;
    const reads = proxy.requests.filter((request) => network.requestKind(request) === 'read');
    ctx.record(requestsMetric(`lookup under ${THROTTLE_ID}`), reads.length, 'requests');
    if (!reads.some((request) => request.status === throttling.status)) {
      throw new Error(`variable "${key}": no read was answered ${throttling.status}: the throttling (${throttling.method}) did not bite`);
    }
    checkOutcome(settled.outcome.value, backend, values);
    checkAttempts(reads, budget.attempts);

    released = true;
    await throttle.release();
    const recovered = await pollUntil(
      () => backend.getVariable(key),
      (value) => value === values.stored,
      { attempts: 40, deadlineMs: 2 * boundMs, intervalMs: 50 },
    );
    if (!recovered.ok) {
      const last = recovered.last instanceof Error ? errorName(recovered.last) : fingerprint(recovered.last);
      throw new Error(
        `variable "${key}": no correct answer within ${recovered.attempts} tries (${recovered.ms} ms) after the throttling ended; last: ${last}`,
      );
    }
    ctx.record(recoveryMetric(THROTTLE_ID), recovered.ms, 'ms');
  } finally {
    if (!released) await throttle.release().catch(() => undefined);
    await proxy?.close();
  }
}

const throttledReadCase: ConformanceCase = {
  name: 'a throttled read: the value after backoff or ThrottledError, never "not found", within the retry budget, no tight loop, then recovery',
  rule:
    '§7 only the service\'s "not found" gives None (§7.1 InvalidPath, §7.2 ResourceNotFoundException and kin, §7.3 ParameterNotFound); ' +
    'any other error propagates and §2.3 the chain skips the backend. A throttling answer (OpenBao 429: hvac raises RateLimitExceeded; ' +
    "AWS ThrottlingException: botocore's standard mode retries it with backoff, then raises) is such an error, and its retries stay within the client's budget",
  needs: ['variables', 'throttling'],
  timeoutMs: 60_000,
  run: underThrottling,
};

export const throttlingSuite = defineSuite({
  id: 'throttling',
  title: 'Throttling',
  level: 'resilience',
  requires: 'throttling',
  cases: (target: TargetDefinition) => (target.network?.throttling ? [throttledReadCase] : []),
});
