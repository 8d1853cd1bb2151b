/**
 * A suite is a list of conformance cases for one capability (retrieval, formats, caching, ...).
 * Cases are plain data plus an async `run`: the vitest entry (`conformance.test.ts`) turns them into
 * tests for every selected target, and the mutant test runs the same cases in-process against
 * deliberately broken targets. Nothing here knows about a particular backend.
 */
import type { SecretsBackend } from '../model/contract';
import type { FakeClock } from '../model/clock';
import type { SecretCache } from '../model/secret-cache';
import type { SearchPath, SearchPathOptions } from '../model/search-path';
import type { Capability, FixtureStore, IdShape, TargetDefinition, TargetEnvironment, TargetSession } from './target';

export interface IdFactory {
  /** A fresh id in one of the shapes the target's store holds (upper case, `-`, `.`, `/`, a leading digit, non-ASCII). */
  next(hint?: string): string;
  /** Like `next`, never in the shapes named: for a rule that holds only for ids without them (no "/" to split at). */
  nextWithout(shapes: readonly IdShape[], hint?: string): string;
  /** A fresh id of lower-case letters, digits and `_` only, starting with the run's marker: for a rule about the id's own text. */
  plain(hint?: string): string;
}

export interface SecretValues {
  /** The run's canary marker: letters and digits only, so every encoding keeps it verbatim. */
  readonly canary: string;
  /** A fresh secret-looking token carrying the canary. */
  token(hint?: string): string;
  /** `text` with the canary appended, for values built to exercise a format. */
  mark(text: string): string;
}

/** Certificate levels: each suite contributes to one. */
export type CertificationLevel = 'core' | 'lookup-and-caching' | 'rotation' | 'resilience' | 'security';

export interface ConformanceCase {
  /** Unique within its suite; reads as a sentence in reports. */
  readonly name: string;
  /** The Airflow rule the case checks, starting with its spec section: `§4 ...`. */
  readonly rule: string;
  /** Capabilities the target must declare; otherwise the case is skipped with the target's reason. */
  readonly needs?: readonly Capability[];
  /**
   * Set on a case that checks where our reference search path or cache goes beyond Airflow: why.
   * It is not run for targets whose components are another implementation (Airflow's own).
   */
  readonly referenceOnly?: string;
  /**
   * The case can run where the store may not be written (an external server without an admin
   * credential): it writes nothing, or only when `session.readOnly` is false.
   */
  readonly runsReadOnly?: true;
  readonly timeoutMs?: number;
  run(ctx: CaseContext): Promise<void>;
}

export interface Suite {
  /** File-name id: `retrieval` lives in `retrieval.suite.ts`. */
  readonly id: string;
  readonly title: string;
  readonly level: CertificationLevel;
  /**
   * For a suite of one backend family's own rules (Vault paths, AWS naming): the capability only
   * that family declares. Other targets get no cases from it at all, rather than a skip each.
   */
  readonly requires?: Capability;
  /** The cases for one target; most suites return the same list for every target. */
  cases(target: TargetDefinition): readonly ConformanceCase[];
}

export interface CaseContext {
  readonly target: TargetDefinition;
  /** The run's environment, for cases that open sessions of their own. */
  readonly environment: TargetEnvironment;
  readonly session: TargetSession;
  /** `session.backend()` with the target's default kwargs. */
  readonly backend: SecretsBackend;
  readonly fixtures: FixtureStore;
  /** Ids unique to this case, valid in every store's naming rules. */
  readonly ids: IdFactory;
  /** Secret values carrying the run's canary marker, so a leak anywhere is detectable. */
  readonly secrets: SecretValues;
  /** A fresh fake clock for this case. */
  readonly clock: FakeClock;
  /** A search path built by the target's components (real ones unless the target is a mutant). */
  searchPath(backends: SecretsBackend[], options?: SearchPathOptions): SearchPath;
  /** A cache built by the target's components, on this case's clock. */
  cache(options?: { enabled?: boolean; ttlSeconds?: number }): SecretCache;
  /** Records a measured figure (latency, recovery time, upstream requests) for the reports. */
  record(metric: string, value: number, unit: MetricUnit): void;
  /** Records a fact the reports show beside the case's verdict, which does not change it: one line, no secret. */
  note(text: string): void;
}

/** Where a running case's figures, notes and search path go (the runner puts them in the test's meta). */
export interface CaseObservers {
  readonly metric?: (metric: CaseMetric) => void;
  readonly note?: (text: string) => void;
  readonly searchPath?: (implementation: string) => void;
}

export type MetricUnit = 'ms' | 'requests' | 'count' | 'bytes';

export interface CaseMetric {
  readonly metric: string;
  readonly value: number;
  readonly unit: MetricUnit;
}

export function defineSuite(suite: Suite): Suite {
  const seen = new Set<string>();
  return {
    ...suite,
    cases(target) {
      if (suite.requires && !target.capabilities.includes(suite.requires)) return [];
      const cases = suite.cases(target);
      seen.clear();
      for (const c of cases) {
        if (seen.has(c.name)) throw new Error(`suite ${suite.id}: duplicate case name "${c.name}"`);
        if (!/^§\d/.test(c.rule)) throw new Error(`suite ${suite.id}: case "${c.name}" must cite a spec section in its rule`);
        seen.add(c.name);
      }
      return cases;
    },
  };
}
