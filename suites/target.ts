/**
 * A target is what gets certified: a backend under test, a fixture store that writes secrets in
 * that backend's own layout, the servers it needs, and the capabilities it declares.
 * Suites never guess what a target can do: a case whose capability is not declared is skipped
 * with the target's stated reason (go-cloud's drivertest `Mutable()`, generalised).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SecretsBackend } from '../model/contract';
import type { SecretCache } from '../model/secret-cache';
import type { SearchPath, SearchPathOptions } from '../model/search-path';
import type { Clock } from '../model/clock';
import type { ParserFlavour } from '../model/connection/connection';
import type { LookupBudget } from '../model/retry';
import type { ServerEndpoints, ServerKind } from '../containers/contract';
import type { CannedAnswer, ObservedRequest, ProxyTls } from '../containers/request-log-proxy';

export type { CannedAnswer, ObservedRequest };

export type Capability =
  /** get_conn_value / get_connection are served. */
  | 'connections'
  /** get_conn_value answers with the stored text (LocalFilesystemBackend only overrides get_connection). */
  | 'conn-value'
  /** get_variable is served. */
  | 'variables'
  /** get_config is served. */
  | 'config'
  /** A connection can be stored as JSON text read with `Connection.from_json` (spec §6.4). */
  | 'json-connections'
  /** A connection can be stored as an object built with `Connection(**fields)`: no normalisation (spec §5.2). */
  | 'field-connections'
  /** Ids become `AIRFLOW_CONN_` / `AIRFLOW_VAR_` + the upper-cased id in the process environment (spec §4). */
  | 'env-var-names'
  /** A variable can hold the empty string (and a connection can be stored empty). */
  | 'empty-values'
  /** Values may contain newlines. */
  | 'multiline-values'
  /** Values of 8 KB and more. */
  | 'large-values'
  /** The fixture store can change a seeded secret in place (caching and rotation cases). */
  | 'mutable'
  /** The fixture store can write raw, possibly malformed, files (local filesystem parse errors). */
  | 'raw-files'
  /** The session's `auth.wrongCredentials` gives a backend with wrong credentials. */
  | 'auth-wrong-credentials'
  /** The session's `auth.expiredCredentials` gives a backend whose credentials have expired. */
  | 'auth-expired-credentials'
  /** The session's `auth.deniedRead` gives a backend whose policy forbids reading seeded secrets. */
  | 'auth-policy'
  /** The target can count what a run left in its store (`residue`). */
  | 'residue'
  /** Airflow's VaultBackend path rules (mount_point=None, *_path None or "", conn_uri vs fields). */
  | 'vault-paths'
  /** AWS provider naming rules (prefix + sep, null prefix, lookup patterns, JSON re-keying); fixtures offer `storeNames`. */
  | 'aws-naming'
  /** The cncf-kubernetes provider's label lookup (labels, data keys, namespaces, RBAC): a `kubernetes` store with its run's pods. */
  | 'kubernetes-labels'
  /** The backend reaches a server over TCP and the target says how (`network`): faults can be put in between. */
  | 'network-faults'
  /** The server can be made to throttle reads of one secret (`network.throttling`): the throttling suite. */
  | 'throttling'
  /** The store keeps earlier versions of a secret (`FixtureStore.versions`): KV v2, Secrets Manager stages, SSM history. */
  | 'versions'
  /** The store stages a value before it goes live (`versions.stageAndPromote`): Secrets Manager's AWSPENDING. */
  | 'staged-rotation'
  /** A Vault store on the production-mode server: HTTPS, audit device, auth methods, namespaces (`VaultStore.production`). */
  | 'vault-production'
  /** Credentials Vault makes per read under a lease (database, AWS engines): the lease cases. */
  | 'vault-leases'
  /** A read-only session's store holds the fixed set `fixtures print` shows (suites/preseeded-fixtures.ts): the preseeded cases. */
  | 'preseeded';

