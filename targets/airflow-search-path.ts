/**
 * Airflow's own search path and SecretCache, run inside the Airflow bridge (bridge/airflow_search_path.py,
 * ops in bridge/PROTOCOL.md), behind the same interface as our reference (`./search-path.ts`,
 * `./secret-cache.ts`), so a case written once says what Airflow 3.3.2 does when its target is Airflow's:
 *
 * - `core`: `Connection.get_connection_from_secrets` / `Variable.get_variable_from_secrets` (airflow/models),
 * - `sdk`: `_get_connection` / `_get_variable` (airflow/sdk/execution_time/context.py),
 * - the cache: `airflow.sdk.execution_time.cache.SecretCache`, set up by its own `init()` from
 *   `[secrets] use_cache` and `cache_ttl_seconds`, stamping entries with the case's fake clock.
 *
 * Every lookup sends the chain as specs: a backend of the same bridge by its handle, and our
 * metastore, environment and test doubles as their stand-ins in the bridge, with their current
 * contents. Anything else cannot run there and is a ConfigurationError naming it.
 *
 * Where the reference goes beyond Airflow this does not follow it: concurrent cold lookups are not
 * shared (Airflow's cache has no in-flight sharing), so the cases that require it are reference-only.
 */
import { Connection, type ParserFlavour } from '../model/connection/connection';
import type { SecretsBackend } from '../model/contract';
import { CommandBackend } from './command-backend';
import { errorFromAnswer, type ProtocolErrorBody } from './command-errors';
import type { CommandProcess } from './command-process';
import { EnvironmentVariablesBackend } from '../model/environment-variables';
import { ConfigurationError } from '../model/errors';
import { canStoreVariables, InMemoryMetastoreBackend, type VariableStore } from '../model/metastore';
import { SearchPath, type BackendFailure, type LookupOutcome, type SearchPathOptions } from '../model/search-path';
import { SecretCache, type CachedVariable, type SecretCacheOptions } from '../model/secret-cache';
import type { Clock } from '../model/clock';
import type { BridgeBackendSpec, BridgeCallCounts, BridgeConnectionRow, BridgeDouble } from '../suites/bridge-specs';

/** The Airflow release whose code runs; checked against the bridge's `hello` before the first op. */
export const AIRFLOW_SEARCH_PATH_VERSION = '3.3.2';

/** What reports name as the search path and cache that ran (each function is listed in the header above). */
export const AIRFLOW_SEARCH_PATH_IMPLEMENTATION = `airflow ${AIRFLOW_SEARCH_PATH_VERSION} in the bridge (airflow.models *_from_secrets, airflow.sdk context._get_*, SecretCache)`;

/** The ops this needs from the bridge (bridge/PROTOCOL.md, "Search path ops"). */
const SEARCH_PATH_OPS = [
  'secret_cache_open',
  'search_path_get_connection',
  'search_path_get_variable',
  'search_path_variable_written',
  'search_path_get_config',
] as const;

function isBridgeDouble(backend: object): backend is BridgeDouble {
  const candidate = backend as Partial<BridgeDouble>;
  return typeof candidate.bridgeSpec === 'function' && typeof candidate.addBridgeCalls === 'function';
}

/** Airflow's cache settings and the clock its entries are stamped with; the entries live in the bridge. */
export class AirflowSecretCache extends SecretCache {
  readonly clockSource: Clock | null;
  /** `[secrets] cache_ttl_seconds` as configured; unset leaves Airflow to its own fallback. */
  readonly configuredTtlSeconds: number | undefined;
  private opened: { process: CommandProcess; generation: number; handle: Promise<string> } | null = null;

  constructor(options: SecretCacheOptions) {
    super(options);
    this.clockSource = options.clock ?? null;
    this.configuredTtlSeconds = options.ttlSeconds;
  }

  /**
   * This cache inside `process`: opened there by Airflow's `SecretCache.init()` on first use (once,
   * however many lookups ask at the same time), again after the process was replaced.
   */
  handleIn(process: CommandProcess): Promise<string> {
    const { opened } = this;
    if (opened && opened.process === process && opened.generation === process.generation) return opened.handle;
    const handle = this.open(process);
    this.opened = { process, generation: process.generation, handle };
    handle.catch(() => {
      if (this.opened?.handle === handle) this.opened = null;
    });
    return handle;
  }

