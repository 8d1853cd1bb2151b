/**
 * Mutants of what the rotation, failover and request-budget suites check that belongs to no family:
 * a backend that never lets go of a value, and chains that do not share concurrent lookups, share
 * them without a cache, or stop at a failing backend. (The Vault and AWS backends' own resilience
 * mutants live in their family folders.)
 */
import type { Connection } from '../model/connection/connection';
import { SearchPath, type LookupOutcome } from '../model/search-path';
import { ForwardingBackend, type BasedMutantSpec } from './mutant';

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

export const resilienceMutants: readonly BasedMutantSpec[] = [
  {
    name: 'stale-forever',
    base: 'env',
    breaks: '§3.4 the backend keeps every value it has found for good, so a rotated secret is served old forever',
    backend: (real) => new StaleForeverBackend(real),
  },
  {
    name: 'no-coalescing',
    base: 'env',
    breaks: '§3.4 (reference chain) with the cache on, concurrent cold lookups of one id each walk the backends',
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