export type ConnectionFixture =
  /** Stored as a URI string (env var value, `conn_uri` key, file string, ...). */
  | { uri: string }
  /** Stored as connection fields (JSON text, a KV dict, a YAML/JSON object): Airflow's field names. */
  | { fields: Record<string, unknown> }
  /** Stored exactly as given, even if malformed: the raw value the backend will read. */
  | { raw: string };

/** The text a store holds for a connection: the URI, the raw value, or the fields as JSON text (read with `from_json`). */
export function connectionFixtureText(fixture: ConnectionFixture): string {
  if ('uri' in fixture) return fixture.uri;
  if ('raw' in fixture) return fixture.raw;
  return JSON.stringify(fixture.fields);
}

/** The store's own secret names, for cases that check how a backend builds them from ids. */
export interface StoreNames {
  /** A name prefix this run owns (`asc/1a2b3c`, `/asc/1a2b3c`); every name written must start with it. */
  readonly root: string;
  /** Writes `value` under exactly `name`; removed when the session closes. */
  put(name: string, value: string): Promise<void>;
  /** Writes a binary-only secret, where the store has such a thing (Secrets Manager's SecretBinary). */
  putBinary?(name: string, value: Uint8Array): Promise<void>;
}

/** Writes secrets where and how the backend under test reads them. Ids are the Airflow ids. */
export interface FixtureStore {
  putConnection(connId: string, fixture: ConnectionFixture): Promise<void>;
  putVariable(key: string, value: string): Promise<void>;
  putConfig?(key: string, value: string): Promise<void>;
  deleteConnection?(connId: string): Promise<void>;
  deleteVariable?(key: string): Promise<void>;
  /** For `raw-files` targets: write a whole secrets file of one kind and format. */
  putRawFile?(kind: 'connections' | 'variables' | 'config', extension: string, content: string): Promise<void>;
  /** For `aws-naming` targets: write under the store's own names, outside Airflow's naming. */
  readonly storeNames?: StoreNames;
  /** For `versions` targets: the store's own history of a variable written with `putVariable`. */
  readonly versions?: VariableVersions;
}

/**
 * A variable's history as the store keeps it. `putVariable` is how every store rotates (KV v2
 * adds a version, Secrets Manager's PutSecretValue moves AWSCURRENT, SSM overwrites into a new
 * version); this reads and restores what came before, the store's own way.
 */
export interface VariableVersions {
  /** What the store calls a version, for messages: `KV v2 version`, `staging label`. */
  readonly scheme: string;
  /** The value before the current one, read from the store (KV v2 version n-1, AWSPREVIOUS, SSM `name:n-1`). */
  previous(key: string): Promise<string | null>;
  /** The value the store itself holds as current, asked for explicitly (KV v2 latest, AWSCURRENT, the latest SSM version). */
  current(key: string): Promise<string | null>;
  /** Makes the previous value current again (KV v2 and SSM: written back as a new version; Secrets Manager: AWSCURRENT moved back). */
  rollBack(key: string): Promise<void>;
  /** For stores that stage a value before it goes live: Secrets Manager's AWSPENDING, then AWSCURRENT moved onto it. */
  stageAndPromote?(key: string, value: string): Promise<void>;
  /**
   * Set when the server in use is known to answer an unqualified read with the old value after a
   * stage move (a documented emulator divergence); the text says which server and where it is written down.
   */
  readonly unqualifiedReadIgnoresStageMoves?: string;
}