  private async open(process: CommandProcess): Promise<string> {
    const answer = await process.request('secret_cache_open', { use_cache: this.enabled, cache_ttl_seconds: this.configuredTtlSeconds ?? null });
    if (answer.error) throw errorFromAnswer(answer.error, { op: 'secret_cache_open', subject: 'SecretCache.init()', where: process.label });
    const handle = (answer.value as { cache?: unknown } | null)?.cache;
    if (typeof handle !== 'string') throw badAnswer(process, 'secret_cache_open', '{"cache": "c1", ...}');
    return handle;
  }

  // The entries are Airflow's, in the bridge: nothing here may answer from a local copy.
  override getVariable(_key: string): CachedVariable {
    throw localUse('getVariable');
  }

  override saveVariable(): void {
    throw localUse('saveVariable');
  }

  override getConnectionUri(): string | null {
    throw localUse('getConnectionUri');
  }

  override saveConnectionUri(): void {
    throw localUse('saveConnectionUri');
  }

  override invalidateVariable(): void {
    throw localUse('invalidateVariable');
  }
}

function localUse(method: string): ConfigurationError {
  return new ConfigurationError(`AirflowSecretCache.${method}: the entries of Airflow's SecretCache live in the bridge`, {
    where: 'targets/airflow-search-path.ts',
    hint: 'pass the cache to an AirflowSearchPath, which asks Airflow for it',
  });
}

function badAnswer(process: CommandProcess, op: string, expected: string): ConfigurationError {
  return new ConfigurationError(`the Airflow bridge answered "${op}" with something other than ${expected}`, {
    where: process.label,
    hint: 'see bridge/PROTOCOL.md, "Search path ops"',
  });
}

export interface AirflowSearchPathOptions extends SearchPathOptions {
  /** The bridge to run in when no backend of the chain is one of its (a chain of stand-ins only). */
  readonly bridge: () => CommandProcess;
}

interface LookupAnswer {
  value: unknown;
  served_by: number | 'cache' | null;
  failures: Array<{ index: number; error: ProtocolErrorBody }>;
  calls: Record<string, BridgeCallCounts>;
  connection_class?: ParserFlavour;
}

/** One op's chain: the specs sent, the doubles whose counts come back by ref, the handles to open. */
interface TranslatedChain {
  readonly specs: BridgeBackendSpec[];
  readonly doubles: Map<string, BridgeDouble>;
  readonly handles: Array<{ spec: { kind: 'handle'; handle: string }; backend: CommandBackend }>;
}

export class AirflowSearchPath extends SearchPath {
  private readonly airflowCache: AirflowSecretCache | undefined;
  private readonly bridge: () => CommandProcess;
  private checked: CommandProcess | null = null;

  constructor(backends: readonly SecretsBackend[], options: AirflowSearchPathOptions) {
    // The reference's own cache is never consulted: every lookup is Airflow's, in the bridge.
    super(backends, { mode: options.mode ?? 'core' });
    const { cache } = options;
    if (cache !== undefined && !(cache instanceof AirflowSecretCache)) {
      throw new ConfigurationError("Airflow's search path was given a cache of the reference implementation", {
        what: 'AirflowSearchPath',
        where: 'targets/airflow-search-path.ts',
        hint: "make the cache with the target's components (ctx.cache()), which give an AirflowSecretCache",
      });
    }
    this.airflowCache = cache;
    this.bridge = options.bridge;
  }

  override async resolveConnection(connId: string): Promise<LookupOutcome<Connection>> {
    const subject = `connection "${connId}"`;
    const { answer, process } = await this.lookup('search_path_get_connection', { conn_id: connId }, subject, 'get_connection');
    if (answer.value === null) return this.outcome<Connection>(answer, null, 'get_connection', subject);
    if (typeof answer.value !== 'object' || Array.isArray(answer.value)) throw badAnswer(process, 'search_path_get_connection', 'connection fields');
    const { conn_id: _ignored, ...fields } = answer.value as Record<string, unknown>;
    // Rebuilt from the fields of the object Airflow returned, with the flavour of its class.
    const connection = Connection.fromFields(fields, { connId, parser: answer.connection_class ?? this.mode });
    return this.outcome(answer, connection, 'get_connection', subject);
  }

  override async resolveVariable(key: string): Promise<LookupOutcome<string>> {
    const subject = `variable "${key}"`;
    const { answer, process } = await this.lookup('search_path_get_variable', { key }, subject, 'get_variable');
    if (answer.value !== null && typeof answer.value !== 'string') throw badAnswer(process, 'search_path_get_variable', 'a string or null');
    return this.outcome(answer, answer.value, 'get_variable', subject);
  }

