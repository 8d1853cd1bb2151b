/**
 * The container path itself, on a real engine: a process that started the servers as containers
 * and then ends, by Ctrl-C or by SIGKILL, leaves no container, network or volume of its session
 * behind (the run's reaper, containers/reaper.ts); and `--provision=docker` with no engine answering
 * says `not run:` with the fix. Without an engine the interruption cases say so and are not run;
 * under CI=true (where .ci/run starts an engine) that is a failure.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { describe, expect, it, type TestContext } from 'vitest';
import { dockerAvailability } from '../containers/docker';
import { runCli } from './support/run-cli';

const logDir = mkdtempSync(join(tmpdir(), 'container-path-test-'));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

async function requireEngine(context: TestContext): Promise<void> {
  const docker = await dockerAvailability();
  if (docker.available) return;
  const note = `not run: ${docker.reason}; start one with npm run containers:up`;
  if (process.env.CI === 'true') throw new Error(note);
  context.skip(note);
}

interface Leftovers {
  containers: string[];
  networks: string[];
  volumes: string[];
}

async function leftovers(sessionId: string): Promise<Leftovers> {
  const docker = new Docker();
  const filters = JSON.stringify({ label: [`org.testcontainers.session-id=${sessionId}`] });
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return {
    containers: containers.map((c) => `${c.Image} ${c.State}`),
    networks: networks.map((n) => n.Name),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name),
  };
}

/** Polls until the session has nothing left, or the bound passes; returns what is left. */
async function leftoversAfter(sessionId: string, boundMs: number): Promise<Leftovers> {
  const deadline = Date.now() + boundMs;
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const left = await leftovers(sessionId);
    if (left.containers.length + left.networks.length + left.volumes.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return leftovers(sessionId);
}

async function startThenEnd(name: string, signal: NodeJS.Signals): Promise<{ sessionId: string; servers: string[]; running: Leftovers }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'test/fixtures/start-containers-until-signalled.ts'), join(logDir, name)],
    {
      cwd: repoRoot,
      // Its own process group, as a terminal would give a run: the kill reaches it, not this test.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const line = await Promise.race([
      new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve)),
      exited.then(() => `exited early`),
      new Promise<string>((resolve) => setTimeout(resolve, 150_000, 'no line within 150 s')),
    ]);
    const report = JSON.parse(line.startsWith('{') ? line : '{}') as { sessionId?: string; servers?: string[] };
    expect(report.sessionId, `${line}\n${stderr}`).toBeDefined();
    const sessionId = report.sessionId!;
    const running = await leftovers(sessionId);
    // The whole group, as Ctrl-C in a terminal or a kill of the job would.
    process.kill(-child.pid!, signal);
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
    return { sessionId, servers: report.servers ?? [], running };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

describe('a process that started containers and then ends', () => {
  for (const signal of ['SIGINT', 'SIGKILL'] as const) {
    it(`on ${signal} leaves no container, network or volume of its session`, async (context) => {
      await requireEngine(context);
      const { sessionId, servers, running } = await startThenEnd(signal.toLowerCase(), signal);
      expect(servers.length).toBeGreaterThanOrEqual(4);
      // The check can fail: the session's containers and network were there before the signal.
      expect(running.containers).toHaveLength(servers.length);
      expect(running.networks).toHaveLength(1);
      expect(await leftoversAfter(sessionId, 60_000)).toEqual({ containers: [], networks: [], volumes: [] });
    }, 300_000);
  }
});

describe('--provision=docker with no engine answering', () => {
  it('says not run, why, and the fix, and fails a run that executed nothing', async () => {
    const result = await runCli(['test', '--backend=vault-kv2', '--provision=docker', `--reports-dir=${join(logDir, 'no-engine')}`], {
      DOCKER_HOST: `unix://${join(logDir, 'no-engine.sock')}`,
    });
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/not run: no Docker engine answers .*; start a Docker engine, or use native provisioning/);
    expect(result.stdout).toMatch(/zero conformance cases executed/);
  }, 120_000);
});