/** How a `network-faults` target's backend reaches its server, so a proxy can stand in between. */
export interface TargetNetwork {
  /** The server the backend talks to; a Toxiproxy proxy dials its endpoint's `proxyUpstream`. */
  readonly server: ServerKind;
  /** The server's base URL in a run (`http://127.0.0.1:8200`), for tools that put a front of their own before it. */
  serverUrl(servers: ServerEndpoints): string | null;
  /**
   * For a server that speaks HTTPS only: the certificate a front of the harness shows (the server's
   * own, so the backend trusts it as it trusts the server) and the CA it dials the server with.
   * Absent for plain-HTTP servers.
   */
  proxyTls?(servers: ServerEndpoints): ProxyTls | null;
  /** Kwargs that send the backend to `host:port` instead of the server. */
  addressKwargs(address: string): Record<string, unknown>;
  /** Kwargs that bound each attempt by `seconds`, in the backend's own spelling. */
  timeoutKwargs(seconds: number): Record<string, unknown>;
  /** What one read may cost with these kwargs (over the target's defaults): attempts and worst-case time. */
  lookupBudget(kwargs: Record<string, unknown>): LookupBudget;
  /** What a request on the wire is for: an authentication (login, token check), a secret read, or anything else. */
  requestKind(request: ObservedRequest): 'auth' | 'read' | 'other';
  /** For `throttling` targets: how the server is made to answer "slow down". */
  readonly throttling?: ServerThrottling;
}

/**
 * How a store is made to throttle, the way it does under load: a rate-limit quota on the server,
 * or, where the emulator cannot, a stand-in before it that answers the service's throttling response.
 */
export interface ServerThrottling {
  /** How, in one line, for case results and the certificate: the server's own mechanism or a stand-in, and what it answers. */
  readonly method: string;
  /** The HTTP status of a throttled answer (Vault 429; AWS's JSON protocol 400 with `ThrottlingException`). */
  readonly status: number;
  /** Makes every read of variable `key` of this run throttled until `release()`. */
  throttleVariable(environment: TargetEnvironment, key: string): Promise<ActiveThrottle>;
  /** Lets reads of variable `key` through at `perSecond` at most, throttling the rest, until `release()`: a quota under load. */
  limitVariableRate(environment: TargetEnvironment, key: string, perSecond: number): Promise<ActiveThrottle>;
}

export interface ActiveThrottle {
  /**
   * For a stand-in: the answer the request-log proxy before the server gives instead of forwarding
   * (`null` forwards). Absent when the server throttles by itself.
   */
  readonly answer?: (request: ObservedRequest) => CannedAnswer | null;
  /** Ends the throttling (the quota deleted, the stand-in forwarding again). */
  release(): Promise<void>;
}

/**
 * Backends of one session set up to fail authentication or authorisation on purpose, for the
 * auth suite. Each returns a backend aimed at the same store as `session.backend()`.
 */
export interface AuthScenarios {
  /** Wrong credentials: a bad token, a wrong AppRole secret-id, unknown access keys. */
  wrongCredentials?(): Promise<AuthScenario>;
  /** Credentials that were valid and have expired (a token past its TTL). */
  expiredCredentials?(): Promise<AuthScenario>;
  /**
   * Valid credentials whose policy does not allow reading `connId` / `key`, which the scenario
   * has seeded (so "not found" would be a lie).
   */
  deniedRead?(ids: { connId: string; key: string }): Promise<AuthScenario>;
}

export interface AuthScenario {
  readonly backend: SecretsBackend;
  /** The full backend_kwargs of `backend`, so another implementation (Airflow's own) can be built the same way. */
  readonly kwargs?: Record<string, unknown>;
  /** Every credential involved (wrong and right), none of which may appear in an error message. */
  readonly credentials: readonly string[];
}

/** One case's view of a target: fresh fixtures, a backend configured to read them. */
export interface TargetSession {
  /** A backend instance reading this session's fixtures; kwargs override the target's defaults. */
  backend(kwargs?: Record<string, unknown>): SecretsBackend;
  /**
   * The Airflow `backend_kwargs` that `backend()` uses (server address, credentials, mount or
   * prefixes): what aims any implementation of this backend class at this session's store.
   */
  readonly kwargs?: Record<string, unknown>;
  readonly fixtures: FixtureStore;
  /** Present when the target declares any `auth-*` capability. */
  readonly auth?: AuthScenarios;
  /**
   * The store may not be written (an external server without an admin credential): it holds the
   * preseeded set instead, and only cases that `runsReadOnly` run.
   */
  readonly readOnly?: boolean;
  /** Removes everything this session seeded and closes the backends it made. */
  close(): Promise<void>;
}

