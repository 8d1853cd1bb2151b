/**
 * The retry rules of the HTTP clients under Airflow's provider backends, as plain logic the
 * reference backends run and the resilience suites derive their time bounds from:
 *
 * - urllib3's `Retry`, as the hashicorp provider 4.8.4 mounts it on hvac's session
 *   (`_internal_client/vault_client.py`, `_client`): total 3, backoff_factor 0.1,
 *   status_forcelist [412, 500, 502, 503], raise_on_status False. It is not a kwarg: a
 *   `backend_kwargs` JSON cannot carry a `requests.Session`, so every Airflow deployment gets it.
 * - botocore's `standard` and `legacy` retry modes (botocore 1.44.8, `retries/standard.py`,
 *   `args.py`), chosen by the `config_kwargs.retries` the amazon provider hands to botocore.
 */
import { setTimeout as pause } from 'node:timers/promises';
import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';

// ---------------------------------------------------------------------------------------------
// urllib3 (hvac's session)

export interface Urllib3RetryPolicy {
  /** `total`: how many retries of any kind follow the first attempt. */
  readonly total: number;
  /** `backoff_factor`, seconds. */
  readonly backoffFactor: number;
  readonly statusForcelist: readonly number[];
  /** `backoff_max`, seconds (urllib3 2.x: 120). */
  readonly backoffMaxSeconds: number;
}

export const PROVIDER_VAULT_RETRY: Urllib3RetryPolicy = {
  total: 3,
  backoffFactor: 0.1,
  statusForcelist: [412, 500, 502, 503],
  backoffMaxSeconds: 120,
};

