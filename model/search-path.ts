/**
 * Airflow's lookup loop over the secrets backends (spec §2.3, §3.4): the cache first, then each
 * backend in order; the first hit wins, and a backend that throws is recorded and skipped.
 *
 * Two variants, as in Airflow 3.3.2:
 * - `core` (default): `Connection.get_connection_from_secrets` and
 *   `Variable.get_variable_from_secrets` in `airflow/models/`, the server side (scheduler, API
 *   server, DAG processor) and the only place where `SecretCache.init()` is ever called, so the
 *   only variant where a cache is live in a real deployment.
 * - `sdk`: `_get_connection` / `_get_variable` in `airflow/sdk/execution_time/context.py`, the
 *   task runner's path. It differs in two places: a cached variable miss (`null`) is ignored and
 *   the backends are asked, and only found variables are saved.
 *
 * Beyond Airflow: with an enabled cache, concurrent lookups of one id that all miss the cache
 * share one walk over the backends (keyed as the cache keys them). Airflow's SecretCache does not
 * do this, so N tasks parsing at once cost N reads; here they cost one, as the request-budget
 * suite requires of the harness's reference chain. Without a cache, every lookup is Airflow's own.
 */
import { Connection, type ParserFlavour } from './connection/connection';
import type { SecretsBackend } from './contract';
import { EnvironmentVariablesBackend, type Environment } from './environment-variables';
import { ConfigurationError } from './errors';
import { canStoreVariables, InMemoryMetastoreBackend, type VariableStore } from './metastore';
import type { SecretCache } from './secret-cache';

export type SearchPathMode = 'core' | 'sdk';

export interface SearchPathOptions {
  cache?: SecretCache;
  mode?: SearchPathMode;
  /** Parser used to rebuild cached connections; the mode's own one by default. */
  parser?: ParserFlavour;
}

export interface BackendFailure {
  /** The failing backend's `kind`. */
  backend: string;
  error: unknown;
}

export interface LookupOutcome<T> {
  value: T | null;
  /** The backend kind that answered, `'cache'` when the cache did (a cached miss included). */
  servedBy: string | null;
  failures: BackendFailure[];
}

/** The cache's own key prefixes, so a shared lookup is keyed exactly as its cache entry. */
const VARIABLE_KEY = '__v_';
const CONNECTION_KEY = '__c_';

export class SearchPath {
  readonly backends: readonly SecretsBackend[];
  readonly mode: SearchPathMode;
  private readonly cache: SecretCache | undefined;
  private readonly parser: ParserFlavour;
  private readonly inFlight = new Map<string, Promise<LookupOutcome<unknown>>>();

  constructor(backends: readonly SecretsBackend[], options: SearchPathOptions = {}) {
    this.backends = [...backends];
    this.mode = options.mode ?? 'core';
    this.cache = options.cache;
    this.parser = options.parser ?? this.mode;
  }

  async resolveConnection(connId: string): Promise<LookupOutcome<Connection>> {
    const cachedUri = this.cache?.getConnectionUri(connId) ?? null;
    if (cachedUri !== null) {
      // Outside Airflow's try/except over backends: a cached URI that no longer parses raises.
      // Core rebuilds with Connection(uri=...), the SDK with Connection.from_uri: both lossy.
      return { value: Connection.fromUri(cachedUri, { connId, parser: this.parser }), servedBy: 'cache', failures: [] };
    }
    return this.coalesce(CONNECTION_KEY + connId, () => this.askForConnection(connId));
  }

  /**
   * Runs `lookup`, or joins the same lookup already under way while an enabled cache is in front
   * of the chain; a joiner gets the outcome as its own copy. A hook, so a mutant can drop it.
   */
  protected coalesce<T>(key: string, lookup: () => Promise<LookupOutcome<T>>): Promise<LookupOutcome<T>> {
    if (!this.cache?.enabled) return lookup();
    const pending = this.inFlight.get(key) as Promise<LookupOutcome<T>> | undefined;
    if (pending) return pending.then((outcome) => ({ ...outcome, failures: [...outcome.failures] }));
    const started = lookup().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }

  private async askForConnection(connId: string): Promise<LookupOutcome<Connection>> {
    const failures: BackendFailure[] = [];
    for (const backend of this.backends) {
      try {
        const connection = await backend.getConnection(connId);
        if (connection) {
          // get_uri() runs inside the try in Airflow: if it raises, the next backend is asked.
          this.cache?.saveConnectionUri(connId, connection.getUri());
          return { value: connection, servedBy: backend.kind, failures };
        }
      } catch (error) {
        failures.push({ backend: backend.kind, error });
      }
    }
    return { value: null, servedBy: null, failures };
  }

