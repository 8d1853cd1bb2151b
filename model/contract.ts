/**
 * The secrets backend contract, mirroring Airflow's `BaseSecretsBackend` (spec §1).
 *
 * Every method is async and answers `null` for "not here, ask the next backend". Errors are the
 * classes of `./errors`. A backend is constructed from Airflow-style kwargs (`backend_kwargs`).
 */
import { deserializeConnection, type Connection, type ParserFlavour } from './connection/connection';

export interface SecretsBackend {
  /** The class name reports show, e.g. `VaultBackend` or `airflow.providers...VaultBackend`. */
  readonly kind: string;

  /** The raw stored connection value (URI or JSON text). An empty string counts as not found. */
  getConnValue(connId: string): Promise<string | null>;

  /** The connection, deserialized from `getConnValue` unless the backend knows better. */
  getConnection(connId: string): Promise<Connection | null>;

  /** A variable. Unlike connections, `""` is a found value (spec §1.2). */
  getVariable(key: string): Promise<string | null>;

  /** A config value; only ever asked of the one custom backend (spec §3.3). */
  getConfig(key: string): Promise<string | null>;

  /** Releases sockets, child processes, timers. Optional; called once when a target closes. */
  close?(): Promise<void>;

  /**
   * HTTP requests sent upstream so far, every retry and authentication included; only backends
   * that talk to a server count them. The request-budget suite proves a counter against a proxy.
   */
  readonly requestsSent?: number;
}

/** What a user's module exports (`--backend=./my-backend.ts`): kwargs in, backend out. */
export type BackendFactory = (kwargs: Record<string, unknown>) => SecretsBackend | Promise<SecretsBackend>;

export interface BaseBackendOptions {
  /** Which of Airflow's two connection parsers to emulate; the task SDK's by default (spec §6.1). */
  parser?: ParserFlavour;
}

/** Default method bodies of Airflow's base class; subclasses implement the lookups they support. */
export abstract class BaseSecretsBackend implements SecretsBackend {
  abstract readonly kind: string;
  protected readonly parser: ParserFlavour;

  constructor(options: BaseBackendOptions = {}) {
    this.parser = options.parser ?? 'sdk';
  }

  abstract getConnValue(connId: string): Promise<string | null>;

  async getConnection(connId: string): Promise<Connection | null> {
    const value = await this.getConnValue(connId);
    // Airflow tests truthiness here: "" is "not found" for connections, unlike variables.
    if (!value) return null;
    return deserializeConnection(connId, value, this.parser);
  }

  abstract getVariable(key: string): Promise<string | null>;

  async getConfig(_key: string): Promise<string | null> {
    return null;
  }
}

/** Airflow's `build_path`: `prefix + sep + id`, no stripping, no empty-prefix special case. */
export function buildPath(prefix: string, secretId: string, sep = '/'): string {
  return `${prefix}${sep}${secretId}`;
}
