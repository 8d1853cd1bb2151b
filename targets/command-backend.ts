/**
 * A secrets backend served by another process that speaks the JSON-lines protocol of
 * `bridge/PROTOCOL.md`: the Airflow bridge (real Airflow classes) or a user's own command in any
 * language.
 *
 * One process per command line, started on the first lookup and shared by every backend opened
 * through it (each `open` gets a handle). Requests go one at a time, each with a timeout; a process
 * that dies or hangs is replaced on the next request, a bounded number of times. Answers become
 * values, `Connection` objects built from the fields Airflow's object holds, or the error classes
 * of `./errors`.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { checkConnectionFields } from '../model/connection/connection-fields';
import { Connection, type ParserFlavour } from '../model/connection/connection';
import type { SecretsBackend } from '../model/contract';
import {
  ConfigurationError,
  ConnectionFormatError,
  FileParseError,
  ForbiddenError,
  InvalidNameError,
  MalformedSecretError,
  NotUniqueError,
  ThrottledError,
  TimeoutError,
  UnauthorizedError,
  UnavailableError,
  type ErrorDetails,
  type FileSyntaxError,
  type SecretsError,
} from '../model/errors';

export const PROTOCOL_VERSION = 1;

/** A shell command line (`--backend-command`), or a program and its arguments. */
export type CommandLine = { readonly shell: string } | { readonly file: string; readonly args: readonly string[] };

