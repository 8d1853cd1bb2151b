/**
 * Airflow's SecretCache (spec §3.4; `airflow/sdk/execution_time/cache.py` in 3.3.2): one cache in
 * front of the whole search path, for variables and connection URIs, with a single TTL.
 *
 * Airflow builds it only when `[secrets] use_cache` is true, so the search path here has none
 * unless one is passed in; a cache constructed with `enabled: false` behaves like Airflow's
 * un-initialised one (every save is dropped, every get misses).
 */
import { systemClock, type Clock } from './clock';
import { ConfigurationError } from './errors';

export interface SecretCacheOptions {
  enabled: boolean;
  /** `[secrets] cache_ttl_seconds`; Airflow's fallback is 15 minutes. */
  ttlSeconds?: number;
  clock?: Clock;
}

export type CachedVariable = { hit: true; value: string | null } | { hit: false };

export interface CacheEntry {
  readonly value: string | null;
  readonly storedAt: number;
}

export const DEFAULT_CACHE_TTL_SECONDS = 900;

const VARIABLE_PREFIX = '__v_';
const CONNECTION_PREFIX = '__c_';

export class SecretCache {
  readonly enabled: boolean;
  readonly ttlSeconds: number;
  private readonly clock: Clock;
  private readonly entries = new Map<string, CacheEntry>();

  constructor(options: SecretCacheOptions) {
    const ttlSeconds = options.ttlSeconds ?? DEFAULT_CACHE_TTL_SECONDS;
    if (!Number.isFinite(ttlSeconds)) {
      throw new ConfigurationError(`cache TTL must be a finite number of seconds, got ${String(ttlSeconds)}`, {
        what: 'secret cache',
        where: '[secrets] cache_ttl_seconds',
        hint: 'set cache_ttl_seconds to a whole number of seconds, e.g. 900',
      });
    }
    this.enabled = options.enabled;
    this.ttlSeconds = ttlSeconds;
    this.clock = options.clock ?? systemClock;
  }

  /** A hit may carry `null`: core Airflow caches "no backend has this variable" too. */
  getVariable(key: string): CachedVariable {
    const entry = this.fresh(VARIABLE_PREFIX + key);
    return entry ? { hit: true, value: entry.value } : { hit: false };
  }

  saveVariable(key: string, value: string | null): void {
    this.save(VARIABLE_PREFIX + key, value);
  }

  /** The cached URI, or `null` for a miss; an empty stored URI counts as a miss, as in Airflow. */
  getConnectionUri(connId: string): string | null {
    const entry = this.fresh(CONNECTION_PREFIX + connId);
    return entry?.value ? entry.value : null;
  }

  /** `null` is ignored: a missing connection is an error in Airflow, so misses are never cached. */
  saveConnectionUri(connId: string, uri: string | null): void {
    if (uri === null) return;
    this.save(CONNECTION_PREFIX + connId, uri);
  }

  /** Called after a variable is set or deleted; there is no connection counterpart in Airflow. */
  invalidateVariable(key: string): void {
    this.entries.delete(VARIABLE_PREFIX + key);
  }

  reset(): void {
    this.entries.clear();
  }

  private fresh(storageKey: string): CacheEntry | undefined {
    if (!this.enabled) return undefined;
    const entry = this.entries.get(storageKey);
    if (entry === undefined) return undefined;
    // Expired entries stay stored (Airflow only overwrites them).
    return this.isExpired(entry, this.clock.now()) ? undefined : entry;
  }

  /** Airflow's `_is_expired`: strictly older than the TTL. */
  protected isExpired(entry: CacheEntry, now: number): boolean {
    return now - entry.storedAt > this.ttlSeconds * 1000;
  }

  private save(storageKey: string, value: string | null): void {
    if (!this.enabled) return;
    this.entries.set(storageKey, { value, storedAt: this.clock.now() });
  }
}
