/**
 * A command line's process, shared by every backend opened through it: one per distinct command in
 * this process, started on the first request, answering `hello` before anything else, restarted
 * after a death a bounded number of times, with this process's mirrored environment entries synced
 * in before a lookup. Each run of it is a CommandInstance (command-instance.ts).
 */
import { ConfigurationError, UnavailableError } from '../model/errors';
import { errorFromAnswer } from './command-errors';
import { CommandInstance, describeCommand, type Answer, type CommandLine, type SpawnOptions } from './command-instance';

export const PROTOCOL_VERSION = 1;

export interface CommandProcessOptions extends SpawnOptions {
  /** Bound on start-up: the `hello` answer must arrive within it. */
  readonly startupTimeoutMs?: number;
  /** Keep the process after its last backend closes (until `stopCommandProcesses` or exit). */
  readonly keepWarm?: boolean;
  /**
   * How long a request may wait for its answer unless the request sets its own bound: 20 s when not
   * given. A load bench gives its herd's bound (bench/run-load.ts).
   */
  readonly requestTimeoutMs?: number;
}

export interface StoreDeclaration {
  readonly layout: string;
  readonly format?: string;
  readonly kwargs?: Record<string, unknown>;
}

export interface HelloAnswer {
  readonly protocol: number;
  readonly implementation: string;
  readonly versions?: Record<string, string>;
  readonly backend?: string | null;
  readonly store?: StoreDeclaration | null;
  readonly ops?: readonly string[];
}

const DEFAULT_STARTUP_TIMEOUT_MS = 90_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;
/** A command that keeps dying before it answers `hello` is not restarted forever. */
const MAX_FAILED_STARTS = 5;

/**
 * A command line's process, shared by the backends opened through it. It starts (or restarts,
 * after a death) on demand and answers `hello` before anything else is sent.
 */
export class CommandProcess {
  private instance: CommandInstance | null = null;
  private helloAnswer: Promise<HelloAnswer> | null = null;
  private starts = 0;
  /** Starts since the last one that answered `hello`. */
  private failedStarts = 0;
  private users = 0;
  /** What the mirrored environment entries are inside the current instance. */
  private mirrored = new Map<string, string>();

  constructor(
    readonly command: CommandLine,
    readonly options: CommandProcessOptions = {},
  ) {}

  get label(): string {
    return describeCommand(this.command);
  }

  /** Which running instance answers; a backend re-opens its handle when this changes. */
  get generation(): number {
    return this.instance?.generation ?? 0;
  }

  /** Starts the command if needed and returns its `hello`. */
  async hello(): Promise<HelloAnswer> {
    if (!this.instance?.alive || !this.helloAnswer) this.start();
    return this.helloAnswer!;
  }

  /** Sends one request to a started command; the answer's error, if any, is left to the caller. */
  async request(
    op: string,
    fields: Record<string, unknown>,
    timeoutMs = this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  ): Promise<Answer> {
    await this.hello();
    return this.instance!.request(op, fields, timeoutMs);
  }

  /**
   * Sends one request to the instance of `generation` if it still runs, else nothing (`null`): a
   * handle lives and dies with its instance, and a replacement never knew it.
   */
  async requestIfRunning(generation: number, op: string, fields: Record<string, unknown>): Promise<Answer | null> {
    const instance = this.instance;
    if (!instance?.alive || instance.generation !== generation) return null;
    return instance.request(op, fields, this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  }

  /** Sends `env` with whatever changed in this process's mirrored entries since the last call. */
  async syncEnvironment(): Promise<void> {
    const prefixes = this.options.mirrorPrefixes ?? [];
    if (prefixes.length === 0) return;
    await this.hello();
    const current = new Map<string, string>();
    for (const [name, value] of Object.entries(process.env)) {
      if (value !== undefined && prefixes.some((prefix) => name.startsWith(prefix))) current.set(name, value);
    }
    const set: Record<string, string> = {};
    for (const [name, value] of current) if (this.mirrored.get(name) !== value) set[name] = value;
    const unset = [...this.mirrored.keys()].filter((name) => !current.has(name));
    if (Object.keys(set).length === 0 && unset.length === 0) return;
    const answer = await this.request('env', { set, unset });
    if (answer.error) throw errorFromAnswer(answer.error, { op: 'env', subject: 'environment entries', where: this.label });
    this.mirrored = current;
  }

  acquire(): void {
    this.users += 1;
  }

  async release(): Promise<void> {
    this.users = Math.max(0, this.users - 1);
    if (this.users === 0 && !this.options.keepWarm) await this.stop();
  }

  async stop(): Promise<void> {
    const instance = this.instance;
    this.instance = null;
    this.helloAnswer = null;
    await instance?.stop();
  }

  private start(): void {
    if (this.failedStarts >= MAX_FAILED_STARTS) {
      const reason = this.instance?.reason ?? 'did not start';
      this.helloAnswer = Promise.reject(
        new UnavailableError(`the backend command failed ${MAX_FAILED_STARTS} starts in a row (last: ${reason}); not starting it again`, {
          where: this.label,
          hint: 'fix the command (its log has the details), then run again',
        }),
      );
      this.helloAnswer.catch(() => {});
      return;
    }
    this.starts += 1;
    this.failedStarts += 1;
    const instance = new CommandInstance(this.starts, this.command, this.options);
    this.instance = instance;
    this.mirrored = new Map();
    const startupTimeout = this.options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS;
    this.helloAnswer = instance.request('hello', {}, startupTimeout).then((answer) => {
      if (answer.error) throw errorFromAnswer(answer.error, { op: 'hello', subject: 'hello', where: this.label });
      const hello = checkHello(answer.value, this.label);
      this.failedStarts = 0;
      return hello;
    });
    this.helloAnswer.catch(() => {});
  }
}

function checkHello(value: unknown, where: string): HelloAnswer {
  const hello = value as Partial<HelloAnswer> | null;
  if (!hello || typeof hello !== 'object' || hello.protocol !== PROTOCOL_VERSION || typeof hello.implementation !== 'string') {
    throw new ConfigurationError(`the backend command answered hello without protocol ${PROTOCOL_VERSION} and an implementation name`, {
      where,
      hint: 'answer {"protocol": 1, "implementation": "<name>", ...}; see bridge/PROTOCOL.md',
    });
  }
  return hello as HelloAnswer;
}

const processes = new Map<string, CommandProcess>();

/** The shared process for a command line: one per distinct command, folder, mirrored entries and request bound in this process. */
export function commandProcess(command: CommandLine, options: CommandProcessOptions = {}): CommandProcess {
  const key = JSON.stringify({
    command,
    cwd: options.cwd ?? null,
    mirror: options.mirrorPrefixes ?? [],
    requestTimeoutMs: options.requestTimeoutMs ?? null,
  });
  let found = processes.get(key);
  if (!found) {
    found = new CommandProcess(command, options);
    processes.set(key, found);
  }
  return found;
}

/** Stops every command this process started (tests, and a runner that wants a clean end). */
export async function stopCommandProcesses(): Promise<void> {
  const all = [...processes.values()];
  processes.clear();
  await Promise.all(all.map((known) => known.stop()));
}