  /** Airflow asks only the `[secrets] backend` (the head of its list) and wraps a failure in AirflowConfigException. */
  override async getConfig(key: string): Promise<string | null> {
    const { process, chain } = await this.prepare();
    const answer = await process.request('search_path_get_config', { key, backends: chain.specs });
    if (answer.error)
      throw errorFromAnswer(answer.error, { op: 'get_config', subject: `config "${key}"`, where: `Airflow's config lookup in ${process.label}` });
    const { value, calls } = (answer.value ?? {}) as { value?: unknown; calls?: Record<string, BridgeCallCounts> };
    count(chain, calls ?? {});
    if (value !== undefined && value !== null && typeof value !== 'string') throw badAnswer(process, 'search_path_get_config', 'a string or null');
    return value ?? null;
  }

  /**
   * Airflow's `Variable.set`: the write goes to the metastore (here ours; Airflow's is a database row),
   * and Airflow checks the chain for a backend that shadows the key and invalidates it in its cache.
   */
  override async setVariable(key: string, value: string): Promise<void> {
    await this.writableStore('set').setVariable(key, value);
    await this.variableWritten('set', key);
  }

  override async deleteVariable(key: string): Promise<void> {
    await this.writableStore('delete').deleteVariable(key);
    await this.variableWritten('delete', key);
  }

  private async variableWritten(action: 'set' | 'delete', key: string): Promise<void> {
    const { process, chain } = await this.prepare();
    const answer = await process.request('search_path_variable_written', {
      action,
      key,
      ...(await this.airflowState(process)),
      backends: chain.specs,
    });
    if (answer.error) {
      throw errorFromAnswer(answer.error, {
        op: 'get_variable',
        subject: `Variable.${action}("${key}")`,
        where: `Airflow's Variable.${action} in ${process.label}`,
      });
    }
    count(chain, (answer.value as { calls?: Record<string, BridgeCallCounts> } | null)?.calls ?? {});
  }

  private writableStore(action: 'set' | 'delete'): VariableStore {
    const store = [...this.backends].reverse().find((backend) => canStoreVariables(backend));
    if (store && canStoreVariables(store)) return store;
    throw new ConfigurationError(`no backend in the search path can ${action} variables`, {
      what: `Variable.${action}`,
      where: this.backends.map((backend) => backend.kind).join(' -> ') || 'an empty search path',
      hint: 'end the search path with an InMemoryMetastoreBackend, as Airflow ends its list with the metastore',
    });
  }

  private async lookup(
    op: string,
    fields: Record<string, unknown>,
    subject: string,
    errorOp: string,
  ): Promise<{ answer: LookupAnswer; process: CommandProcess }> {
    const { process, chain } = await this.prepare();
    const reply = await process.request(op, { ...fields, ...(await this.airflowState(process)), backends: chain.specs });
    if (reply.error) throw errorFromAnswer(reply.error, { op: errorOp, subject, where: `Airflow's search path in ${process.label}` });
    const answer = reply.value as LookupAnswer | null;
    if (!answer || typeof answer !== 'object' || !Array.isArray(answer.failures)) throw badAnswer(process, op, 'a lookup outcome');
    count(chain, answer.calls ?? {});
    return { answer, process };
  }

  /** The mode, and the cache with its clock's reading: the request carries the time, so the TTL edge is the case's. */
  private async airflowState(process: CommandProcess): Promise<Record<string, unknown>> {
    const state: Record<string, unknown> = { mode: this.mode };
    if (this.airflowCache) {
      state.cache = await this.airflowCache.handleIn(process);
      if (this.airflowCache.clockSource) state.clock_ms = this.airflowCache.clockSource.now();
    }
    return state;
  }

  private outcome<T>(answer: LookupAnswer, value: T | null, op: string, subject: string): LookupOutcome<T> {
    const failures: BackendFailure[] = answer.failures.map(({ index, error }) => {
      const kind = this.backends[index]?.kind ?? `backend ${index}`;
      return { backend: kind, error: errorFromAnswer(error, { op, subject, where: `${kind} under Airflow's search path` }) };
    });
    const served = answer.served_by;
    const servedBy = served === null || served === 'cache' ? served : (this.backends[served]?.kind ?? null);
    return { value, servedBy, failures };
  }

