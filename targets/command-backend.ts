/**
 * A secrets backend served by another process that speaks the JSON-lines protocol of
 * `bridge/PROTOCOL.md`: the Airflow bridge (real Airflow classes) or a user's own command in any
 * language. Each backend is a handle in its command's shared process (command-process.ts), opened
 * again after the process was replaced. Answers become values, `Connection` objects built from the
 * fields Airflow's object holds, or the error classes of model/errors.ts (command-errors.ts).
 */
import { checkConnectionFields } from '../model/connection/connection-fields';
import { Connection, type ParserFlavour } from '../model/connection/connection';
import type { SecretsBackend } from '../model/contract';
import { ConfigurationError } from '../model/errors';
import { errorFromAnswer } from './command-errors';
import type { RoundTrip } from './command-instance';
import type { CommandProcess } from './command-process';

export interface CommandBackendOptions {
  readonly command: CommandProcess;
  /** The class `open` builds; omitted when the command serves one backend (its `hello` names it). */
  readonly backend?: string;
  readonly kwargs?: Record<string, unknown>;
  /** Which Connection class the command deserialises with, and which flavour ours emulates. */
  readonly parser?: ParserFlavour;
  /** What reports call this backend; the backend class by default. */
  readonly kind?: string;
  /** The bound on this backend's lookups; its process's own when not given. */
  readonly requestTimeoutMs?: number;
  /** Told of every round trip, for the reports' bridge overhead figures. */
  readonly onRoundTrip?: (roundTrip: RoundTrip) => void;
}

export interface RoundTripStats {
  requests: number;
  totalMs: number;
  /** Of `totalMs`, what the command reported spending in the backend. */
  backendMs: number;
}

export class CommandBackend implements SecretsBackend {
  readonly kind: string;
  readonly stats: RoundTripStats = { requests: 0, totalMs: 0, backendMs: 0 };
  lastRoundTrip: RoundTrip | null = null;
  private readonly parser: ParserFlavour;
  private handle: { generation: number; handle: string } | null = null;
  private closed = false;

  constructor(private readonly options: CommandBackendOptions) {
    this.kind = options.kind ?? options.backend ?? 'command backend';
    this.parser = options.parser ?? 'sdk';
    options.command.acquire();
  }

  async getConnValue(connId: string): Promise<string | null> {
    return this.lookupText('get_conn_value', { conn_id: connId }, `connection "${connId}"`);
  }

  async getConnection(connId: string): Promise<Connection | null> {
    const value = await this.lookup('get_connection', { conn_id: connId }, `connection "${connId}"`);
    if (value === null) return null;
    if (typeof value !== 'object' || Array.isArray(value)) throw this.badAnswer('get_connection', `connection "${connId}"`, 'an object of fields');
    const { conn_id: _ignored, ...fields } = value as Record<string, unknown>;
    checkConnectionFields(fields, `connection "${connId}" from ${this.kind}`);
    return Connection.fromFields(fields, { connId, parser: this.parser });
  }

  async getVariable(key: string): Promise<string | null> {
    return this.lookupText('get_variable', { key }, `variable "${key}"`);
  }

  async getConfig(key: string): Promise<string | null> {
    return this.lookupText('get_config', { key }, `config "${key}"`);
  }

  /** The process serving this backend, shared by every backend opened through the same command. */
  get process(): CommandProcess {
    return this.options.command;
  }

  /**
   * This backend's handle in the running process, opened if needed, with the environment synced:
   * for ops that name backends by handle (a search path run inside the command).
   */
  async handleForOps(): Promise<string> {
    if (this.closed) {
      throw new ConfigurationError(`${this.kind}: the backend was closed`, { where: this.options.command.label, hint: 'open a new backend' });
    }
    await this.options.command.syncEnvironment();
    return this.openHandle();
  }

  /**
   * Closes the handle (the command runs the backend's own close, which may release what it holds) and
   * lets the process go. A close the command answers with an error is thrown, after the release.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const { command } = this.options;
    let failure: Error | null = null;
    if (this.handle) {
      try {
        // Only the instance that opened the handle knows it; one that died or hung took it along.
        const answer = await command.requestIfRunning(this.handle.generation, 'close', { handle: this.handle.handle });
        if (answer?.error) failure = errorFromAnswer(answer.error, { op: 'close', subject: `closing ${this.kind}`, where: command.label });
      } catch {
        // The command is gone already: nothing left to release.
      }
    }
    this.handle = null;
    await command.release();
    if (failure) throw failure;
  }

  private async lookupText(op: string, fields: Record<string, unknown>, subject: string): Promise<string | null> {
    const value = await this.lookup(op, fields, subject);
    if (value !== null && typeof value !== 'string') throw this.badAnswer(op, subject, 'a string or null');
    return value;
  }

  private async lookup(op: string, fields: Record<string, unknown>, subject: string): Promise<unknown> {
    if (this.closed) {
      throw new ConfigurationError(`${subject}: the backend was closed`, { where: this.options.command.label, hint: 'open a new backend' });
    }
    const { command } = this.options;
    await command.syncEnvironment();
    const handle = await this.openHandle();
    const answer = await command.request(op, { ...fields, handle }, this.options.requestTimeoutMs);
    this.count(answer.roundTrip);
    if (answer.error) throw errorFromAnswer(answer.error, { op, subject, where: `${this.kind} via ${command.label}` });
    return answer.value;
  }

  /** The handle in the running instance; opened again after the command was replaced. */
  private async openHandle(): Promise<string> {
    const { command } = this.options;
    await command.hello();
    if (this.handle && this.handle.generation === command.generation) return this.handle.handle;
    const fields: Record<string, unknown> = { kwargs: this.options.kwargs ?? {}, connection_class: this.parser };
    if (this.options.backend) fields.backend = this.options.backend;
    const answer = await command.request('open', fields, this.options.requestTimeoutMs);
    this.count(answer.roundTrip);
    if (answer.error) {
      throw errorFromAnswer(answer.error, { op: 'open', subject: `opening ${this.kind}`, where: command.label });
    }
    const handle = (answer.value as { handle?: unknown } | null)?.handle;
    if (typeof handle !== 'string') throw this.badAnswer('open', `opening ${this.kind}`, '{"handle": "..."}');
    this.handle = { generation: command.generation, handle };
    return handle;
  }

  private count(roundTrip: RoundTrip): void {
    this.lastRoundTrip = roundTrip;
    this.stats.requests += 1;
    this.stats.totalMs += roundTrip.ms;
    this.stats.backendMs += roundTrip.backendMs ?? 0;
    this.options.onRoundTrip?.(roundTrip);
  }

  private badAnswer(op: string, subject: string, expected: string): ConfigurationError {
    return new ConfigurationError(`${subject}: the backend command answered "${op}" with something other than ${expected}`, {
      where: this.options.command.label,
      hint: 'see bridge/PROTOCOL.md for the shape of each answer',
    });
  }
}
