/**
 * How the members of a search path travel to the Airflow bridge when Airflow's own search path runs
 * them (targets/airflow-search-path.ts, bridge/PROTOCOL.md "Search path ops"): a backend of the same
 * bridge by its handle, the environment and the metastore by their contents, and the suites' test
 * doubles (suites/doubles.ts) by the stand-ins they declare here.
 */
import type { SecretsBackend } from '../model/contract';

export interface BridgeConnectionRow {
  conn_type: string | null;
  host: string | null;
  login: string | null;
  password: string | null;
  schema: string | null;
  /** A port past 2^53 travels as its digits (JSON numbers would round it); the bridge turns it back into an int. */
  port: number | string | null;
  extra: string | null;
  description: string | null;
}

/** A stand-in kept by one of our test doubles, before the search path names it with a `ref`. */
export type BridgeDoubleSpec = { kind: 'failing' } | { kind: 'counting'; inner: BridgeBackendSpec };

export type BridgeBackendSpec =
  | { kind: 'handle'; handle: string }
  | { kind: 'environment'; entries: Record<string, string> }
  | { kind: 'metastore'; connections: Record<string, BridgeConnectionRow>; variables: Record<string, string> }
  | (BridgeDoubleSpec & { ref: string });

export interface BridgeCallCounts {
  connections: number;
  variables: number;
  config: number;
}

/** A test double with a stand-in in the bridge (suites/doubles.ts). */
export interface BridgeDouble {
  /** The stand-in; `inner` gives the spec of a backend the double wraps. */
  bridgeSpec(inner: (backend: SecretsBackend) => BridgeBackendSpec): BridgeDoubleSpec;
  /** Adds what the stand-in counted during one op, so the double's own counters stay true. */
  addBridgeCalls(calls: BridgeCallCounts): void;
}
