/**
 * One running child of a command line, speaking the JSON-lines protocol of `bridge/PROTOCOL.md`
 * over its pipes: requests go one at a time, each bounded by its timeout; a child that hangs,
 * breaks the protocol or floods stdout is killed with its whole process group, and every request
 * still waiting fails with what its stderr last said. Restarting is the caller's (command-process.ts).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TimeoutError, UnavailableError } from '../model/errors';
import type { ProtocolErrorBody } from './command-errors';

/** A shell command line (`--backend-command`), or a program and its arguments. */
export type CommandLine = { readonly shell: string } | { readonly file: string; readonly args: readonly string[] };

/** How a child is spawned and where its log goes. */
export interface SpawnOptions {
  readonly cwd?: string;
  /** Where the command's stderr (its log) is appended. */
  readonly logFile?: string;
  /**
   * Environment entries owned by the harness: they are left out of the spawned environment and
   * mirrored in with the `env` op before each lookup, so the command sees this process's entries.
   */
  readonly mirrorPrefixes?: readonly string[];
  /** The environment the command starts with; this process's own when not given. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface RoundTrip {
  readonly op: string;
  /** From writing the request to reading its answer. */
  readonly ms: number;
  /** The time the command says it spent in the backend, when it says. */
  readonly backendMs: number | null;
}

export interface Answer {
  readonly value?: unknown;
  readonly error?: ProtocolErrorBody;
  readonly roundTrip: RoundTrip;
}

const STDERR_TAIL_BYTES = 2048;
const STOP_GRACE_MS = 2_000;
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

export function describeCommand(command: CommandLine): string {
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
export class CommandInstance {
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
    options: SpawnOptions,
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