  /** The chain translated, its bridge (checked once per process), and its backends' handles opened there. */
  private async prepare(): Promise<{ process: CommandProcess; chain: TranslatedChain }> {
    const chain = translate(this.backends);
    const processes = new Set(chain.handles.map(({ backend }) => backend.process));
    if (processes.size > 1) {
      throw new ConfigurationError("backends of different commands cannot share one of Airflow's search paths", {
        what: 'AirflowSearchPath',
        where: [...processes].map((process) => process.label).join(' and '),
        hint: "build the chain from backends of one bridge (the target session's) and stand-ins",
      });
    }
    const process = [...processes][0] ?? this.bridge();
    if (this.checked !== process) {
      await checkBridge(process);
      this.checked = process;
    }
    await process.syncEnvironment();
    for (const { spec, backend } of chain.handles) spec.handle = await backend.handleForOps();
    return { process, chain };
  }
}

async function checkBridge(process: CommandProcess): Promise<void> {
  const hello = await process.hello();
  const missing = SEARCH_PATH_OPS.filter((op) => !(hello.ops ?? []).includes(op));
  if (missing.length > 0) {
    throw new ConfigurationError(`the command does not run Airflow's search path (it lacks ${missing.join(', ')})`, {
      where: process.label,
      hint: "Airflow's own search path needs bridge/airflow_bridge.py; other commands run with the reference search path",
    });
  }
  const version = hello.versions?.airflow;
  if (version !== AIRFLOW_SEARCH_PATH_VERSION) {
    throw new ConfigurationError(
      `the bridge runs Airflow ${version ?? '(unknown)'}, but its search path is reported as Airflow ${AIRFLOW_SEARCH_PATH_VERSION}`,
      {
        where: process.label,
        hint: 'run `bash install/airflow.sh` for the pinned venv, or move AIRFLOW_SEARCH_PATH_VERSION with the pin',
      },
    );
  }
}

function count(chain: TranslatedChain, calls: Record<string, BridgeCallCounts>): void {
  for (const [ref, counted] of Object.entries(calls)) chain.doubles.get(ref)?.addBridgeCalls(counted);
}

/** The chain as the bridge builds it, with each stand-in's current contents; handles are filled in once opened. */
function translate(backends: readonly SecretsBackend[]): TranslatedChain {
  const doubles = new Map<string, BridgeDouble>();
  const handles: Array<{ spec: { kind: 'handle'; handle: string }; backend: CommandBackend }> = [];
  const spec = (backend: SecretsBackend): BridgeBackendSpec => {
    if (backend instanceof CommandBackend) {
      const entry = { kind: 'handle' as const, handle: '' };
      handles.push({ spec: entry, backend });
      return entry;
    }
    if (backend instanceof InMemoryMetastoreBackend) return metastoreSpec(backend);
    if (backend instanceof EnvironmentVariablesBackend) return environmentSpec(backend);
    if (isBridgeDouble(backend)) {
      const ref = `d${doubles.size + 1}`;
      doubles.set(ref, backend);
      return { ...backend.bridgeSpec(spec), ref };
    }
    throw new ConfigurationError(`${backend.kind} cannot run inside Airflow's search path: it has no stand-in in the bridge`, {
      what: backend.kind,
      where: 'targets/airflow-search-path.ts',
      hint: 'build the chain from backends of the target session, InMemoryMetastoreBackend, EnvironmentVariablesBackend, FailingBackend and CountingBackend',
    });
  };
  return { specs: backends.map(spec), doubles, handles };
}

function metastoreSpec(metastore: InMemoryMetastoreBackend): BridgeBackendSpec {
  const { connections, variables } = metastore.rows();
  const rows: Record<string, BridgeConnectionRow> = {};
  for (const [connId, connection] of connections) {
    rows[connId] = {
      conn_type: connection.connType,
      host: connection.host,
      login: connection.login,
      password: connection.password,
      schema: connection.schema,
      port: typeof connection.port === 'bigint' ? connection.port.toString() : connection.port,
      extra: connection.extra,
      description: connection.description,
    };
  }
  return { kind: 'metastore', connections: rows, variables: Object.fromEntries(variables) };
}

const ENVIRONMENT_PREFIXES = ['AIRFLOW_CONN_', 'AIRFLOW_VAR_'];

/** Airflow's EnvironmentVariablesBackend reads the process environment: these entries are set there for the call. */
function environmentSpec(backend: EnvironmentVariablesBackend): BridgeBackendSpec {
  const entries: Record<string, string> = {};
  for (const [name, value] of Object.entries(backend.env)) {
    if (typeof value === 'string' && ENVIRONMENT_PREFIXES.some((prefix) => name.startsWith(prefix))) entries[name] = value;
  }
  return { kind: 'environment', entries };
}