export interface TargetEnvironment {
  /** Unique per run; fixture stores put it in names, paths or mounts so runs never collide. */
  readonly runId: string;
  /** The run's canary (letters and digits): every secret value a session makes carries it. */
  readonly canary: string;
  /** A scratch folder owned by this run. */
  readonly scratchDir: string;
  readonly servers: ServerEndpoints;
  /**
   * How long a request to a command serving a backend (the Airflow bridge, `--backend-command`) may
   * wait for its answer; the command's default (20 s) when absent. The load bench sets its herd's bound.
   */
  readonly commandRequestTimeoutMs?: number;
}

/** Replaceable harness components, so a mutant can break the chain or cache instead of a backend. */
export interface TargetComponents {
  searchPath?: (backends: SecretsBackend[], options: SearchPathOptions) => SearchPath;
  cache?: (options: { enabled: boolean; ttlSeconds?: number; clock: Clock }) => SecretCache;
  /** Which search path and cache these are, as reports name them; the reference's when absent. */
  searchPathImplementation?: string;
}

/** Whose code the certified backend is: the certificate words its findings accordingly. */
export type BackendOrigin =
  /** This package's TypeScript implementation of Airflow's rules. */
  | 'reference'
  /** Airflow's own class, run by Airflow itself through the bridge. */
  | 'airflow'
  /** A backend given on the runner's command line: a module, a command, an airflow.cfg. */
  | 'custom'
  /** A reference target broken on purpose, to prove the suites catch the bug. */
  | 'mutant'
  /** The target declares no `describe`. */
  | 'unknown';

/**
 * What a certificate says was certified, as the target declares it (`TargetDefinition.describe`).
 * The global setup redacts it before any report sees it (`describeTarget` in
 * reports/target-description.ts), so every report file may print it as is.
 */
export interface TargetDescription {
  /** The class as a deployment names it: `airflow.providers.hashicorp.secrets.vault.VaultBackend`, `VaultBackend`. */
  backendClass: string;
  origin: BackendOrigin;
  /** Package name to version, for every version the result depends on: Airflow, the provider, this package. */
  versions: Record<string, string>;
  /** The kwargs the backend was built with; secret-looking values are redacted by name and by the run's canary. */
  kwargs?: Record<string, unknown>;
  /** Facts a reader needs about the configuration, one line each. */
  notes?: string[];
  /** Problems with the configuration itself (malformed `backend_kwargs`, ...), one line each. */
  flags?: string[];
}

/**
 * The shapes an id takes beyond lower-case ASCII with underscores, each where a store allows it: a
 * backend that lower-cases ids, maps `-` to `_`, drops a `/` or folds Unicode must meet ids that show it.
 */
export type IdShape = 'upper-case' | 'dash' | 'dot' | 'slash' | 'leading-digit' | 'non-ascii';

/**
 * Where a target's fixtures live, discriminated by `layout`. A family extends it with what its own
 * suites need (a KV version, an AWS service) and narrows it with a guard on `layout`.
 */
export interface TargetStore {
  /** The store layout's name, as custom backends declare it: `env`, `local`, `vault`, `aws-sm`. */
  readonly layout: string;
  /** The id shapes the store holds besides lower-case ASCII with `_` (suites/case-context.ts); none when absent. */
  readonly idShapes?: readonly IdShape[];
  /**
   * Set when the server answers a credential it does not accept and a policy that denies the read
   * alike (Vault: 403 to both), with why: telling Unauthorized from Forbidden then takes a request of
   * its own, which Airflow's rule does not ask of a custom backend (suites/auth.suite.ts).
   */
  readonly authRefusalsAlike?: string;
}

