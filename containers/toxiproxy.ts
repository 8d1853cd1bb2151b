/**
 * Toxiproxy: a TCP proxy whose faults (latency, resets, outages) tests switch on and off.
 * Docker: `ghcr.io/shopify/toxiproxy` through `@testcontainers/toxiproxy`. Native: the
 * `toxiproxy-server` that `npm run servers:install` builds into `.cache/bin`.
 *
 * Proxies are made with `createProxy(endpoint, ...)`, which needs only the serialisable endpoint, so
 * a vitest worker can put a proxy in front of any server the global setup started.
 */
import { Toxiproxy, type Proxy } from 'toxiproxy-node-client';
import { ConfigurationError, UnavailableError } from '../model/errors';
import type { ServerInfo } from './contract';
import { repoPath } from './native-process';
import { serverKind, ServerModule, StartedServer } from './server-module';

export interface ToxiproxyEndpoint extends ServerInfo {
  /** The control API, `http://127.0.0.1:8474`-like. */
  readonly apiAddress: string;
  /** The host proxies bind to, as Toxiproxy sees it: `127.0.0.1` natively, `0.0.0.0` in a container. */
  readonly listenHost: string;
  /**
   * Ports a proxy may listen on, each with the address a client on this machine dials. Empty means
   * any port: Toxiproxy runs on this machine and picks one itself (listen port 0).
   */
  readonly listenPorts: readonly ProxyListenPort[];
}

export interface ProxyListenPort {
  /** The port Toxiproxy binds (inside its container in Docker mode). */
  readonly port: number;
  /** `host:port` a client on this machine connects to for that port. */
  readonly clientAddress: string;
}

export const defaultToxiproxyImage = 'ghcr.io/shopify/toxiproxy:2.12.0';
export const nativeToxiproxyExecutable = repoPath('.cache/bin/toxiproxy-server');
const controlPort = 8474;
/** The ports `@testcontainers/toxiproxy` exposes for proxies: 8666 and the 31 after it. */
const containerProxyPorts = Array.from({ length: 32 }, (_, index) => 8666 + index);

export class ToxiproxyServer extends ServerModule<ToxiproxyEndpoint, StartedToxiproxyServer> {
  constructor() {
    super({
      name: 'toxiproxy',
      upstreamImage: defaultToxiproxyImage,
      executable: nativeToxiproxyExecutable,
      handle: StartedToxiproxyServer,
    });
  }

  protected startProcess(): Promise<StartedToxiproxyServer> {
    return this.startNative(
      {
        installedAs: 'toxiproxy-server',
        args: (port) => ['-host', '127.0.0.1', '-port', String(port)],
        healthPath: '/version',
        probe: readToxiproxyVersion,
      },
      async (port, version) => ({
        version,
        apiAddress: `http://127.0.0.1:${port}`,
        listenHost: '127.0.0.1',
        listenPorts: [],
      }),
    );
  }

  protected startContainer(): Promise<StartedToxiproxyServer> {
    return this.startInDocker(
      async (prepare) => {
        const { ToxiProxyContainer } = await import('@testcontainers/toxiproxy');
        return prepare(new ToxiProxyContainer(this.image)).start();
      },
      async (started) => {
        const host = started.getHost();
        const apiAddress = `http://${host}:${started.getMappedPort(controlPort)}`;
        return {
          version: (await readToxiproxyVersion(apiAddress).catch(() => undefined)) ?? this.image,
          apiAddress,
          listenHost: '0.0.0.0',
          listenPorts: containerProxyPorts.map((port) => ({ port, clientAddress: `${host}:${started.getMappedPort(port)}` })),
        };
      },
    );
  }
}

/** The fault-injecting TCP proxy every networked target's failover cases put in front of its server. */
export const toxiproxyServer = serverKind('toxiproxy', () => new ToxiproxyServer());

export class StartedToxiproxyServer extends StartedServer<ToxiproxyEndpoint> {
  getApiAddress(): string {
    return this.endpoint.apiAddress;
  }

  createProxy(request: ProxyRequest): Promise<CreatedProxy> {
    return createProxy(this.endpoint, request);
  }
}

export interface ProxyRequest {
  /** Unique on this Toxiproxy: include the test's id when workers run in parallel. */
  readonly name: string;
  /** A started server's endpoint (its `proxyUpstream` is used), or `host:port` as Toxiproxy sees it. */
  readonly upstream: ServerInfo | string;
}