/** urllib3's `Retry.DEFAULT_ALLOWED_METHODS`: read errors and statuses are retried for these only. */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['HEAD', 'GET', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

/**
 * Why one attempt failed, in urllib3's terms: before the request reached the server (`connect`,
 * retried for every method), after it may have (`read`: a reset, a read timeout; retried for
 * idempotent methods only), or an answer whose status is in the forcelist.
 */
export type AttemptFailure = { readonly kind: 'connect' } | { readonly kind: 'read' } | { readonly kind: 'status'; readonly status: number };

/**
 * `Retry.get_backoff_time()` after `failures` consecutive failed attempts: nothing after the
 * first, then `backoff_factor * 2 ** (failures - 1)`, capped at `backoff_max`.
 */
export function urllib3BackoffMs(policy: Urllib3RetryPolicy, failures: number): number {
  if (failures <= 1) return 0;
  const seconds = Math.min(policy.backoffMaxSeconds, policy.backoffFactor * 2 ** (failures - 1));
  return Math.max(0, seconds * 1000);
}

/** Whether urllib3 tries again after `failures` failed attempts, the last one failing as `failure`. */
export function urllib3ShouldRetry(policy: Urllib3RetryPolicy, method: string, failure: AttemptFailure, failures: number): boolean {
  if (failures > policy.total) return false;
  if (failure.kind === 'connect') return true;
  if (!IDEMPOTENT_METHODS.has(method.toUpperCase())) return false;
  return failure.kind === 'read' || policy.statusForcelist.includes(failure.status);
}

export interface RetryRunOptions {
  /** Waits between attempts; injectable so the schedule can be checked without waiting. */
  sleep?: (ms: number) => Promise<void>;
  /** Called before every attempt on the wire, retries included. */
  onAttempt?: () => void;
}

const realSleep = (ms: number): Promise<void> => pause(ms).then(() => undefined);

/**
 * Runs `attempt` under urllib3's rules. `classify` reads a failure as urllib3 would (or `null`
 * for one it never retries). With `raise_on_status=False` the last failure is what the caller
 * sees once the retries are used up, whatever its kind.
 */
export async function withUrllib3Retry<T>(
  policy: Urllib3RetryPolicy,
  method: string,
  attempt: () => Promise<T>,
  classify: (error: unknown) => AttemptFailure | null,
  options: RetryRunOptions = {},
): Promise<T> {
  const sleep = options.sleep ?? realSleep;
  // Bounded by the policy: `total` retries at most, then the failure propagates.
  for (let failures = 0; ;) {
    options.onAttempt?.();
    try {
      return await attempt();
    } catch (error) {
      failures += 1;
      const failure = classify(error);
      if (failure === null || !urllib3ShouldRetry(policy, method, failure, failures)) throw error;
      const delay = urllib3BackoffMs(policy, failures);
      if (delay > 0) await sleep(delay);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// botocore (the amazon provider's boto3 clients)

export type BotocoreRetryMode = 'standard' | 'legacy';

export interface BotocoreRetryPolicy {
  readonly mode: BotocoreRetryMode;
  /** `total_max_attempts`: the first request included. */
  readonly totalMaxAttempts: number;
}

/** botocore 1.44.8 with no retry configuration: `standard` mode, 3 attempts in all. */
export const BOTOCORE_DEFAULT_RETRY: BotocoreRetryPolicy = { mode: 'standard', totalMaxAttempts: 3 };

/** `legacy` mode's default (`_retry.json`): 5 attempts in all. */
export const BOTOCORE_LEGACY_MAX_ATTEMPTS = 5;

/** standard mode's `ExponentialBackoff`: base scales in seconds, cap 20 s. */
const STANDARD_BASE_SCALE_SECONDS = { throttling: 1, other: 0.05 } as const;
const STANDARD_MAX_BACKOFF_SECONDS = 20;

/** standard mode's `RetryQuotaChecker`: one bucket per client, refilled by successes. */
const RETRY_QUOTA = { capacity: 500, retryCost: 5, timeoutRetryCost: 10, noRetryIncrement: 1 } as const;

/**
 * The largest delay botocore may wait before retry number `retry` (1-based), the jitter at its
 * maximum: standard `rand * min(scale * 2 ** (retry - 1), 20)`, legacy `rand * 2 ** (retry - 1)`.
 */
export function botocoreMaxBackoffMs(policy: BotocoreRetryPolicy, retry: number, throttled = false): number {
  const growth = 2 ** (retry - 1);
  if (policy.mode === 'legacy') return growth * 1000;
  const scale = throttled ? STANDARD_BASE_SCALE_SECONDS.throttling : STANDARD_BASE_SCALE_SECONDS.other;
  return Math.min(scale * growth, STANDARD_MAX_BACKOFF_SECONDS) * 1000;
}

interface BotocoreToken extends RetryToken {
  /** Quota this retry took, given back when the request then succeeds. */
  readonly cost: number;
}

function token(retryCount: number, delayMs: number, cost: number): BotocoreToken {
  return { getRetryCount: () => retryCount, getRetryDelay: () => delayMs, cost };
}

function isTimeout(errorInfo: RetryErrorInfo): boolean {
  const error = errorInfo.error as { name?: unknown; code?: unknown } | undefined;
  return error?.name === 'TimeoutError' || error?.code === 'ETIMEDOUT';
}

/**
 * botocore's retry decision as an SDK v3 retry strategy: transient failures (connection errors,
 * timeouts, 500/502/503/504) and throttling are retried up to `totalMaxAttempts` attempts, with
 * botocore's backoff and, in standard mode, its retry quota. The SDK's middleware waits the
 * token's delay; this class only decides, so its schedule is testable without waiting.
 */
export class BotocoreRetryStrategy implements RetryStrategyV2 {
  readonly mode: BotocoreRetryMode;
  private quota: number = RETRY_QUOTA.capacity;

  constructor(
    readonly policy: BotocoreRetryPolicy,
    private readonly random: () => number = Math.random,
  ) {
    this.mode = policy.mode;
  }

  async acquireInitialRetryToken(): Promise<RetryToken> {
    return token(0, 0, 0);
  }

  async refreshRetryTokenForRetry(previous: RetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken> {
    const attempts = previous.getRetryCount() + 1;
    const retryable = errorInfo.errorType === 'TRANSIENT' || errorInfo.errorType === 'THROTTLING';
    if (!retryable || attempts >= this.policy.totalMaxAttempts) throw new Error('no retry left');
    let cost = 0;
    if (this.mode === 'standard') {
      cost = isTimeout(errorInfo) ? RETRY_QUOTA.timeoutRetryCost : RETRY_QUOTA.retryCost;
      if (this.quota < cost) throw new Error('retry quota exhausted');
      this.quota -= cost;
    }
    const ceiling = botocoreMaxBackoffMs(this.policy, attempts, errorInfo.errorType === 'THROTTLING');
    return token(attempts, this.random() * ceiling, cost);
  }

  recordSuccess(done: RetryToken): void {
    if (this.mode !== 'standard') return;
    const cost = (done as Partial<BotocoreToken>).cost ?? 0;
    this.quota = Math.min(RETRY_QUOTA.capacity, this.quota + (cost > 0 ? cost : RETRY_QUOTA.noRetryIncrement));
  }

  /** What is left of the retry quota (standard mode). */
  get remainingQuota(): number {
    return this.quota;
  }
}

// ---------------------------------------------------------------------------------------------
// Bounds

/** What one lookup may cost on the wire: attempts, and the time they may take with their waits. */
export interface LookupBudget {
  /** Requests one read may send, retries included. */
  readonly attempts: number;
  /** The longest the read may take when every attempt fails by timing out, waits included. */
  readonly worstCaseMs: number;
  /** The longest the waits between attempts may add up to when every answer is a throttle (botocore waits longer after one). */
  readonly throttledWaitsMs: number;
}

/**
 * hvac through urllib3: every attempt is bounded by `timeout` (the time to the response headers,
 * then between chunks), and the waits between attempts by the backoff schedule.
 */
export function urllib3LookupBudget(policy: Urllib3RetryPolicy, timeoutMs: number): LookupBudget {
  const attempts = policy.total + 1;
  let waits = 0;
  for (let failures = 1; failures < attempts; failures += 1) waits += urllib3BackoffMs(policy, failures);
  // 429 is not in the forcelist: urllib3 retries it only for a Retry-After header, which OpenBao sends only when told to.
  return { attempts, worstCaseMs: attempts * timeoutMs + waits, throttledWaitsMs: waits };
}

/**
 * botocore: an attempt may spend `connect_timeout` connecting and `read_timeout` waiting for
 * bytes; the waits are the backoff ceilings for failures that are not throttling.
 */
export function botocoreLookupBudget(policy: BotocoreRetryPolicy, connectTimeoutMs: number, readTimeoutMs: number): LookupBudget {
  const attempts = policy.totalMaxAttempts;
  let waits = 0;
  let throttledWaitsMs = 0;
  for (let retry = 1; retry < attempts; retry += 1) {
    waits += botocoreMaxBackoffMs(policy, retry);
    throttledWaitsMs += botocoreMaxBackoffMs(policy, retry, true);
  }
  return { attempts, worstCaseMs: attempts * (connectTimeoutMs + readTimeoutMs) + waits, throttledWaitsMs };
}