export interface CommandProcessOptions {
  readonly cwd?: string;
  /** Where the command's stderr (its log) is appended. */
  readonly logFile?: string;
  /**
   * Environment entries owned by the harness: they are left out of the spawned environment and
   * mirrored in with the `env` op before each lookup, so the command sees this process's entries.
   */
  readonly mirrorPrefixes?: readonly string[];
  /** Bound on start-up: the `hello` answer must arrive within it. */
  readonly startupTimeoutMs?: number;
  /** Keep the process after its last backend closes (until `stopCommandProcesses` or exit). */
  readonly keepWarm?: boolean;
  /** The environment the command starts with; this process's own when not given. */
  readonly env?: NodeJS.ProcessEnv;
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

export interface ProtocolErrorBody {
  readonly kind: string;
  readonly type?: string;
  readonly message?: string;
  readonly hint?: string;
  readonly where?: string;
  readonly detail?: string;
  readonly errors?: ReadonlyArray<{ line: number; message: string }>;
  /** `credential`: the backend's own message carried one of its credential kwargs, withheld by the command. */
  readonly withheld?: string;
}

export interface RoundTrip {
  readonly op: string;
  /** From writing the request to reading its answer. */
  readonly ms: number;
  /** The time the command says it spent in the backend, when it says. */
  readonly backendMs: number | null;
}

interface Answer {
  readonly value?: unknown;
  readonly error?: ProtocolErrorBody;
  readonly roundTrip: RoundTrip;
}

const DEFAULT_STARTUP_TIMEOUT_MS = 90_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;

/**
 * How long a request may wait for its answer: `ASC_COMMAND_TIMEOUT_MS` when set (a load bench sets it,
 * since a command answers one request at a time and a herd queues hundreds behind it), else 20 s.
 */
function defaultRequestTimeoutMs(): number {
  const configured = Number(process.env.ASC_COMMAND_TIMEOUT_MS);
  return Number.isInteger(configured) && configured > 0 ? configured : DEFAULT_REQUEST_TIMEOUT_MS;
}
/** A command that keeps dying before it answers `hello` is not restarted forever. */
const MAX_FAILED_STARTS = 5;
const STDERR_TAIL_BYTES = 2048;
const STOP_GRACE_MS = 2_000;
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

function describeCommand(command: CommandLine): string {
  return 'shell' in command ? command.shell : [command.file, ...command.args].join(' ');
}

/** Values a log line might echo (a URI's userinfo, Airflow's "Invalid connection string: <uri>"), masked. */
export function redactLogText(text: string): string {
  return text
    .replace(/(Invalid connection string)[^\n]*/g, '$1 (value withheld)')
    .replace(/\b([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s/?#@]*@/g, '$1***@')
    .replace(/("?(?:password|passwd|token|secret(?:_id)?|aws_secret_access_key)"?\s*[:=]\s*)("[^"]*"|'[^']*'|\S+)/gi, '$1***');
}

interface WireAnswer {
  id?: unknown;
  value?: unknown;
  error?: ProtocolErrorBody;
  backend_ms?: unknown;
}

interface PendingRequest {
  readonly line: string;
  readonly op: string;
  readonly timeoutMs: number;
  resolve(answer: Answer): void;
  reject(error: Error): void;
}

/** One running instance of a command. Replaced (new generation) when it dies or hangs. */
class CommandInstance {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<void>;
  private stdout = Buffer.alloc(0);
  private stderrTail = '';
  private inFlight: (PendingRequest & { id: number; startedAt: number; timer: NodeJS.Timeout }) | null = null;
  private readonly queue: PendingRequest[] = [];
  private nextId = 1;
  private deathReason: string | null = null;
  private readonly log: WriteStream | null;
  /** Settles when everything the command wrote to stderr is in the log file. */
  private readonly logWritten: Promise<void>;

  constructor(
    readonly generation: number,
    private readonly command: CommandLine,
    options: CommandProcessOptions,
  ) {
    const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) };
    for (const name of Object.keys(env)) {
      if (options.mirrorPrefixes?.some((prefix) => name.startsWith(prefix))) delete env[name];
    }
    const [file, args] = 'shell' in command ? ['/bin/sh', ['-c', command.shell]] : [command.file, [...command.args]];
    this.log = options.logFile ? openLog(options.logFile) : null;
    const log = this.log;
    this.logWritten = log ? new Promise((resolve) => log.once('close', () => resolve())) : Promise.resolve();
    // Its own process group, so a shell command line and everything it started stop together.
    this.child = spawn(file, args, { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    liveChildren.add(this.child);
    this.child.stdout.on('data', (chunk: Buffer) => this.onStdout(chunk));
    this.child.stderr.on('data', (chunk: Buffer) => this.onStderr(chunk));
    this.child.stdin.on('error', () => {
      // EPIPE when the command is gone; the exit handler reports it.
    });
    this.exited = new Promise((resolve) => {
      this.child.on('error', (error) => {
        this.die(`could not be started (${(error as NodeJS.ErrnoException).code ?? error.message})`);
        resolve();
      });
      this.child.on('close', (code, signal) => {
        this.die(this.deathReason ?? `exited with ${signal ? `signal ${signal}` : `code ${code}`}`);
        resolve();
      });
    });
  }

  get alive(): boolean {
    return this.deathReason === null;
  }

  get reason(): string {
    return this.deathReason ?? 'running';
  }

  request(op: string, fields: Record<string, unknown>, timeoutMs: number): Promise<Answer> {
    return new Promise((resolve, reject) => {
      if (!this.alive) {
        reject(this.deadError());
        return;
      }
      const line = JSON.stringify({ ...fields, op });
      this.queue.push({ line, op, timeoutMs, resolve, reject });
      this.pump();
    });
  }

  /**
   * Ends stdin (the protocol's "stop"), kills the group if it has not gone within the grace, and
   * returns once its log is complete.
   */
  async stop(): Promise<void> {
    if (this.alive) {
      this.deathReason = 'was stopped';
      this.child.stdin.end();
      const grace = setTimeout(() => killGroup(this.child, 'SIGKILL'), STOP_GRACE_MS);
      await this.exited;
      clearTimeout(grace);
    }
    this.failAll(this.deadError());
    await this.logWritten;
  }

  kill(reason: string): void {
    if (this.alive) this.deathReason = reason;
    killGroup(this.child, 'SIGKILL');
  }

  private pump(): void {
    if (this.inFlight || this.queue.length === 0 || !this.alive) return;
    const next = this.queue.shift()!;
    const id = this.nextId++;
    const line = `{"id":${id},${next.line.slice(1)}\n`;
    const timer = setTimeout(() => this.onTimeout(), next.timeoutMs);
    this.inFlight = { ...next, id, startedAt: performance.now(), timer };
    this.child.stdin.write(line);
  }

  private onTimeout(): void {
    const request = this.inFlight;
    if (!request) return;
    this.inFlight = null;
    // Answers come in order, so a request that never answers blocks every later one: replace it.
    this.kill(`did not answer "${request.op}" within ${request.timeoutMs} ms and was stopped`);
    request.reject(
      new TimeoutError(`the backend command did not answer "${request.op}" within ${request.timeoutMs} ms`, {
        where: describeCommand(this.command),
        hint: 'the command is restarted on the next request; check its log for what it was waiting on',
      }),
    );
  }

  private onStdout(chunk: Buffer): void {
    this.stdout = Buffer.concat([this.stdout, chunk]);
    if (this.stdout.length > MAX_ANSWER_BYTES) {
      this.kill(`wrote more than ${MAX_ANSWER_BYTES} bytes without a line break on stdout`);
      return;
    }
    for (let newline = this.stdout.indexOf(0x0a); newline >= 0; newline = this.stdout.indexOf(0x0a)) {
      const line = this.stdout.subarray(0, newline).toString('utf8');
      this.stdout = this.stdout.subarray(newline + 1);
      if (line.trim() !== '') this.onAnswerLine(line);
    }
  }

  private onAnswerLine(line: string): void {
    const request = this.inFlight;
    let answer: WireAnswer | null = null;
    try {
      const parsed: unknown = JSON.parse(line);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) answer = parsed as WireAnswer;
    } catch {
      answer = null;
    }
    if (!request || !answer || answer.id !== request.id || !('value' in answer || 'error' in answer)) {
      // stdout is for answers only: anything else means the stream can no longer be trusted.
      const what = !request ? 'an answer nobody asked for' : !answer ? 'a line that is not a JSON object' : 'an answer out of order';
      this.kill(`broke the protocol: ${what} on stdout (logs belong on stderr)`);
      return;
    }
    clearTimeout(request.timer);
    this.inFlight = null;
    const backendMs = typeof answer.backend_ms === 'number' ? answer.backend_ms : null;
    const roundTrip: RoundTrip = { op: request.op, ms: performance.now() - request.startedAt, backendMs };
    request.resolve(answer.error ? { error: answer.error, roundTrip } : { value: answer.value ?? null, roundTrip });
    this.pump();
  }

  private onStderr(chunk: Buffer): void {
    this.log?.write(chunk);
    this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
  }

  private die(reason: string): void {
    this.deathReason ??= reason;
    liveChildren.delete(this.child);
    this.log?.end();
    this.failAll(this.deadError());
  }

  private failAll(error: Error): void {
    const waiting = [...(this.inFlight ? [this.inFlight] : []), ...this.queue.splice(0)];
    if (this.inFlight) clearTimeout(this.inFlight.timer);
    this.inFlight = null;
    for (const request of waiting) request.reject(error);
  }

  private deadError(): UnavailableError {
    const tail = redactLogText(this.stderrTail).trim().split('\n').slice(-6).join(' | ');
    return new UnavailableError(`the backend command ${this.deathReason ?? 'is not running'}${tail ? `; stderr ends: ${tail}` : ''}`, {
      where: describeCommand(this.command),
      hint: 'run the command by hand and send it {"id":1,"op":"hello"} on stdin; its whole stderr is in the bridge log',
    });
  }
}

function openLog(path: string): WriteStream | null {
  try {
    mkdirSync(dirname(path), { recursive: true });
    const stream = createWriteStream(path, { flags: 'a' });
    stream.on('error', () => {
      // A log that cannot be written must not take the backend down with it.
    });
    return stream;
  } catch {
    return null;
  }
}

const liveChildren = new Set<ChildProcessWithoutNullStreams>();

function killGroup(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

// A vitest worker or CLI that exits (normally or by signal handling) takes its commands along; a
// command whose parent was killed outright sees end-of-file on stdin and stops by itself.
process.once('exit', () => {
  for (const child of liveChildren) killGroup(child, 'SIGKILL');
});

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
  async request(op: string, fields: Record<string, unknown>, timeoutMs = defaultRequestTimeoutMs()): Promise<Answer> {
    await this.hello();
    return this.instance!.request(op, fields, timeoutMs);
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

/** The shared process for a command line (and options): one per distinct command in this process. */
export function commandProcess(command: CommandLine, options: CommandProcessOptions = {}): CommandProcess {
  const key = JSON.stringify({ command, cwd: options.cwd ?? null, mirror: options.mirrorPrefixes ?? [] });
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

interface ErrorContext {
  readonly op: string;
  /** What was looked up: `connection "x"`. Never a value. */
  readonly subject: string;
  readonly where: string;
}

/** A protocol error answer as one of our error classes. */
export function errorFromAnswer(body: ProtocolErrorBody, context: ErrorContext): SecretsError {
  const original = body.type ? ` [${body.type}]` : '';
  const withheld = body.withheld === 'credential' ? ' (the message carried a credential, withheld here; Airflow would log it as is)' : '';
  const message = `${context.subject}: ${(body.message ?? 'failed').trim()}${original}${withheld}`;
  const details: ErrorDetails = {
    what: context.subject,
    where: body.where || context.where,
    ...(body.hint ? { hint: body.hint } : {}),
    ...(withheld ? { credentialWithheld: true } : {}),
  };
  switch (body.kind) {
    case 'unauthorized':
      return new UnauthorizedError(message, details);
    case 'forbidden':
      return new ForbiddenError(message, details);
    case 'unavailable':
      return new UnavailableError(message, details);
    case 'timeout':
      return new TimeoutError(message, details);
    case 'throttled':
      return new ThrottledError(message, details);
    case 'invalid-name':
      return new InvalidNameError(message, details);
    case 'malformed': {
      if (body.detail === 'file-parse') {
        const errors: FileSyntaxError[] = (body.errors ?? []).map((e) => ({ line: Number(e.line), message: String(e.message) }));
        const listed = errors.map((e) => `line ${e.line}: ${e.message}`).join('; ');
        return new FileParseError(`${message}${listed ? ` (${listed})` : ''}`, errors, details);
      }
      if (body.detail === 'not-unique') return new NotUniqueError(message, details);
      // A malformed value met while reading a connection (its text or its fields) is a connection format error.
      const connectionOp = context.op === 'get_connection' || context.op === 'get_conn_value';
      if (body.detail === 'connection-format' || connectionOp) return new ConnectionFormatError(message, details);
      return new MalformedSecretError(message, details);
    }
    case 'configuration':
    case 'protocol':
      return new ConfigurationError(message, { hint: 'check the backend class and its kwargs', ...details });
    default:
      // `unknown` and kinds from a newer protocol: the backend failed, which Airflow treats as
      // "this backend is unavailable, ask the next one".
      return new UnavailableError(`${message} (unclassified: ${body.kind})`, {
        hint: 'the command could not classify this failure; see its log',
        ...details,
      });
  }
}

export interface CommandBackendOptions {
  readonly command: CommandProcess;
  /** The class `open` builds; omitted when the command serves one backend (its `hello` names it). */
  readonly backend?: string;
  readonly kwargs?: Record<string, unknown>;
  /** Which Connection class the command deserialises with, and which flavour ours emulates. */
  readonly parser?: ParserFlavour;
  /** What reports call this backend; the backend class by default. */
  readonly kind?: string;
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

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const { command } = this.options;
    if (this.handle && this.handle.generation === command.generation) {
      try {
        await command.request('close', { handle: this.handle.handle });
      } catch {
        // The command is gone already: nothing left to release.
      }
    }
    this.handle = null;
    await command.release();
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
