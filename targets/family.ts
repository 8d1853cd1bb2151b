/**
 * A backend family is one folder under `backends/` holding everything it owns: its reference
 * backend(s), the fixture store written in their layout, its target declarations and Airflow twins,
 * its own suites and mutants, and what the bench needs. The folder exports one `BackendFamily`;
 * `backends/families.ts` lists them, and every registry (targets, store layouts, server kinds,
 * suites, mutants, bench twins, the workflow's family jobs) is derived from that list.
 */
import type { ParserFlavour } from '../backends/connection/connection';
import type { MutantTarget } from '../mutants/mutant';
import type { Suite } from '../suites/suite';
import type { SessionContext } from './command-target';
import type { TargetDefinition, TargetSession } from './target';

/** A fixture store layout that custom backends can declare they read (`{ store: { layout: 'vault' } }`). */
export interface StoreLayout {
  /** As custom backends declare it and targets' `store.layout` names it: `env`, `local`, `vault`, `aws-sm`. */
  readonly name: string;
  /** The file formats of a layout that has several (local: json, yaml, env); the first is the default. */
  readonly formats?: readonly string[];
  /** The reference target whose fixtures a custom backend of this layout reads. */
  readonly base: (format: string | undefined) => TargetDefinition;
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
  /** The raw client reading `key` from a session of one of the family's targets. */
  readonly rawClient?: (target: TargetDefinition, session: TargetSession, key: string) => Promise<RawClient>;
}

/** A string kwarg of a session, for raw clients built from the session's own kwargs. */
export function kwargText(kwargs: Readonly<Record<string, unknown>>, name: string): string {
  const value = kwargs[name];
  if (typeof value !== 'string') throw new TypeError(`the session kwargs lack ${name}`);
  return value;
}
