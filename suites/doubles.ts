/**
 * Backends the lookup-order and caching suites put next to the target in a search path: one that
 * always fails, and a wrapper that counts the calls reaching the backend behind it.
 */
import type { BridgeBackendSpec, BridgeCallCounts, BridgeDouble, BridgeDoubleSpec } from './bridge-specs';
import type { SecretsBackend } from '../model/contract';
import type { Connection } from '../model/connection/connection';
import { UnavailableError } from '../model/errors';

/** Fails every lookup the way an unreachable server does. */
export class FailingBackend implements SecretsBackend, BridgeDouble {
  readonly kind = 'FailingBackend';
  calls = 0;

  /** Under Airflow's own search path its stand-in fails in the bridge, and its calls are added here. */
  bridgeSpec(): BridgeDoubleSpec {
    return { kind: 'failing' };
  }

  addBridgeCalls(calls: BridgeCallCounts): void {
    this.calls += calls.connections + calls.variables + calls.config;
  }

  private fail(what: string): never {
    this.calls += 1;
    throw new UnavailableError(`cannot look up ${what}: the test double always fails`, {
      where: 'FailingBackend',
      hint: 'this failure is deliberate; the search path must skip it',
    });
  }

  async getConnValue(connId: string): Promise<string | null> {
    return this.fail(`connection "${connId}"`);
  }

  async getConnection(connId: string): Promise<Connection | null> {
    return this.fail(`connection "${connId}"`);
  }

  async getVariable(key: string): Promise<string | null> {
    return this.fail(`variable "${key}"`);
  }

  async getConfig(key: string): Promise<string | null> {
    return this.fail(`config "${key}"`);
  }
}

export interface CallCounts {
  connections: number;
  variables: number;
  config: number;
}

/** Passes every call to `inner` and counts them, so a case can assert what reached a backend. */
export class CountingBackend implements SecretsBackend, BridgeDouble {
  readonly kind: string;
  readonly counts: CallCounts = { connections: 0, variables: 0, config: 0 };

  constructor(private readonly inner: SecretsBackend) {
    this.kind = inner.kind;
  }

  /** Under Airflow's own search path its stand-in counts in the bridge, around `inner`'s. */
  bridgeSpec(inner: (backend: SecretsBackend) => BridgeBackendSpec): BridgeDoubleSpec {
    return { kind: 'counting', inner: inner(this.inner) };
  }

  addBridgeCalls(calls: BridgeCallCounts): void {
    this.counts.connections += calls.connections;
    this.counts.variables += calls.variables;
    this.counts.config += calls.config;
  }

  get total(): number {
    return this.counts.connections + this.counts.variables + this.counts.config;
  }

  async getConnValue(connId: string): Promise<string | null> {
    this.counts.connections += 1;
    return this.inner.getConnValue(connId);
  }

  async getConnection(connId: string): Promise<Connection | null> {
    this.counts.connections += 1;
    return this.inner.getConnection(connId);
  }

  async getVariable(key: string): Promise<string | null> {
    this.counts.variables += 1;
    return this.inner.getVariable(key);
  }

  async getConfig(key: string): Promise<string | null> {
    this.counts.config += 1;
    return this.inner.getConfig(key);
  }
}
