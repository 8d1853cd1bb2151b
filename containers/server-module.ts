/**
 * What every server module has in common, so that `vault.ts`, `moto.ts` and `toxiproxy.ts` say only
 * what is particular to their server: the fluent options, the choice between a container and a
 * local process, a native start on a free loopback port with a real readiness probe, a container
 * start with its log kept, the start time, and the started handle that stops once.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GenericContainer, StartedNetwork, StartedTestContainer } from 'testcontainers';
import type { Provisioning, ServerInfo, ServerKind } from './contract';
import { chooseImage, type ImageServer } from './images';
import { requireInstalled, startServerProcess, waitUntilReady, type ServerProcess } from './native-process';

const defaultLogDir = join(tmpdir(), 'secrets-conformance', 'servers');

/** What a module's start describes; the common part (provisioning, log file, start time) is added. */
export type EndpointDetails<Endpoint extends ServerInfo> = Endpoint extends ServerInfo
  ? Omit<Endpoint, 'provisioning' | 'logFile' | 'startMs' | 'image'>
  : never;

/** How a server runs as a local process on a free 127.0.0.1 port. */
export interface NativeLaunch<Ready> {
  /** The executable's name in the install hint: `bao`, `moto_server`. */
  readonly installedAs: string;
  readonly args: (port: number) => readonly string[];
  /** The environment on top of this process's; a function when it names the port. */
  readonly env?: Readonly<Record<string, string>> | ((port: number) => Readonly<Record<string, string>>);
  /** Ports after the chosen one the server also binds. */
  readonly followingFreePorts?: number;
  /** The endpoint the probe asks, for messages: `/v1/sys/health`. */
  readonly healthPath: string;
  /** A real request to the server at `http://127.0.0.1:<port>`; `undefined` while it is not ready. */
  readonly probe: (baseUrl: string) => Promise<Ready | undefined>;
}

/** A module's handle class: `StartedVaultServer`, built from the endpoint its start described. */
export type HandleClass<Endpoint extends ServerInfo, Started> = new (
  endpoint: Endpoint,
  stop: () => Promise<void>,
  process?: ServerProcess,
) => Started;

export interface ServerDefaults<Endpoint extends ServerInfo, Started> {
  /** Names the log file, the process and the network alias unless told otherwise, and the image variable (`ASC_IMAGE_<NAME>`). */
  readonly name: ImageServer;
  /** The official image, run unless the environment or a local build names another (images.ts). */
  readonly upstreamImage: string;
  readonly executable: string;
  readonly handle: HandleClass<Endpoint, Started>;
}

export abstract class ServerModule<Endpoint extends ServerInfo, Started> {
  private readonly defaults: ServerDefaults<Endpoint, Started>;
  private provisioning: Provisioning = 'native';
  protected image: string;
  protected executable: string;
  private logDir = defaultLogDir;
  private logName: string | undefined;
  private network: { network: StartedNetwork; alias: string | undefined } | undefined;

  protected constructor(defaults: ServerDefaults<Endpoint, Started>) {
    this.defaults = defaults;
    this.image = chooseImage(defaults.name, defaults.upstreamImage).image;
    this.executable = defaults.executable;
  }

  withProvisioning(provisioning: Provisioning): this {
    this.provisioning = provisioning;
    return this;
  }

  /** Docker only. */
  withImage(image: string): this {
    this.image = image;
    return this;
  }

  /** Native only: an executable other than the installed one. */
  withExecutable(executable: string): this {
    this.executable = executable;
    return this;
  }

  /** Output goes to `<logDir>/<name>.log`; the name defaults to the server's own. */
  withLogDir(logDir: string, name?: string): this {
    this.logDir = logDir;
    this.logName = name;
    return this;
  }

  /**
   * Docker only: join the network Toxiproxy is on, reachable there as `<alias>:<container port>`.
   * The alias defaults to the server's name.
   */
  withNetwork(network: StartedNetwork, alias?: string): this {
    this.network = { network, alias };
    return this;
  }

  start(): Promise<Started> {
    return this.provisioning === 'docker' ? this.startContainer() : this.startProcess();
  }

  protected abstract startProcess(): Promise<Started>;

  protected abstract startContainer(): Promise<Started>;

  protected get defaultName(): string {
    return this.defaults.name;
  }

  protected get name(): string {
    return this.logName ?? this.defaultName;
  }

  protected get logFile(): string {
    return join(this.logDir, `${this.name}.log`);
  }

