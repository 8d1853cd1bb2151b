/**
 * The container path's own reaper, for engines where testcontainers' Ryuk cannot run (its image is
 * built from a Go module the module proxy does not serve, and nothing can be pulled here).
 *
 * A run that starts containers also starts a small detached process (containers/reaper-process.ts)
 * holding a pipe from the run. However the run ends (its stop, Ctrl-C, an uncaught exception, a
 * SIGKILL), the pipe closes and the reaper removes every container (with its anonymous volumes),
 * network and volume labelled with the run's testcontainers session id. Like Ryuk, it is a second
 * line: a clean stop has already removed them and the sweep finds nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { repoPath } from './native-process';

export interface RunReaper {
  readonly sessionId: string;
  /** Closes the pipe: the reaper sweeps and exits. */
  release(): void;
}

const readyTimeoutMs = 15_000;

/** The testcontainers session id every container and network of this process is labelled with. */
export async function containerSessionId(): Promise<string> {
  const { getContainerRuntimeClient, getReaper } = await import('testcontainers');
  return (await getReaper(await getContainerRuntimeClient())).sessionId;
}

/** Starts the reaper for this process's session and waits until it watches the pipe. */
export async function startRunReaper(): Promise<RunReaper> {
  const sessionId = await containerSessionId();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', repoPath('containers/reaper-process.ts'), sessionId], {
    cwd: repoPath('.'),
    // Its own session: a Ctrl-C or a kill of the run's process group does not reach it.
    detached: true,
    stdio: ['pipe', 'pipe', 'ignore'],
    env: process.env,
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the container reaper did not report ready within ${readyTimeoutMs / 1000} s`)), readyTimeoutMs);
    timer.unref();
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the container reaper exited with ${code} before it was ready`)));
    createInterface({ input: child.stdout! }).once('line', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  child.removeAllListeners('exit');
  child.removeAllListeners('error');
  child.stdout?.destroy();
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return {
    sessionId,
    release: () => child.stdin?.end(),
  };
}
