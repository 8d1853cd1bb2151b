/**
 * The real servers, started as local processes: each answers a real request, Toxiproxy sits in
 * front of Vault and cuts it off on demand, a stop leaves no process and no open port, and Ctrl-C
 * on a process that started them leaves nothing behind. Servers not installed are skipped with the
 * `not run:` note, except under CI=true where that is a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
  type SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { ConfigurationError, UnavailableError } from '../model/errors';
import { buildRegistry } from '../runner/run-selection';
import { dockerAvailability } from '../containers/docker';
import { MotoServer, nativeMotoExecutable, type StartedMotoServer } from '../containers/moto';
import { displayPath, runningServerProcesses, type ServerProcess } from '../containers/native-process';
import { startServers } from '../containers/servers';
import { createProxy, nativeToxiproxyExecutable, ToxiproxyServer, type StartedToxiproxyServer } from '../containers/toxiproxy';
import { nativeVaultExecutable, VaultServer, type StartedVaultServer } from '../containers/vault';

const logDir = mkdtempSync(join(tmpdir(), 'containers-test-'));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const executables = {
  bao: nativeVaultExecutable,
  moto_server: nativeMotoExecutable,
  'toxiproxy-server': nativeToxiproxyExecutable,
} as const;
type Executable = keyof typeof executables;

function notInstalledNote(what: Executable): string | undefined {
  if (existsSync(executables[what])) return undefined;
  return `not run: ${what} not installed at ${displayPath(executables[what])}; run npm run servers:install`;
}

/** Skips with the `not run:` note when a server is missing; under CI a missing server fails. */
function requireInstalled(context: TestContext, ...what: Executable[]): void {
  const note = what.map(notInstalledNote).find((found) => found !== undefined);
  if (note === undefined) return;
  if (process.env.CI === 'true') throw new Error(note);
  context.skip(note);
}