  async resolveVariable(key: string): Promise<LookupOutcome<string>> {
    return this.mode === 'core' ? this.resolveVariableCore(key) : this.resolveVariableSdk(key);
  }

  async getConnection(connId: string): Promise<Connection | null> {
    return (await this.resolveConnection(connId)).value;
  }

  async getVariable(key: string): Promise<string | null> {
    return (await this.resolveVariable(key)).value;
  }

  /**
   * Only the custom backend (the first) is asked, and a failure is not skipped: Airflow raises
   * AirflowConfigException("Cannot retrieve config from alternative secrets backend...").
   */
  async getConfig(key: string): Promise<string | null> {
    const custom = this.backends[0];
    if (custom === undefined) return null;
    try {
      return await custom.getConfig(key);
    } catch (error) {
      throw new ConfigurationError('cannot retrieve config from the custom secrets backend', {
        what: `config "${key}"`,
        where: custom.kind,
        hint: 'make sure the backend is configured properly and reachable',
        cause: error,
      });
    }
  }

  /**
   * Airflow's `Variable.set`: the write goes to the metastore even when a backend earlier in the
   * chain shadows the key (Airflow only logs a warning), then the cache entry is dropped.
   */
  async setVariable(key: string, value: string): Promise<void> {
    await this.variableStore('set').setVariable(key, value);
    this.cache?.invalidateVariable(key);
  }

  async deleteVariable(key: string): Promise<void> {
    await this.variableStore('delete').deleteVariable(key);
    this.cache?.invalidateVariable(key);
  }

  private async resolveVariableCore(key: string): Promise<LookupOutcome<string>> {
    const cached = this.cache?.getVariable(key);
    if (cached?.hit) return { value: cached.value, servedBy: 'cache', failures: [] };
    return this.coalesce(VARIABLE_KEY + key, () => this.askForVariableCore(key));
  }

  private async askForVariableCore(key: string): Promise<LookupOutcome<string>> {
    const failures: BackendFailure[] = [];
    let value: string | null = null;
    let servedBy: string | null = null;
    for (const backend of this.backends) {
      try {
        const found = await askVariable(backend, key);
        if (found !== null) {
          value = found;
          servedBy = backend.kind;
          break;
        }
      } catch (error) {
        failures.push({ backend: backend.kind, error });
      }
    }
    // "we save None as well" (airflow/models/variable.py): the negative cache.
    this.cache?.saveVariable(key, value);
    return { value, servedBy, failures };
  }

  private async resolveVariableSdk(key: string): Promise<LookupOutcome<string>> {
    const cached = this.cache?.getVariable(key);
    if (cached?.hit && cached.value !== null) return { value: cached.value, servedBy: 'cache', failures: [] };
    return this.coalesce(VARIABLE_KEY + key, () => this.askForVariableSdk(key));
  }

  private async askForVariableSdk(key: string): Promise<LookupOutcome<string>> {
    const failures: BackendFailure[] = [];
    for (const backend of this.backends) {
      try {
        const found = await askVariable(backend, key);
        if (found !== null) {
          this.cache?.saveVariable(key, found);
          return { value: found, servedBy: backend.kind, failures };
        }
      } catch (error) {
        failures.push({ backend: backend.kind, error });
      }
    }
    return { value: null, servedBy: null, failures };
  }

  private variableStore(action: 'set' | 'delete'): VariableStore {
    for (let index = this.backends.length - 1; index >= 0; index -= 1) {
      const backend = this.backends[index];
      if (backend !== undefined && canStoreVariables(backend)) return backend;
    }
    throw new ConfigurationError(`no backend in the search path can ${action} variables`, {
      what: 'Variable.set',
      where: this.backends.map((backend) => backend.kind).join(' -> ') || 'an empty search path',
      hint: 'end the search path with an InMemoryMetastoreBackend, as airflowSearchPath() does',
    });
  }
}

/** A JS backend answering `undefined` means Python's `None`, not a found value. */
async function askVariable(backend: SecretsBackend, key: string): Promise<string | null> {
  return (await backend.getVariable(key)) ?? null;
}

export interface AirflowSearchPathOptions extends SearchPathOptions {
  /** The environment the env backend reads; `process.env` by default. */
  env?: Environment;
  metastore?: InMemoryMetastoreBackend;
}

/** Airflow's default chain: [custom?, env, metastore]. */
export function airflowSearchPath(custom: SecretsBackend | null, options: AirflowSearchPathOptions = {}): SearchPath {
  const { env, metastore, ...searchPathOptions } = options;
  const parser = options.parser ?? options.mode ?? 'core';
  const backends: SecretsBackend[] = [
    ...(custom ? [custom] : []),
    new EnvironmentVariablesBackend({ env, parser }),
    metastore ?? new InMemoryMetastoreBackend(),
  ];
  return new SearchPath(backends, searchPathOptions);
}
