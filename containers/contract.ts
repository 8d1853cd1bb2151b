/**
 * One interface for every server the suites talk to. Each server module starts its server as a
 * container (testcontainers) where a Docker engine answers, or as a local process otherwise, and
 * hands back a serialisable endpoint: it crosses from vitest's global setup into test workers.
 */

export type ServerName = 'vault' | 'moto' | 'toxiproxy';

export type Provisioning = 'docker' | 'native';

export interface ServerInfo {
  readonly provisioning: Provisioning;
  /** The server's own version string as it reports it. */
  readonly version: string;
  /** Where the server's output is kept, when we started it. */
  readonly logFile?: string;
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

export interface ToxiproxyEndpoint extends ServerInfo {
  /** The control API, `http://127.0.0.1:8474`-like. */
  readonly apiAddress: string;
}

export interface ServerEndpoints {
  readonly vault?: VaultEndpoint;
  readonly moto?: MotoEndpoint;
  readonly toxiproxy?: ToxiproxyEndpoint;
}