describe('servers started as local processes', () => {
  let vault: StartedVaultServer | undefined;
  let moto: StartedMotoServer | undefined;
  let motoIam: StartedMotoServer | undefined;
  let toxiproxy: StartedToxiproxyServer | undefined;

  beforeAll(async () => {
    // Started once for the file, side by side; each test checks what it needs.
    [vault, moto, motoIam, toxiproxy] = await Promise.all([
      notInstalledNote('bao') ? undefined : new VaultServer().withLogDir(logDir).start(),
      notInstalledNote('moto_server') ? undefined : new MotoServer().withLogDir(logDir).start(),
      notInstalledNote('moto_server') ? undefined : new MotoServer().withIamEnforced().withLogDir(logDir).start(),
      notInstalledNote('toxiproxy-server') ? undefined : new ToxiproxyServer().withLogDir(logDir).start(),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled([vault?.stop(), moto?.stop(), motoIam?.stop(), toxiproxy?.stop()]);
  });

  it('Vault stores and returns a KV v2 secret, and refuses a wrong token', async (context) => {
    requireInstalled(context, 'bao');
    const started = vault as StartedVaultServer;
    expect(started.endpoint).toMatchObject({ provisioning: 'native', version: '2.7.2' });
    const value = randomBytes(8).toString('hex');
    await writeKv(started.getAddress(), started.getRootToken(), 'conformance/smoke', value);
    expect(await readKv(started.getAddress(), started.getRootToken(), 'conformance/smoke')).toBe(value);

    const denied = await fetch(`${started.getAddress()}/v1/secret/data/conformance/smoke`, {
      headers: { 'x-vault-token': 'not-the-root-token' },
    });
    await denied.body?.cancel();
    expect(denied.status).toBe(403);
  });

  it('moto creates a secret and returns it, and names a missing one ResourceNotFoundException', async (context) => {
    requireInstalled(context, 'moto_server');
    const started = moto as StartedMotoServer;
    expect(started.endpoint).toMatchObject({ provisioning: 'native', version: '5.2.5' });
    const client = secretsManager(started);
    const value = randomBytes(8).toString('hex');
    await client.send(new CreateSecretCommand({ Name: 'conformance/smoke', SecretString: value }));
    const read = await client.send(new GetSecretValueCommand({ SecretId: 'conformance/smoke' }));
    expect(read.SecretString).toBe(value);

    const missing = await client.send(new GetSecretValueCommand({ SecretId: 'conformance/absent' })).catch((error: unknown) => error);
    expect((missing as SecretsManagerServiceException).name).toBe('ResourceNotFoundException');
  });

  it('moto-iam serves its admin user and rejects unknown keys and bad signatures', async (context) => {
    requireInstalled(context, 'moto_server');
    const started = motoIam as StartedMotoServer;
    expect(started.endpoint).toMatchObject({ adminUserName: 'conformance-admin', accountId: '123456789012' });
    const admin = secretsManager(started);
    const value = randomBytes(8).toString('hex');
    await admin.send(new CreateSecretCommand({ Name: 'conformance/iam-smoke', SecretString: value }));
    expect((await admin.send(new GetSecretValueCommand({ SecretId: 'conformance/iam-smoke' }))).SecretString).toBe(value);

    const { accessKeyId } = started.getCredentials();
    for (const credentials of [
      { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'unknown' },
      { accessKeyId, secretAccessKey: 'not-the-secret-key' },
    ]) {
      const outsider = secretsManager(started, credentials);
      const refused = await outsider.send(new GetSecretValueCommand({ SecretId: 'conformance/iam-smoke' })).catch((error: unknown) => error);
      // moto answers these in XML where AWS answers JSON, so the SDK names the error badly; the
      // status is what is reliable here.
      expect((refused as SecretsManagerServiceException).$metadata?.httpStatusCode).toBe(403);
    }
  });

  it('Toxiproxy carries Vault traffic, and cuts it off when the proxy is disabled', async (context) => {
    requireInstalled(context, 'bao', 'toxiproxy-server');
    const upstream = vault as StartedVaultServer;
    const proxyServer = toxiproxy as StartedToxiproxyServer;
    expect(proxyServer.endpoint).toMatchObject({ provisioning: 'native', version: '2.12.0' });
    const value = randomBytes(8).toString('hex');
    await writeKv(upstream.getAddress(), upstream.getRootToken(), 'conformance/proxied', value);

    // As a worker would: from the serialisable endpoints alone.
    const endpoints = JSON.parse(JSON.stringify({ toxiproxy: proxyServer.endpoint, vault: upstream.endpoint }));
    await using proxy = await createProxy(endpoints.toxiproxy, { name: 'vault-smoke', upstream: endpoints.vault });
    expect(proxy.address).toMatch(/^127\.0\.0\.1:\d+$/);
    const viaProxy = `http://${proxy.address}`;
    expect(await readKv(viaProxy, upstream.getRootToken(), 'conformance/proxied')).toBe(value);

    await proxy.setEnabled(false);
    const cutOff = await readKv(viaProxy, upstream.getRootToken(), 'conformance/proxied').catch((error: unknown) => error);
    expect(cutOff).toBeInstanceOf(Error);
    expect(errorCode(cutOff)).toBe('ECONNREFUSED');

    await proxy.setEnabled(true);
    expect(await readKv(viaProxy, upstream.getRootToken(), 'conformance/proxied')).toBe(value);
  });

  it('a stop ends every process and closes every port', async (context) => {
    requireInstalled(context, 'bao', 'moto_server', 'toxiproxy-server');
    const servers = [vault, moto, motoIam, toxiproxy] as const;
    const listening = servers.map((server) => {
      const address =
        'address' in server!.endpoint
          ? server!.endpoint.address
          : 'endpoint' in server!.endpoint
            ? server!.endpoint.endpoint
            : server!.endpoint.apiAddress;
      return Number(new URL(address).port);
    });
    // Vault's dev server also listens on port+1 (its cluster port).
    listening.push(listening[0]! + 1);
    const processes = servers.map((server) => server!.process as ServerProcess);
    for (const port of listening) expect(await portAnswers(port)).toBe(true);

    await Promise.all(servers.map((server) => server!.stop()));

    for (const server of processes) {
      expect(server.running).toBe(false);
      expect(isAlive(server.pid)).toBe(false);
      expect(processGroupMembers([server.pid])).toEqual([]);
    }
    for (const port of listening) expect(await portAnswers(port)).toBe(false);
  });
});

describe('a process that started servers and then ends', () => {
  it('on Ctrl-C stops them all, then dies of SIGINT itself', async (context) => {
    requireInstalled(context, 'bao', 'moto_server', 'toxiproxy-server');
    const outcome = await runServersFixture('ctrl-c', (child) => child.kill('SIGINT'));
    // Re-raised, so a shell sees the conventional 130.
    expect(outcome.status).toEqual({ code: null, signal: 'SIGINT' });
    expect(outcome.serverProcesses.filter(isAlive)).toEqual([]);
    expect(processGroupMembers(outcome.serverPids)).toEqual([]);
  }, 60_000);

  it('on an uncaught exception leaves none of them alive', async (context) => {
    requireInstalled(context, 'bao', 'moto_server', 'toxiproxy-server');
    const outcome = await runServersFixture('crash', (child) => child.stdin?.end('crash\n'));
    expect(outcome.status).toEqual({ code: 1, signal: null });
    // An exit handler can only send SIGKILL, not wait for it: give the kernel a bounded moment.
    expect(await survivorsAfter(outcome.serverProcesses, 5_000)).toEqual([]);
    expect(processGroupMembers(outcome.serverPids)).toEqual([]);
  }, 60_000);
});

interface FixtureOutcome {
  readonly status: { code: number | null; signal: NodeJS.Signals | null } | 'still running';
  readonly serverPids: readonly number[];
  /** The servers and everything in their process groups, seen alive before `end` was called. */
  readonly serverProcesses: readonly number[];
}

/** Runs the fixture that starts every server, waits for its pids, calls `end`, waits (bounded) for it to exit. */
async function runServersFixture(name: string, end: (child: ChildProcess) => void): Promise<FixtureOutcome> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/fixtures/start-servers-until-signalled.ts'), join(logDir, name)], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // Kept for failure messages only: the crash case prints its deliberate stack trace here.
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  try {
    const firstLine = await Promise.race([
      new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve)),
      exited.then((status) => `exited early: ${JSON.stringify(status)}`),
    ]);
    const report = JSON.parse(firstLine.startsWith('{') ? firstLine : '{}') as { pids?: Record<string, number> };
    expect(report.pids, `${firstLine}\n${stderr}`).toBeDefined();
    const serverPids = Object.values(report.pids ?? {});
    // One process per kind, and kine beside kube-apiserver.
    expect(serverPids).toHaveLength(buildRegistry().serverKinds.length + 1);
    const serverProcesses = [...new Set([...serverPids, ...processGroupMembers(serverPids)])];
    expect(serverProcesses.every(isAlive)).toBe(true);

    end(child);
    const status = await Promise.race([exited, new Promise<'still running'>((resolve) => setTimeout(resolve, 20_000, 'still running'))]);
    return { status, serverPids, serverProcesses };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

describe('a server that cannot start', () => {
  it('names the missing executable and the install command, in one line', async () => {
    const missing = join(logDir, 'no-such-dir', 'bao');
    const failure = await new VaultServer()
      .withExecutable(missing)
      .withLogDir(logDir, 'vault-missing')
      .start()
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigurationError);
    expect((failure as ConfigurationError).oneLine()).toBe(`ConfigurationError: bao not installed at ${missing}; hint: run npm run servers:install`);
  });

  it('is reported as exited, pointing at its log, once its bounded retries are spent', async () => {
    // `false` exits at once, as a server that lost its port to another process would.
    const failure = await new ToxiproxyServer()
      .withExecutable('/bin/false')
      .withLogDir(logDir, 'toxiproxy-exits')
      .start()
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UnavailableError);
    expect((failure as UnavailableError).message).toMatch(/^toxiproxy-exits exited \(code 1\) before http:\/\/127\.0\.0\.1:\d+\/version answered$/);
    expect((failure as UnavailableError).hint).toBe(`read ${join(logDir, 'toxiproxy-exits.log')}`);
    expect(runningServerProcesses().filter((server) => server.name === 'toxiproxy-exits')).toEqual([]);
  });
});

