/**
 * A backend family is one folder under `backends/` holding everything it owns: its reference
 * backend(s), the fixture store written in their layout, its target declarations and Airflow twins,
 * its own suites and mutants, and what the bench needs. The folder exports one `BackendFamily`;
 * `backends/families.ts` lists them, and every registry (targets, store layouts, server kinds,
 * suites, mutants, bench twins, the workflow's family jobs) is derived from that list.
 */
import type { ParserFlavour } from '../model/connection/connection';
import type { MutantTarget } from '../mutants/mutant';
import type { Suite } from '../suites/suite';
import type { SessionContext } from './command-target';
import type { TargetDefinition, TargetSession } from '../suites/target';

/** A fixture store layout that custom backends can declare they read (`{ store: { layout: 'vault' } }`). */
export interface StoreLayout {
  /** As custom backends declare it and targets' `store.layout` names it: `env`, `local`, `vault`, `aws-sm`. */
  readonly name: string;
  /** The file formats of a layout that has several (local: json, yaml, env); the first is the default. */
  readonly formats?: readonly string[];
  /** The reference target whose fixtures a custom backend of this layout reads. */
  readonly base: (format: string | undefined) => TargetDefinition;
  /**
   * Other reference targets of the same layout whose stores differ in a way a backend must honour
   * (a KV v1 mount beside the KV v2 one): a custom backend is certified on each as well.
   */
  readonly variants?: () => readonly TargetDefinition[];
  /** The kwargs that aim a backend at a session's store: server, credentials, mount, prefixes or file paths. */
  readonly sessionKwargs: (context: SessionContext) => Record<string, unknown>;
  /**
   * Deployment kwargs that describe the layout (mount, prefixes, `sep`) and are kept when an
   * `airflow.cfg` is certified; every other kwarg (address, credentials) is the test store's.
   */
  readonly keptKwargs: readonly string[] | 'all';
  /** Kwargs always replaced by the session's, even where every kwarg is otherwise kept (file paths). */
  readonly replacedKwargs?: readonly string[];
  /** The Airflow classes that read this layout, for `--airflow-config`. */
  readonly airflowClasses: readonly string[];
  /** The distributions those classes come from besides Airflow (provider, client), for the certificate. */
  readonly distributions?: readonly string[];
  /** The store is this process's environment: a command must see it mirrored before each lookup. */
  readonly mirrorEnvironment?: boolean;
  /** The Connection flavour custom backends of this layout follow unless they declare one. */
  readonly parser?: ParserFlavour;
  /** For `--airflow-config`: what is wrong with a deployment's kwargs themselves (`verify=False`), one flag each. */
  readonly configurationFlags?: (kwargs: Record<string, unknown>) => string[];
  /** For `--airflow-config`: the format a deployment's kwargs imply (a file extension). */
  readonly formatOf?: (kwargs: Record<string, unknown>) => string | undefined;
  /**
   * For `explain`: the names a lookup of `id` reads in this layout's store, in the order Airflow's class
   * reads them, from a deployment's kwargs and environment (`[]`: skipped without a request).
   */
  readonly lookupNames?: (kind: LookupKind, id: string, kwargs: Record<string, unknown>, env: NodeJS.ProcessEnv) => LookupName[];
  /** For `explain`: what a failure of this layout's Airflow class really means, when its provider words it misleadingly. */
  readonly explainFailure?: (error: { readonly kind: string; readonly type?: string; readonly message?: string }) => string | null;
  /** For `migrate --to <layout>`: a store written the way this layout's Airflow class reads it. */
  readonly migrationStore?: (kwargs: Record<string, unknown>, env: NodeJS.ProcessEnv) => MigrationStore;
}

export type LookupKind = 'connection' | 'variable' | 'config';

/** One name a lookup reads. */
export interface LookupName {
  /** As the store's own listing shows it (a path under the Vault mount, a secret or parameter name, an env entry). */
  readonly name: string;
  /** What is read, as the server sees it: `GET /v1/secret/data/connections/my_db (KV v2)`. */
  readonly read: string;
}