export interface CreatedProxy extends AsyncDisposable {
  /** `host:port` a client on this machine connects to instead of the server. */
  readonly address: string;
  /** The proxy as toxiproxy-node-client sees it, for toxics. Changes with `setEnabled`. */
  readonly proxy: Proxy;
  /** Enabled: traffic flows. Disabled: the listener is closed and connections are refused. */
  setEnabled(enabled: boolean): Promise<void>;
  remove(): Promise<void>;
}

/** Puts a proxy in front of `upstream`. Needs only the serialisable endpoint: works in a worker. */
export async function createProxy(toxiproxy: ToxiproxyEndpoint, named: ProxyRequest): Promise<CreatedProxy> {
  // A proxy's name is a segment of Toxiproxy's URLs: anything but letters, digits, `_` and `-` would route elsewhere.
  const request = { ...named, name: named.name.replace(/[^A-Za-z0-9_-]/g, '_') };
  const upstream = upstreamOf(request);
  const client = new Toxiproxy(toxiproxy.apiAddress);
  const where = `Toxiproxy ${toxiproxy.apiAddress}`;
  if (toxiproxy.listenPorts.length === 0) {
    // Toxiproxy runs on this machine: let it bind any free port and read back which.
    const proxy = await client.createProxy({ name: request.name, listen: `${toxiproxy.listenHost}:0`, upstream }).catch((error: unknown) => {
      throw proxyError(request.name, upstream, where, error);
    });
    return createdProxy(proxy, proxy.listen);
  }
  // Only the container's pre-exposed ports reach this machine. Another worker may take a port
  // between our look and our bind: a failed bind moves on to the next free port.
  const taken = new Set(Object.values(await client.getAll()).map((proxy) => portOf(proxy.listen)));
  let lastError: unknown = new Error('every pre-exposed port is in use');
  for (const candidate of toxiproxy.listenPorts) {
    if (taken.has(candidate.port)) continue;
    try {
      const proxy = await client.createProxy({
        name: request.name,
        listen: `${toxiproxy.listenHost}:${candidate.port}`,
        upstream,
      });
      return createdProxy(proxy, candidate.clientAddress);
    } catch (error) {
      if (statusOf(error) !== 500) throw proxyError(request.name, upstream, where, error);
      lastError = error;
    }
  }
  throw proxyError(request.name, upstream, where, lastError);
}

function upstreamOf(request: ProxyRequest): string {
  if (typeof request.upstream === 'string') return request.upstream;
  if (request.upstream.proxyUpstream) return request.upstream.proxyUpstream;
  throw new ConfigurationError(`proxy "${request.name}": the upstream server has no address Toxiproxy can reach`, {
    what: `proxy "${request.name}"`,
    hint: 'start the servers through containers/servers (Docker mode puts them on one network)',
  });
}

function createdProxy(initial: Proxy, address: string): CreatedProxy {
  let current = initial;
  const remove = (): Promise<void> => current.remove();
  return {
    address,
    get proxy() {
      return current;
    },
    async setEnabled(enabled: boolean) {
      current = await current.update({ enabled, listen: current.listen, upstream: current.upstream });
    },
    remove,
    [Symbol.asyncDispose]: remove,
  };
}

function portOf(listen: string): number {
  return Number.parseInt(listen.slice(listen.lastIndexOf(':') + 1), 10);
}

/** toxiproxy-node-client reports failures as `Request failed with status code N`. */
function statusOf(error: unknown): number | undefined {
  const match = error instanceof Error ? /status code (\d{3})/.exec(error.message) : null;
  return match ? Number(match[1]) : undefined;
}

function proxyError(name: string, upstream: string, where: string, error: unknown): UnavailableError {
  const status = statusOf(error);
  const detail = status === 409 ? 'a proxy with that name exists' : error instanceof Error ? error.message : String(error);
  return new UnavailableError(`could not create proxy "${name}" to ${upstream}: ${detail}`, {
    what: `proxy "${name}"`,
    where,
    hint: status === 409 ? 'give each proxy a unique name' : 'check that Toxiproxy is running',
    cause: error,
  });
}

async function readToxiproxyVersion(apiAddress: string): Promise<string | undefined> {
  const response = await fetch(`${apiAddress}/version`, { signal: AbortSignal.timeout(2_000) });
  if (!response.ok) {
    await response.body?.cancel();
    return undefined;
  }
  const text = (await response.text()).trim();
  // 2.x answers `{"version": "2.12.0"}`; older servers answer the bare version.
  try {
    const parsed = JSON.parse(text) as { version?: unknown };
    if (typeof parsed.version === 'string') return parsed.version;
  } catch {
    // not JSON: a bare version string
  }
  return text || undefined;
}
