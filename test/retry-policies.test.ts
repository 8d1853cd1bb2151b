import type { RetryErrorInfo } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { awsLookupBudget } from '../backends/aws/aws-kwargs';
import {
  BOTOCORE_DEFAULT_RETRY,
  botocoreLookupBudget,
  botocoreMaxBackoffMs,
  BotocoreRetryStrategy,
  PROVIDER_VAULT_RETRY,
  urllib3BackoffMs,
  urllib3LookupBudget,
  urllib3ShouldRetry,
  withUrllib3Retry,
  type AttemptFailure,
} from '../model/retry';
import { vaultLookupBudget } from '../backends/vault/vault-backend';
import { vaultAttemptFailure } from '../backends/vault/vault-failures';

describe('urllib3 Retry as the hashicorp provider mounts it', () => {
  it('waits nothing after the first failure, then backoff_factor * 2 ** (n - 1)', () => {
    expect([1, 2, 3, 4].map((failures) => urllib3BackoffMs(PROVIDER_VAULT_RETRY, failures))).toEqual([0, 200, 400, 800]);
    expect(urllib3BackoffMs({ ...PROVIDER_VAULT_RETRY, backoffFactor: 100 }, 4)).toBe(120_000);
  });

  it('retries connect errors for any method, read errors and forcelisted statuses for idempotent ones', () => {
    const connect: AttemptFailure = { kind: 'connect' };
    const read: AttemptFailure = { kind: 'read' };
    expect(urllib3ShouldRetry(PROVIDER_VAULT_RETRY, 'POST', connect, 1)).toBe(true);
    expect(urllib3ShouldRetry(PROVIDER_VAULT_RETRY, 'POST', read, 1)).toBe(false);
    expect(urllib3ShouldRetry(PROVIDER_VAULT_RETRY, 'GET', read, 3)).toBe(true);
    expect(urllib3ShouldRetry(PROVIDER_VAULT_RETRY, 'GET', read, 4)).toBe(false);
    expect(urllib3ShouldRetry(PROVIDER_VAULT_RETRY, 'GET', { kind: 'status', status: 503 }, 1)).toBe(true);
    expect(urllib3ShouldRetry(PROVIDER_VAULT_RETRY, 'GET', { kind: 'status', status: 504 }, 1)).toBe(false);
    expect(urllib3ShouldRetry(PROVIDER_VAULT_RETRY, 'POST', { kind: 'status', status: 503 }, 1)).toBe(false);
  });

  it('runs four attempts at most, sleeping 0.2 s and 0.4 s, and hands back the last failure', async () => {
    const slept: number[] = [];
    let attempts = 0;
    const failure = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    const outcome = withUrllib3Retry(
      PROVIDER_VAULT_RETRY,
      'GET',
      async () => {
        attempts += 1;
        throw failure;
      },
      vaultAttemptFailure,
      { sleep: async (ms) => void slept.push(ms) },
    );
    await expect(outcome).rejects.toBe(failure);
    expect(attempts).toBe(4);
    expect(slept).toEqual([200, 400]);
  });

  it('stops at the first success and never retries what it cannot classify', async () => {
    let attempts = 0;
    const value = await withUrllib3Retry(
      PROVIDER_VAULT_RETRY,
      'GET',
      async () => {
        attempts += 1;
        if (attempts < 3) throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
        return 'answer';
      },
      vaultAttemptFailure,
      { sleep: async () => {} },
    );
    expect(value).toBe('answer');
    expect(attempts).toBe(3);
    let bugs = 0;
    await expect(
      withUrllib3Retry(
        PROVIDER_VAULT_RETRY,
        'GET',
        async () => {
          bugs += 1;
          throw new TypeError('a bug, not the network');
        },
        vaultAttemptFailure,
      ),
    ).rejects.toBeInstanceOf(TypeError);
    expect(bugs).toBe(1);
  });

  it('bounds a Vault read by four timeouts and the waits between them', () => {
    expect(urllib3LookupBudget(PROVIDER_VAULT_RETRY, 250)).toEqual({ attempts: 4, worstCaseMs: 1600, throttledWaitsMs: 600 });
    expect(vaultLookupBudget({ token: 't', timeout: 0.5 })).toEqual({ attempts: 4, worstCaseMs: 2600, throttledWaitsMs: 600 });
  });
});

