/**
 * One interface for every server the suites talk to. A server module (`vault.ts`, `moto.ts`, ...)
 * starts its server as a container (testcontainers) where a Docker engine answers, or as a local
 * process otherwise, and exports one `ServerKind` for it. Targets list the kinds they need; a run
 * starts each kind once and hands back a serialisable endpoint, which crosses from vitest's global
 * setup into the test workers, keyed by the kind's name.
 */
import type { StartedNetwork } from 'testcontainers';
import { ConfigurationError } from '../model/errors';

/** `external`: a server a team already runs, named by `ASC_EXTERNAL_*` (containers/external.ts); never started or stopped here. */
export type Provisioning = 'docker' | 'native' | 'external';

export interface ServerInfo {
  readonly provisioning: Provisioning;
  /** The server's own version string as it reports it. */
  readonly version: string;
  /** The image a container ran, when the container path started it. */
  readonly image?: string;
  /** Where the server's output is kept, when we started it. */
  readonly logFile?: string;
  /** How long the start took, readiness included. */
  readonly startMs?: number;
  /**
   * `host:port` at which Toxiproxy reaches this server: `127.0.0.1:<port>` natively, `<alias>:<port>`
   * on the Docker network. Hand it to `createProxy` from `containers/toxiproxy`.
   */
  readonly proxyUpstream?: string;
  /**
   * Who the harness acts as on a server it does not own (a Vault token's display name and accessor,
   * an AWS principal's ARN): never a credential.
   */
  readonly identity?: string;
}

/** The endpoints of a run's started servers, by server kind name. */
export type ServerEndpoints = Readonly<Record<string, ServerInfo>>;

/** How a run starts each of its servers. */
export interface ServerStartContext {
  readonly provisioning: Provisioning;
  /** The server's log goes to `<logDir>/<kind name>.log`. */
  readonly logDir: string;
  /** Docker only: the network every server of the run joins, under its kind's name. */
  readonly network?: StartedNetwork;
}

export interface RunningServer<Endpoint extends ServerInfo = ServerInfo> {
  readonly endpoint: Endpoint;
  stop(): Promise<void>;
}

/** A server a target can need: started once per run, found again by `name`. */
export interface ServerKind<Endpoint extends ServerInfo = ServerInfo> {
  /** Unique among kinds: names the endpoint, the log file and the network alias (`vault`, `moto-iam`). */
  readonly name: string;
  /** A server a team already runs: found by configuration under `--provision=external`, never started. */
  readonly external?: true;
  /** It has a container image: `docker` provisioning starts it as a container (others always run natively). */
  readonly containerised?: true;
  start(context: ServerStartContext): Promise<RunningServer<Endpoint>>;
}

/** The started endpoint of `kind`, if the run started it. */
export function endpointOf<Endpoint extends ServerInfo>(servers: ServerEndpoints, kind: ServerKind<Endpoint>): Endpoint | undefined {
  // Endpoints are keyed by the name of the kind that started them, so this one is its own.
  return servers[kind.name] as Endpoint | undefined;
}

/** The started endpoint of `kind`, or a ConfigurationError naming who needed it. */
export function requireEndpoint<Endpoint extends ServerInfo>(servers: ServerEndpoints, kind: ServerKind<Endpoint>, neededBy: string): Endpoint {
  const endpoint = endpointOf(servers, kind);
  if (!endpoint) {
    throw new ConfigurationError(`${neededBy} needs the ${kind.name} server, which this run did not start`, {
      what: neededBy,
      where: 'TargetEnvironment.servers',
      hint: `select it through the runner (npm test -- --backend=...), which starts the servers its targets list`,
    });
  }
  return endpoint;
}