/** A connection as the metastore holds it, read by Airflow's ORM (values included: never printed). */
export interface MigratedConnection {
  readonly conn_id: string;
  readonly conn_type: string | null;
  readonly host: string | null;
  readonly login: string | null;
  readonly password: string | null;
  readonly schema: string | null;
  readonly port: number | null;
  readonly extra: string | null;
  readonly description: string | null;
}

/** What a store holds under one name: a KV object (Vault) or text (AWS). */
export type StoredValue = string | Readonly<Record<string, unknown>>;

/** A store that `migrate` writes, in the layout its Airflow class reads. */
export interface MigrationStore {
  /** Where, for reports: `Vault http://127.0.0.1:8200, mount secret (KV v2)`. */
  readonly where: string;
  /** The store name an item is written under; `null` when the backend would never look the id up (a lookup pattern, a disabled kind). */
  nameOf(kind: 'connection' | 'variable', id: string): string | null;
  /** What the store holds for a connection or a variable, in the format the class reads. */
  connectionValue(connection: MigratedConnection): StoredValue;
  variableValue(value: string): StoredValue;
  /** Fields the class cannot read back from this store (Secrets Manager's re-keying drops `description`). */
  readonly unreadableFields?: readonly string[];
  read(name: string): Promise<StoredValue | null>;
  write(name: string, value: StoredValue): Promise<void>;
  close(): void;
}

/** The plain client call a lookup of the family's store stands on: the latency bench's floor. */
export interface RawClient {
  /** The call as people know it: `node-vault read`, `SDK GetSecretValue`. */
  readonly what: string;
  readonly read: () => unknown;
  /** `read` answers at once, not with a Promise (the environment). */
  readonly synchronous: boolean;
  close(): void;
}

/** What a team writes on its own server so a read-only run has something to read (`fixtures print`). */
export interface SeedPlan {
  /** Where, for the printout: server, mount or prefix, and the layout. */
  readonly where: string;
  /** Each write: the store's name and what it holds. */
  readonly writes: ReadonlyArray<{ readonly name: string; readonly value: StoredValue }>;
  /** The same writes as the commands a team runs (`vault kv put ...`, `aws secretsmanager create-secret ...`). */
  readonly commands: readonly string[];
}

/** The family on a server a team already runs (`--provision=external`). */
export interface ExternalFamily {
  /** Our reference backend with the team's production credential, on the team's server. */
  readonly target: TargetDefinition;
  /** Reference target names it stands in for, so `--backend=<name> --provision=external` selects it. */
  readonly standsFor: readonly string[];
  /** The preseeded set in the family's layout, where the `ASC_EXTERNAL_*` configuration puts it. */
  seedPlan(env: NodeJS.ProcessEnv): SeedPlan;
}

export interface BackendFamily {
  /** Selection name: `--backend=vault` selects every reference target of the family. */
  readonly name: string;
  /** The reference targets, in report order. */
  readonly targets: readonly TargetDefinition[];
  /** Airflow's own classes on the same stores (selected together as the `airflow` family). */
  readonly airflowTwins?: readonly TargetDefinition[];
  /** The store layouts custom backends can declare. */
  readonly layouts?: readonly StoreLayout[];
  /** Suites of the family's own rules (Vault paths, AWS naming). */
  readonly suites?: readonly Suite[];
  /** Deliberately broken targets, each killed by a named case. */
  readonly mutants?: readonly MutantTarget[];
  /** The family against a team's own server: the only targets of a `--provision=external` run. */
  readonly external?: ExternalFamily;
  /** The raw client reading `key` from a session of one of the family's targets. */
  readonly rawClient?: (target: TargetDefinition, session: TargetSession, key: string) => Promise<RawClient>;
}

/** A string kwarg of a session, for raw clients built from the session's own kwargs. */
export function kwargText(kwargs: Readonly<Record<string, unknown>>, name: string): string {
  const value = kwargs[name];
  if (typeof value !== 'string') throw new TypeError(`the session kwargs lack ${name}`);
  return value;
}