describe('botocore retries', () => {
  const failure = (errorType: RetryErrorInfo['errorType'], error: object = {}): RetryErrorInfo => ({ errorType, error }) as RetryErrorInfo;
  const transient = failure('TRANSIENT', { name: 'Error', code: 'ECONNRESET' });

  it('standard mode: rand * min(0.05 * 2 ** (n - 1), 20) s; legacy: rand * 2 ** (n - 1) s', () => {
    expect([1, 2, 3].map((retry) => botocoreMaxBackoffMs(BOTOCORE_DEFAULT_RETRY, retry))).toEqual([50, 100, 200]);
    expect(botocoreMaxBackoffMs(BOTOCORE_DEFAULT_RETRY, 12)).toBe(20_000);
    expect(botocoreMaxBackoffMs(BOTOCORE_DEFAULT_RETRY, 2, true)).toBe(2_000);
    expect(botocoreMaxBackoffMs({ mode: 'legacy', totalMaxAttempts: 5 }, 3)).toBe(4_000);
  });

  it('allows total_max_attempts attempts in all, then refuses; client errors are never retried', async () => {
    const strategy = new BotocoreRetryStrategy({ mode: 'standard', totalMaxAttempts: 3 }, () => 1);
    const first = await strategy.acquireInitialRetryToken();
    const second = await strategy.refreshRetryTokenForRetry(first, transient);
    expect([second.getRetryCount(), second.getRetryDelay()]).toEqual([1, 50]);
    const third = await strategy.refreshRetryTokenForRetry(second, transient);
    expect([third.getRetryCount(), third.getRetryDelay()]).toEqual([2, 100]);
    await expect(strategy.refreshRetryTokenForRetry(third, transient)).rejects.toThrow(/no retry left/);
    await expect(strategy.refreshRetryTokenForRetry(first, failure('CLIENT_ERROR'))).rejects.toThrow();
  });

  it('standard mode spends a retry quota of 500 (5 a retry, 10 for a timeout) that successes refill', async () => {
    const strategy = new BotocoreRetryStrategy({ mode: 'standard', totalMaxAttempts: 1_000 }, () => 0);
    let current = await strategy.acquireInitialRetryToken();
    const timeout = failure('TRANSIENT', { name: 'TimeoutError' });
    for (let retry = 0; retry < 50; retry += 1) current = await strategy.refreshRetryTokenForRetry(current, timeout);
    expect(strategy.remainingQuota).toBe(0);
    await expect(strategy.refreshRetryTokenForRetry(current, transient)).rejects.toThrow(/quota/);
    strategy.recordSuccess(current);
    expect(strategy.remainingQuota).toBe(10);
  });

  it('reads config_kwargs as botocore does: max_attempts counts retries, total_max_attempts every attempt', () => {
    expect(botocoreLookupBudget(BOTOCORE_DEFAULT_RETRY, 100, 200)).toEqual({
      attempts: 3,
      worstCaseMs: 3 * 300 + 50 + 100,
      throttledWaitsMs: 1000 + 2000,
    });
    expect(awsLookupBudget({}).attempts).toBe(3);
    expect(awsLookupBudget({ config_kwargs: { retries: { max_attempts: 1 } } }).attempts).toBe(2);
    expect(awsLookupBudget({ config_kwargs: { retries: { max_attempts: 1, total_max_attempts: 4 } } }).attempts).toBe(4);
    expect(awsLookupBudget({ config_kwargs: { retries: { mode: 'legacy' } } }).attempts).toBe(5);
    expect(awsLookupBudget({ config_kwargs: { connect_timeout: 0.1, read_timeout: 0.2, retries: { total_max_attempts: 1 } } })).toEqual({
      attempts: 1,
      worstCaseMs: 300,
      throttledWaitsMs: 0,
    });
    expect(() => awsLookupBudget({ config_kwargs: { retries: { mode: 'adaptive' } } })).toThrow(/not modelled/);
    expect(() => awsLookupBudget({ config_kwargs: { max_pool_connections: 3 } })).toThrow(/not modelled/);
  });
});
