/**
 * Servers run as local processes when there is no Docker engine. Each one gets its own process
 * group (so a stop reaches whatever it forked), writes to its own log file, and is entered in a
 * process-wide registry: whatever way this Node process ends (normal exit, uncaught failure,
 * Ctrl-C, SIGTERM), no server is left behind holding a port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigurationError, TimeoutError, UnavailableError } from '../model/errors';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** An absolute path inside the repository, e.g. `.cache/servers-venv/bin/bao`. */
export function repoPath(relativePath: string): string {
  return join(repoRoot, relativePath);
}

/** How a path reads in messages: relative to the repository when inside it. */
export function displayPath(path: string): string {
  const inside = relative(repoRoot, path);
  return inside.startsWith('..') ? path : inside;
}

/** Fails with the install hint when a server's executable is missing. */
export function requireInstalled(executable: string, what: string): void {
  if (existsSync(executable)) return;
  throw new ConfigurationError(`${what} not installed at ${displayPath(executable)}`, {
    what,
    hint: 'run npm run servers:install',
  });
}

/**
 * A port on 127.0.0.1 that nobody listens on right now. `followingFree` more ports after it must be
 * free too (Vault's dev server also binds port+1 for its cluster listener). The port can still be
 * taken between this check and the server's bind: callers retry the start on an early exit.
 */
export async function freeLoopbackPort(options: { followingFree?: number } = {}): Promise<number> {
  const followingFree = options.followingFree ?? 0;
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await bindAndRelease(0);
    if (port + followingFree > 65_535) continue;
    let allFree = true;
    for (let offset = 1; offset <= followingFree && allFree; offset++) {
      allFree = (await bindAndRelease(port + offset).catch(() => undefined)) !== undefined;
    }
    if (allFree) return port;
  }
  throw new UnavailableError(`no free run of ${followingFree + 1} port(s) found on 127.0.0.1 after 20 tries`, {
    where: '127.0.0.1',
    hint: 'free some local ports and try again',
  });
}

function bindAndRelease(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ServerProcessOptions {
  /** Names the server in messages and the registry: `vault`, `moto-iam`. */
  readonly name: string;
  readonly executable: string;
  readonly args: readonly string[];
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Output (stdout and stderr) is appended here. */
  readonly logFile: string;
}

const defaultStopGraceMs = 5_000;
const killWaitMs = 3_000;

export class ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves once the process has exited, for whatever reason. */
  readonly exited: Promise<ExitStatus>;
  private status: ExitStatus | undefined;

  constructor(name: string, child: ChildProcess & { pid: number }, logFile: string) {
    this.name = name;
    this.pid = child.pid;
    this.logFile = logFile;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.status = { code, signal };
        registry.delete(this);
        resolve(this.status);
      });
    });
  }

  get exitStatus(): ExitStatus | undefined {
    return this.status;
  }

  get running(): boolean {
    return this.status === undefined;
  }

  /** SIGTERM to the whole group, SIGKILL after `graceMs`; resolves once the process has exited. */
  async stop(graceMs = defaultStopGraceMs): Promise<ExitStatus> {
    if (this.status) {
      signalGroup(this.pid, 'SIGKILL'); // anything it forked and left behind
      return this.status;
    }
    signalGroup(this.pid, 'SIGTERM');
    const graceful = await within(this.exited, graceMs);
    // Children that ignored SIGTERM must not outlive their leader either.
    signalGroup(this.pid, 'SIGKILL');
    if (graceful) return graceful;
    const killed = await within(this.exited, killWaitMs);
    if (!killed) {
      throw new TimeoutError(`${this.name} (pid ${this.pid}) did not exit after SIGKILL within ${killWaitMs} ms`, {
        where: `pid ${this.pid}`,
        hint: `check the process with ps -p ${this.pid}`,
      });
    }
    return killed;
  }

  /** Synchronous last resort for exit handlers, which cannot wait. */
  killNow(): void {
    signalGroup(this.pid, 'SIGKILL');
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Starts a server process in its own process group; resolves once it is running (not yet ready). */
export async function spawnServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(options.executable, options.args, {
      // detached: a new session and process group, so Ctrl-C in a terminal reaches only us and we
      // decide how the server stops; and a group kill reaches the server's own children.
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, ...options.env },
    });
  } finally {
    closeSync(log);
  }
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) =>
      reject(
        new UnavailableError(`${options.name} could not be started: ${error.message}`, {
          what: options.name,
          where: displayPath(options.executable),
          hint: 'run npm run servers:install',
          cause: error,
        }),
      ),
    );
  });
  if (child.pid === undefined) throw new UnavailableError(`${options.name} started without a pid`, { what: options.name });
  const started = new ServerProcess(options.name, child as ChildProcess & { pid: number }, options.logFile);
  register(started);
  return started;
}