export interface TargetDefinition {
  /** Selection name: `env`, `local`, `vault-kv2`, `mutant:env-lowercase-names`. */
  readonly name: string;
  /** Family selected as a group: `vault` selects every Vault target. */
  readonly family: string;
  /** For a target that runs another implementation on a reference target's store (a twin, a custom backend): that target's name. */
  readonly baseTarget?: string;
  /** One line for reports. */
  readonly summary: string;
  /**
   * Whose code the backend is, when the target declares it: a `custom` backend is held to Airflow's
   * rules, where a reference target may also be held to this package's stricter ones.
   */
  readonly origin?: BackendOrigin;
  /** The backend class certified, as reports name it. */
  readonly backendKind: string;
  readonly capabilities: readonly Capability[];
  /** Which Airflow connection class reads this target's URIs: `sdk` unless declared (spec §6). */
  readonly parser?: ParserFlavour;
  /** Why each missing capability is missing; shown as the skip reason. */
  readonly missingCapabilityReasons?: Partial<Record<Capability, string>>;
  readonly servers: readonly ServerKind[];
  /**
   * The store layout the target's fixtures are written in (`env`, `local`, `vault`, `aws-sm`, ...),
   * with the facts its family's own suites need. Twins, mutants and custom backends of a layout
   * keep their base target's store, so the family's cases run for them too.
   */
  readonly store: TargetStore;
  /** For file-backed targets: the format its fixture store writes (`raw-files` cases use it). */
  readonly fileFormat?: 'env' | 'json' | 'yaml';
  /** For `network-faults` targets: where the backend connects and how to point it elsewhere. */
  readonly network?: TargetNetwork;
  readonly components?: TargetComponents;
  /**
   * Cases this backend is known to fail, keyed `<suite id> › <case name>`, each with why (for
   * Airflow's own backends: the provider code that does it). Such a case still runs: failing is
   * reported as a finding, not a failure of the run; passing fails the run, so the list stays true.
   */
  readonly knownFindings?: Readonly<Record<string, string>>;
  /**
   * Suites that bring no case for this target, with why (`not run: <why>, <how to run them>`): each is
   * reported as one case not run with that reason instead of being left out of the reports.
   */
  readonly notRunSuites?: Readonly<Record<string, string>>;
  /** Opens one case's session. Called once per case; must be cheap. */
  open(environment: TargetEnvironment): Promise<TargetSession>;
  /**
   * Why this run may not write the target's store (`not run: <why>, <how to fix>`), or null: then
   * every case that does not `runsReadOnly` is skipped with this reason. Read from the run's servers.
   */
  readOnly?(environment: TargetEnvironment): string | null;
  /**
   * How many secrets this run has left in the store (under its run prefix, mount or folder).
   * Every session closes what it seeded, so after the run, and between cases, this is 0.
   */
  residue?(environment: TargetEnvironment): Promise<number>;
  /**
   * What the certificate names as certified: class, versions, kwargs (secrets may be included:
   * they are redacted before any report sees them). Called once per run, in the global setup;
   * must not touch the servers.
   */
  describe?(environment: TargetEnvironment): TargetDescription;
}

/**
 * The tag that makes a run's secrets recognisable in a store: case ids start `asc_<tag>_`
 * (see `suites/case-context.ts`), so residue counts look for it.
 */
export function runTag(runId: string): string {
  return createHash('sha256').update(runId).digest('hex').slice(0, 6);
}

let packageVersion: string | undefined;

/** This package's version, which versions every reference backend. */
export function ownPackageVersion(): string {
  packageVersion ??= (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return packageVersion;
}

/** `describe` for a backend implemented in this package, versioned by the package. */
export function referenceDescription(backendClass: string, extra: Pick<TargetDescription, 'kwargs' | 'notes'> = {}): TargetDescription {
  return { backendClass, origin: 'reference', versions: { 'airflow-secrets-conformance': ownPackageVersion() }, ...extra };
}

export function hasCapability(target: TargetDefinition, capability: Capability): boolean {
  return target.capabilities.includes(capability);
}
