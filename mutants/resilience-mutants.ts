/**
 * Mutants of what the rotation, failover and request-budget suites check: a backend that waits
 * without limit, retries far past its budget, logs in for every lookup or never lets go of a
 * value, and chains that do not share concurrent lookups, share them without a cache, or stop at
 * a failing backend. Each is bounded, so a run against it ends.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsManagerBackend } from '../backends/aws-secrets-manager';
import type { sdkClientConfig } from '../backends/aws-client';
import type { Connection } from '../backends/connection/connection';
import type { SecretsBackend } from '../backends/contract';
import { BotocoreRetryStrategy, PROVIDER_VAULT_RETRY } from '../backends/retry';
import { SearchPath, type LookupOutcome } from '../backends/search-path';
import { VaultBackend } from '../backends/vault';
import { ForwardingBackend, type MutantSpec } from './mutant';

export interface ResilienceMutantSpec extends MutantSpec {
  /** The target the mutant is built on. */
  readonly base: 'env' | 'vault-kv2' | 'vault-approle' | 'aws-sm' | 'aws-ssm';
}

/** Attempts of the retry-forever mutants: far beyond any budget, yet a run against them ends. */
const RUNAWAY_ATTEMPTS = 50;

function vaultRebuilt(real: SecretsBackend, make: (kwargs: Record<string, unknown>) => VaultBackend): SecretsBackend {
  if (!(real instanceof VaultBackend)) throw new Error(`vault mutants rebuild a VaultBackend, got ${real.kind}`);
  return make({ ...real.kwargs });
}

/** Remembers every value it has found, per id, for good: a backend-side cache with no expiry. */
class StaleForeverBackend extends ForwardingBackend {
  private readonly remembered = new Map<string, unknown>();

  private async once<T>(id: string, lookup: () => Promise<T>): Promise<T> {
    if (this.remembered.has(id)) return this.remembered.get(id) as T;
    const value = await lookup();
    if (value !== null) this.remembered.set(id, value);
    return value;
  }

  override getConnValue(connId: string) {
    return this.once(`value:${connId}`, () => this.inner.getConnValue(connId));
  }

  override getConnection(connId: string) {
    return this.once<Connection | null>(`conn:${connId}`, () => this.inner.getConnection(connId));
  }

  override getVariable(key: string) {
    return this.once(`var:${key}`, () => this.inner.getVariable(key));
  }
}

class NoCoalescingSearchPath extends SearchPath {
  protected override coalesce<T>(_key: string, lookup: () => Promise<LookupOutcome<T>>): Promise<LookupOutcome<T>> {
    return lookup();
  }
}

/** Shares in-flight lookups whether or not a cache is on: Airflow's uncached chain asks every time. */
class AlwaysCoalescingSearchPath extends SearchPath {
  private readonly shared = new Map<string, Promise<LookupOutcome<unknown>>>();

  protected override coalesce<T>(key: string, lookup: () => Promise<LookupOutcome<T>>): Promise<LookupOutcome<T>> {
    const pending = this.shared.get(key) as Promise<LookupOutcome<T>> | undefined;
    if (pending) return pending;
    const started = lookup().finally(() => this.shared.delete(key));
    this.shared.set(key, started);
    return started;
  }
}

/** Once a backend has failed, the lookup ends as "not found" instead of asking the next backend. */
class NoFallThroughSearchPath extends SearchPath {
  override async resolveVariable(key: string): Promise<LookupOutcome<string>> {
    return this.givingUp(await super.resolveVariable(key));
  }

  override async resolveConnection(connId: string): Promise<LookupOutcome<Connection>> {
    return this.givingUp(await super.resolveConnection(connId));
  }

  private givingUp<T>(outcome: LookupOutcome<T>): LookupOutcome<T> {
    return outcome.failures.length > 0 ? { value: null, servedBy: null, failures: outcome.failures } : outcome;
  }
}

/** A Secrets Manager client that retries 50 times without waiting; its own client, not the session's. */
class RunawaySecretsManagerBackend extends SecretsManagerBackend {
  protected override createClient(config: ReturnType<typeof sdkClientConfig>): SecretsManagerClient {
    const policy = { mode: 'standard' as const, totalMaxAttempts: RUNAWAY_ATTEMPTS };
    return new SecretsManagerClient({ ...config, maxAttempts: RUNAWAY_ATTEMPTS, retryStrategy: new BotocoreRetryStrategy(policy, () => 0) });
  }
}

export const resilienceMutants: readonly ResilienceMutantSpec[] = [
  {
    name: 'vault-no-timeout',
    base: 'vault-kv2',
    breaks: 'issue 4: ignores the timeout kwarg (waits up to a day per request), so a slow or silent server holds the lookup',
    backend: (real) => vaultRebuilt(real, (kwargs) => new VaultBackend({ ...kwargs, timeout: 86_400 })),
  },
  {
    name: 'vault-retry-forever',
    base: 'vault-kv2',
    breaks: `issue 4: retries a failed request ${RUNAWAY_ATTEMPTS - 1} times without waiting, far beyond urllib3's total=3 with backoff 0.1 s`,
    backend: (real) => vaultRebuilt(real, (kwargs) => new VaultBackend(kwargs, { retry: { ...PROVIDER_VAULT_RETRY, total: RUNAWAY_ATTEMPTS - 1, backoffFactor: 0 } })),
  },
  {
    name: 'vault-login-per-lookup',
    base: 'vault-approle',
    breaks: '§7.1 logs in again (AppRole) for every lookup instead of reusing the token of its first login',
    backend: (real) =>
      vaultRebuilt(
        real,
        (kwargs) =>
          new (class extends VaultBackend {
            protected override authenticated() {
              return this.authenticate();
            }
          })(kwargs),
      ),
  },
  {
    name: 'aws-retry-forever',
    base: 'aws-sm',
    breaks: `issue 4: retries a failed request ${RUNAWAY_ATTEMPTS - 1} times without waiting, far beyond botocore's attempts for its config_kwargs`,
    backend: (real) => {
      if (!(real instanceof SecretsManagerBackend)) throw new Error(`aws-sm mutants rebuild a SecretsManagerBackend, got ${real.kind}`);
      return new RunawaySecretsManagerBackend(real.kwargs);
    },
  },
  {
    name: 'stale-forever',
    base: 'env',
    breaks: 'issue 4 pain point 9: the backend keeps every value it has found for good, so a rotated secret is served old forever',
    backend: (real) => new StaleForeverBackend(real),
  },
  {
    name: 'no-coalescing',
    base: 'env',
    breaks: 'issue 4 (harness): with the cache on, concurrent cold lookups of one id each walk the backends',
    components: { searchPath: (backends, options) => new NoCoalescingSearchPath(backends, options) },
  },
  {
    name: 'coalescing-without-cache',
    base: 'env',
    breaks: '§3.1 shares concurrent lookups even with no cache, where Airflow asks the backends for every lookup',
    components: { searchPath: (backends, options) => new AlwaysCoalescingSearchPath(backends, options) },
  },
  {
    name: 'no-fall-through',
    base: 'aws-ssm',
    breaks: '§2.3 ends a lookup as "not found" once a backend failed, instead of asking the next backend',
    components: { searchPath: (backends, options) => new NoFallThroughSearchPath(backends, options) },
  },
];