export interface ReadinessOptions {
  /** What is awaited, for messages: `vault at http://127.0.0.1:8200/v1/sys/health`. */
  readonly what: string;
  readonly deadlineMs?: number;
  readonly maxAttempts?: number;
  /** Pause between two probes. */
  readonly intervalMs?: number;
}

/**
 * Polls `probe` until it returns a value: a real request to the server's health endpoint. Bounded
 * by attempts and by a deadline, and cut short when the process exits.
 */
export async function waitUntilReady<T>(server: ServerProcess, probe: () => Promise<T | undefined>, options: ReadinessOptions): Promise<T> {
  const deadlineMs = options.deadlineMs ?? 30_000;
  const maxAttempts = options.maxAttempts ?? 600;
  const intervalMs = options.intervalMs ?? 50;
  const giveUpAt = Date.now() + deadlineMs;
  let lastProblem = 'no answer yet';
  for (let attempt = 1; attempt <= maxAttempts && Date.now() < giveUpAt; attempt++) {
    if (!server.running) break;
    try {
      const ready = await probe();
      if (ready !== undefined) return ready;
      lastProblem = 'answered, but not ready';
    } catch (error) {
      lastProblem = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    }
    await within(server.exited, intervalMs);
  }
  const status = server.exitStatus;
  if (status) {
    throw new UnavailableError(`${server.name} exited (${status.signal ?? `code ${status.code}`}) before ${options.what} answered`, {
      what: server.name,
      where: displayPath(server.logFile),
      hint: `read ${displayPath(server.logFile)}`,
    });
  }
  throw new TimeoutError(`${options.what} was not ready within ${deadlineMs} ms (${lastProblem})`, {
    what: server.name,
    where: displayPath(server.logFile),
    hint: `read ${displayPath(server.logFile)}`,
  });
}

export interface StartedServerProcess<T> {
  readonly server: ServerProcess;
  readonly port: number;
  /** What the readiness probe returned (usually the server's version). */
  readonly ready: T;
}

/**
 * Spawns a server on a free 127.0.0.1 port and waits until it is ready. The port can be taken
 * between our check and the server's bind; that shows up as an early exit, so the start is tried
 * again on another port, up to `attempts` times.
 */
export async function startServerProcess<T>(
  options: { readonly followingFreePorts?: number; readonly attempts?: number },
  processOn: (port: number) => ServerProcessOptions,
  ready: (server: ServerProcess, port: number) => Promise<T>,
): Promise<StartedServerProcess<T>> {
  const attempts = options.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    const port = await freeLoopbackPort({ followingFree: options.followingFreePorts ?? 0 });
    const server = await spawnServerProcess(processOn(port));
    try {
      return { server, port, ready: await ready(server, port) };
    } catch (error) {
      const exitedByItself = !server.running;
      await server.stop().catch(() => server.killNow());
      if (exitedByItself && attempt < attempts) continue;
      throw error;
    }
  }
}

/** Every server process still running, so none outlives this Node process. */
const registry = new Set<ServerProcess>();
const handledSignals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let exitHandlerInstalled = false;
let signalHandlersInstalled = false;
let stoppingForSignal = false;

/** The server processes this Node process still runs. */
export function runningServerProcesses(): readonly ServerProcess[] {
  return [...registry];
}

function register(server: ServerProcess): void {
  registry.add(server);
  if (!exitHandlerInstalled) {
    exitHandlerInstalled = true;
    // 'exit' also fires after an uncaught exception or unhandled rejection; it cannot wait: SIGKILL.
    process.on('exit', killAllNow);
  }
  if (!signalHandlersInstalled) {
    signalHandlersInstalled = true;
    stoppingForSignal = false;
    for (const signal of handledSignals) process.on(signal, onSignal);
  }
}

function killAllNow(): void {
  for (const server of registry) server.killNow();
}

function onSignal(signal: NodeJS.Signals): void {
  if (stoppingForSignal) {
    // A second Ctrl-C: stop waiting for graceful exits.
    killAllNow();
    reraise(signal);
    return;
  }
  stoppingForSignal = true;
  const stops = [...registry].map((server) => server.stop().catch(() => server.killNow()));
  void Promise.allSettled(stops).then(() => reraise(signal));
}

/**
 * Ends this process the way the signal would have (exit status 128+n for a shell), unless someone
 * else also listens for it: then the decision is theirs.
 */
function reraise(signal: NodeJS.Signals): void {
  for (const handled of handledSignals) process.removeListener(handled, onSignal);
  signalHandlersInstalled = false;
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}
