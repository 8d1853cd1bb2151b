/**
 * A stand-in for Airflow's MetastoreBackend (`airflow/secrets/metastore.py`), the last backend of
 * the default chain: connections and variables held in memory, looked up by exact id the way the
 * metastore's `WHERE conn_id = :id LIMIT 1` does. It is also where `Variable.set` writes.
 */
import { deserializeConnection, type Connection } from './connection/connection';
import { BaseSecretsBackend } from './contract';
import { ConfigurationError } from './errors';

/** A backend that can be written to, as Airflow writes variables to the metastore only. */
export interface VariableStore {
  setVariable(key: string, value: string): Promise<void> | void;
  deleteVariable(key: string): Promise<void> | void;
}

export function canStoreVariables(backend: object): backend is VariableStore {
  const candidate = backend as Partial<VariableStore>;
  return typeof candidate.setVariable === 'function' && typeof candidate.deleteVariable === 'function';
}

export class InMemoryMetastoreBackend extends BaseSecretsBackend implements VariableStore {
  readonly kind = 'MetastoreBackend';
  private readonly connections = new Map<string, Connection>();
  private readonly variables = new Map<string, string>();

  constructor() {
    // Rows in the metastore are core ORM connections (made by the CLI, UI or REST API).
    super({ parser: 'core' });
  }

  /**
   * A connection as the CLI would add it: a `Connection`, or its URI / JSON text parsed by the core
   * parser (`connections add --conn-uri` / `--conn-json`).
   */
  setConnection(connId: string, connection: Connection | string): void {
    const stored = typeof connection === 'string' ? deserializeConnection(connId, connection, this.parser) : connection;
    this.connections.set(connId, stored);
  }

  deleteConnection(connId: string): void {
    this.connections.delete(connId);
  }

  setVariable(key: string, value: string): void {
    this.variables.set(key, value);
  }

  deleteVariable(key: string): void {
    this.variables.delete(key);
  }

  /** What the metastore holds, for a stand-in of it elsewhere (the Airflow bridge's, under Airflow's own search path). */
  rows(): { readonly connections: ReadonlyMap<string, Connection>; readonly variables: ReadonlyMap<string, string> } {
    return { connections: this.connections, variables: this.variables };
  }

  /** Airflow's MetastoreBackend overrides `get_connection` only; its `get_conn_value` raises. */
  async getConnValue(connId: string): Promise<string | null> {
    throw new ConfigurationError('MetastoreBackend serves connections as rows, not as stored text', {
      what: `connection "${connId}"`,
      where: 'MetastoreBackend.get_conn_value',
      hint: 'call getConnection instead',
    });
  }

  override async getConnection(connId: string): Promise<Connection | null> {
    return this.connections.get(connId) ?? null;
  }

  /** `""` is a stored value and is returned: only a missing row is "not found". */
  async getVariable(key: string): Promise<string | null> {
    return this.variables.get(key) ?? null;
  }
}
