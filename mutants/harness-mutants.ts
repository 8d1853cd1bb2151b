/**
 * Mutants of the search path and the cache, and of the local file loader: the rules of spec §2.3,
 * §3.4 and §5.3 broken the way a custom chain or cache plausibly breaks them.
 */
import type { Connection } from '../model/connection/connection';
import type { SecretsBackend } from '../model/contract';
import { SecretCache, type CacheEntry } from '../model/secret-cache';
import { SearchPath, type LookupOutcome } from '../model/search-path';
import type { MutantSpec } from './mutant';

class InclusiveTtlCache extends SecretCache {
  protected override isExpired(entry: CacheEntry, now: number): boolean {
    return now - entry.storedAt >= this.ttlSeconds * 1000;
  }
}

class EverlastingMissCache extends SecretCache {
  protected override isExpired(entry: CacheEntry, now: number): boolean {
    return entry.value === null ? false : super.isExpired(entry, now);
  }
}

class ForgetfulInvalidationCache extends SecretCache {
  override invalidateVariable(): void {}
}

/**
 * Backends that give up the rest of a lookup once one of them throws: the head resets the
 * trip wire, a failure sets it, and every later backend then answers "not found". A Proxy keeps
 * everything else about each backend (its kind, a metastore's setVariable) as it was.
 */
function stopAfterFailure(backends: readonly SecretsBackend[]): SecretsBackend[] {
  let tripped = false;
  const lookups = new Set<PropertyKey>(['getConnValue', 'getConnection', 'getVariable']);
  return backends.map(
    (backend, index) =>
      new Proxy(backend, {
        get(target, property, receiver) {
          const member = Reflect.get(target, property, receiver) as unknown;
          if (!lookups.has(property) || typeof member !== 'function') return member;
          return async (...args: unknown[]) => {
            if (index === 0) tripped = false;
            if (tripped) return null;
            try {
              return await (member as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            } catch (error) {
              tripped = true;
              throw error;
            }
          };
        },
      }),
  );
}

/** Keeps the Connection objects it returned, instead of their URIs, so nothing is lost. */
class ObjectCachingSearchPath extends SearchPath {
  private readonly kept = new Map<string, Connection>();

  override async resolveConnection(connId: string): Promise<LookupOutcome<Connection>> {
    const outcome = await super.resolveConnection(connId);
    const kept = this.kept.get(connId);
    if (outcome.servedBy === 'cache' && kept) return { ...outcome, value: kept };
    if (outcome.value) this.kept.set(connId, outcome.value);
    return outcome;
  }
}

/** Remembers connection misses for the TTL, as if a cache stored None for them. */
class ConnectionMissCachingSearchPath extends SearchPath {
  private readonly misses = new Set<string>();

  override async resolveConnection(connId: string): Promise<LookupOutcome<Connection>> {
    if (this.misses.has(connId)) return { value: null, servedBy: 'cache', failures: [] };
    const outcome = await super.resolveConnection(connId);
    if (outcome.value === null) this.misses.add(connId);
    return outcome;
  }
}

/** Reports a miss as "" when no backend has the variable. */
class EmptyStringMissSearchPath extends SearchPath {
  override async resolveVariable(key: string): Promise<LookupOutcome<string>> {
    const outcome = await super.resolveVariable(key);
    return outcome.value === null ? { ...outcome, value: '' } : outcome;
  }
}

/** Asks every backend for config, where Airflow asks only the custom one. */
class ConfigFromEveryBackendSearchPath extends SearchPath {
  override async getConfig(key: string): Promise<string | null> {
    for (const backend of this.backends) {
      const value = await backend.getConfig(key);
      if (value !== null) return value;
    }
    return null;
  }
}

class WriteOnlyCache extends SecretCache {
  protected override isExpired(): boolean {
    return true;
  }
}

export const harnessMutants: readonly MutantSpec[] = [
  {
    name: 'session-leaves-secrets-behind',
    breaks: 'Isolation: closing a session does not remove what it seeded',
    session: (real) => ({ ...real, backend: (kwargs) => real.backend(kwargs), close: async () => {} }),
  },
  {
    name: 'cache-never-read',
    breaks: '§3.4 fills the cache but never serves from it',
    components: { cache: (options) => new WriteOnlyCache(options) },
  },
  {
    name: 'cache-always-on',
    breaks: '§3.1 caches even when use_cache is off (no cache configured)',
    components: {
      searchPath: (backends, options) => new SearchPath(backends, { ...options, cache: options.cache ?? new SecretCache({ enabled: true }) }),
    },
  },
  {
    name: 'connection-misses-cached',
    breaks: '§3.4 caches a connection miss, so a connection created later stays unseen',
    components: { searchPath: (backends, options) => new ConnectionMissCachingSearchPath(backends, options) },
  },
  {
    name: 'miss-reported-as-empty-string',
    breaks: '§2.3 answers "" instead of None when no backend has the variable',
    components: { searchPath: (backends, options) => new EmptyStringMissSearchPath(backends, options) },
  },
  {
    name: 'only-first-backend-asked',
    breaks: '§2.3 stops after the first backend even when it answered None',
    components: { searchPath: (backends, options) => new SearchPath(backends.slice(0, 1), options) },
  },
  {
    name: 'ttl-inclusive',
    breaks: '§3.4 expires an entry when it is exactly TTL old (>= instead of >)',
    components: { cache: (options) => new InclusiveTtlCache(options) },
  },
  {
    name: 'ttl-setting-ignored',
    breaks: '§3.1 always uses the default 900 s TTL, ignoring cache_ttl_seconds',
    components: { cache: (options) => new SecretCache({ ...options, ttlSeconds: 900 }) },
  },
  {
    name: 'negative-cache-never-expires',
    breaks: '§3.4 keeps a cached variable miss forever',
    components: { cache: (options) => new EverlastingMissCache(options) },
  },
  {
    name: 'set-does-not-invalidate',
    breaks: '§3.4 Variable.set leaves the stale cache entry in place',
    components: { cache: (options) => new ForgetfulInvalidationCache(options) },
  },
  {
    name: 'misses-cached-in-sdk-mode',
    breaks: '§3.4 caches variable misses on the task SDK path too',
    components: { searchPath: (backends, options) => new SearchPath(backends, { ...options, mode: 'core' }) },
  },
  {
    name: 'connections-cached-as-objects',
    breaks: '§3.4 caches Connection objects instead of get_uri() strings, so nothing a URI loses is lost',
    components: { searchPath: (backends, options) => new ObjectCachingSearchPath(backends, options) },
  },
  {
    name: 'chain-stops-at-failing-backend',
    breaks: '§2.3 stops the lookup at a backend that throws instead of skipping it',
    components: { searchPath: (backends, options) => new SearchPath(stopAfterFailure(backends), options) },
  },
  {
    name: 'last-backend-wins',
    breaks: '§2.3 asks the backends in reverse order, so the metastore shadows the custom backend',
    components: { searchPath: (backends, options) => new SearchPath([...backends].reverse(), options) },
  },
];

/** Mutants made from the `local-json` target (it serves config). */
export const configMutants: readonly MutantSpec[] = [
  {
    name: 'config-asked-of-every-backend',
    breaks: '§3.3 asks every backend for config instead of only the custom one',
    components: { searchPath: (backends, options) => new ConfigFromEveryBackendSearchPath(backends, options) },
  },
];
