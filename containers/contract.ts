/**
 * One interface for every server the suites talk to. Each server module starts its server as a
 * container (testcontainers) where a Docker engine answers, or as a local process otherwise, and
 * hands back a serialisable endpoint: it crosses from vitest's global setup into test workers.
 */

/** `moto-iam` is a second moto that checks SigV4 signatures and IAM policies (the auth suite). */
export type ServerName = 'vault' | 'moto' | 'moto-iam' | 'toxiproxy';

export type Provisioning = 'docker' | 'native';

export interface ServerInfo {
  readonly provisioning: Provisioning;
  /** The server's own version string as it reports it. */
  readonly version: string;
  /** Where the server's output is kept, when we started it. */
  readonly logFile?: string;
  /** How long the start took, readiness included. */
  readonly startMs?: number;
  /**
   * `host:port` at which Toxiproxy reaches this server: `127.0.0.1:<port>` natively, `<alias>:<port>`
   * on the Docker network. Hand it to `createProxy` from `containers/toxiproxy`.
   */
  readonly proxyUpstream?: string;
}

export interface VaultEndpoint extends ServerInfo {
  /** `http://127.0.0.1:<port>` */
  readonly address: string;
  readonly rootToken: string;
}

export interface MotoEndpoint extends ServerInfo {
  /** `http://127.0.0.1:<port>`, for the SDK's `endpoint` and Airflow's `endpoint_url`. */
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** A moto that enforces IAM: the credentials are an admin user's, allowed to create users and policies. */
export interface MotoIamEndpoint extends MotoEndpoint {
  readonly accountId: string;
  readonly adminUserName: string;
}

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

export interface ServerEndpoints {
  readonly vault?: VaultEndpoint;
  readonly moto?: MotoEndpoint;
  readonly 'moto-iam'?: MotoIamEndpoint;
  readonly toxiproxy?: ToxiproxyEndpoint;
}