  /** Where Toxiproxy reaches the container on the shared network, when there is one. */
  protected upstreamOnNetwork(containerPort: number): { proxyUpstream?: string } {
    if (!this.network) return {};
    return { proxyUpstream: `${this.network.alias ?? this.name}:${containerPort}` };
  }

  /** Spawns the installed executable, waits for the probe, then describes the running server. */
  protected async startNative<Ready>(
    launch: NativeLaunch<Ready>,
    describe: (port: number, ready: Ready) => Promise<EndpointDetails<Endpoint>>,
  ): Promise<Started> {
    requireInstalled(this.executable, launch.installedAs);
    const began = performance.now();
    const { server, port, ready } = await startServerProcess(
      { followingFreePorts: launch.followingFreePorts ?? 0 },
      (port) => ({
        name: this.name,
        executable: this.executable,
        args: launch.args(port),
        ...(launch.env ? { env: typeof launch.env === 'function' ? launch.env(port) : launch.env } : {}),
        logFile: this.logFile,
      }),
      (server, port) =>
        waitUntilReady(server, () => launch.probe(`http://127.0.0.1:${port}`), {
          what: `http://127.0.0.1:${port}${launch.healthPath}`,
        }),
    );
    const stop = (): Promise<void> => server.stop().then(() => undefined);
    return this.handOver('native', began, () => describe(port, ready), stop, server);
  }

  /**
   * Starts the container the module builds: `start` hands its container to `prepare` (log file,
   * shared network) and starts it; the started container is then described.
   */
  protected async startInDocker<Running extends StartedTestContainer>(
    start: (prepare: <Container extends GenericContainer>(container: Container) => Container) => Promise<Running>,
    describe: (started: Running) => Promise<EndpointDetails<Endpoint>>,
    /** Runs once the container is gone: what the module made for it on this side. */
    afterStop?: () => void,
  ): Promise<Started> {
    const began = performance.now();
    const logFile = this.logFile;
    const network = this.network;
    mkdirSync(this.logDir, { recursive: true });
    const prepare = <Container extends GenericContainer>(container: Container): Container => {
      const logged = container.withLogConsumer((stream) => stream.pipe(createWriteStream(logFile, { flags: 'a' })));
      return network ? logged.withNetwork(network.network).withNetworkAliases(network.alias ?? this.name) : logged;
    };
    const started = await start(prepare);
    const stop = (): Promise<void> => started.stop().then(() => afterStop?.());
    return this.handOver('docker', began, async () => ({ ...(await describe(started)), image: this.image }), stop);
  }

  /** A server that started but cannot be described is stopped, not left running. */
  private async handOver(
    provisioning: Provisioning,
    began: number,
    describe: () => Promise<EndpointDetails<Endpoint>>,
    stop: () => Promise<void>,
    process?: ServerProcess,
  ): Promise<Started> {
    try {
      const details = await describe();
      const endpoint = { provisioning, logFile: this.logFile, ...details, startMs: Math.round(performance.now() - began) };
      // The details plus the three common fields are the endpoint; TypeScript cannot add up an Omit.
      return new this.defaults.handle(endpoint as unknown as Endpoint, stop, process);
    } catch (error) {
      await stop().catch(() => process?.killNow());
      throw error;
    }
  }
}

/** A started server: its serialisable endpoint, and a stop that runs once however often it is asked. */
export class StartedServer<Endpoint extends ServerInfo> implements AsyncDisposable {
  readonly endpoint: Endpoint;
  /** The local process, when started natively. */
  readonly process: ServerProcess | undefined;
  private readonly stopServer: () => Promise<void>;
  private stopped: Promise<void> | undefined;

  constructor(endpoint: Endpoint, stopServer: () => Promise<void>, process?: ServerProcess) {
    this.endpoint = endpoint;
    this.stopServer = stopServer;
    this.process = process;
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

/** The kind of server `create` makes, started for a run as `context` says, under the kind's name. */
export function serverKind<Endpoint extends ServerInfo>(
  name: string,
  create: () => ServerModule<Endpoint, StartedServer<Endpoint>>,
): ServerKind<Endpoint> {
  return {
    name,
    containerised: true,
    start({ provisioning, logDir, network }) {
      const server = create().withProvisioning(provisioning).withLogDir(logDir, name);
      return (network ? server.withNetwork(network, name) : server).start();
    },
  };
}