describe('forced Docker provisioning', () => {
  it('marks every server unavailable, saying why, when no Docker engine answers', async (context) => {
    const docker = await dockerAvailability();
    if (docker.available) context.skip(`a Docker engine answers here (${docker.serverVersion})`);
    const kinds = buildRegistry().serverKinds;
    const names = kinds.map((kind) => kind.name);
    const servers = await startServers(kinds, { provisioning: 'docker', logDir });
    try {
      expect(servers.endpoints).toEqual({});
      expect(Object.keys(servers.unavailable).sort()).toEqual([...names].sort());
      for (const reason of Object.values(servers.unavailable)) {
        expect(reason).toMatch(/^not run: no Docker engine answers .*; start a Docker engine, or use native provisioning/);
      }
    } finally {
      await servers.stop();
    }
  });
});

function secretsManager(server: StartedMotoServer, credentials = server.getCredentials()): SecretsManagerClient {
  return new SecretsManagerClient({ endpoint: server.getEndpoint(), region: server.getRegion(), credentials, maxAttempts: 1 });
}

async function writeKv(address: string, token: string, path: string, value: string): Promise<void> {
  const response = await fetch(`${address}/v1/secret/data/${path}`, {
    method: 'POST',
    headers: { 'x-vault-token': token, 'content-type': 'application/json' },
    body: JSON.stringify({ data: { value } }),
    signal: AbortSignal.timeout(5_000),
  });
  await response.body?.cancel();
  expect(response.status).toBe(200);
}

/**
 * A fresh TCP connection per read (no keep-alive pool): a disabled proxy then shows as a refused
 * connection, not as a reset of a pooled one, and the test can tell the two apart.
 */
function readKv(address: string, token: string, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = httpGet(
      `${address}/v1/secret/data/${path}`,
      { agent: false, headers: { 'x-vault-token': token }, timeout: 5_000 },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          try {
            expect(response.statusCode).toBe(200);
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { data: { value: unknown } } };
            resolve(body.data.data.value);
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer from ${address} within 5 s`)));
    request.on('error', reject);
  });
}

function errorCode(error: unknown): string | undefined {
  return error && typeof error === 'object' && 'code' in error ? String(error.code) : undefined;
}

/** Does anything accept a TCP connection on 127.0.0.1:port? */
function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

interface ProcStat {
  readonly pid: number;
  readonly state: string;
  readonly pgid: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (2nd field) may hold spaces and parentheses: split after its closing one.
    const [state, , pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, state: state ?? '?', pgid: Number(pgid) };
  } catch {
    return undefined;
  }
}

/** The processes still alive once they have all gone or `deadlineMs` has passed, checked every 20 ms. */
async function survivorsAfter(pids: readonly number[], deadlineMs: number): Promise<number[]> {
  const deadline = Date.now() + deadlineMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    alive = alive.filter(isAlive);
  }
  return alive;
}

/** Alive: present and not a zombie (a zombie holds no port and runs no code; only its exit status is left). */
function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** Live processes in the process groups the given servers lead: everything they forked. */
function processGroupMembers(leaders: readonly number[]): number[] {
  const groups = new Set(leaders);
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => readStat(Number(entry)))
    .filter((stat): stat is ProcStat => stat !== undefined && groups.has(stat.pgid) && stat.state !== 'Z')
    .map((stat) => stat.pid);
}
