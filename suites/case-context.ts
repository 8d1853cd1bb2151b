/**
 * Builds what one case runs with, and runs it: opens the target session, hands the case unique
 * ids, canary-marked secret values and a fake clock, and always closes the session afterwards.
 */
import { createHash, randomBytes } from 'node:crypto';
import { FakeClock } from '../model/clock';
import type { SecretsBackend } from '../model/contract';
import { SecretCache } from '../model/secret-cache';
import { SearchPath, type SearchPathOptions } from '../model/search-path';
import { runTag, type IdShape, type TargetDefinition, type TargetEnvironment } from './target';
import { findingKey } from './findings';
import type { CaseContext, CaseObservers, ConformanceCase, IdFactory, SecretValues } from './suite';

function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

function safeHint(hint: string | undefined): string {
  const cleaned = (hint ?? 'id')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return (cleaned || 'id').slice(0, 16);
}

/** How each shape turns an id's parts into the id; every id keeps the run's marker `asc_<tag>_` for residue counts. */
const SHAPES: Readonly<Record<IdShape, (marker: string, hint: string, counter: number) => string>> = {
  'upper-case': (marker, hint, counter) => `${marker}_${hint.charAt(0).toUpperCase()}${hint.slice(1).toUpperCase()}_${counter}`,
  dash: (marker, hint, counter) => `${marker}-${hint}-${counter}`,
  dot: (marker, hint, counter) => `${marker}.${hint}.${counter}`,
  slash: (marker, hint, counter) => `${marker}/${hint}_${counter}`,
  'leading-digit': (marker, hint, counter) => `${counter}${marker}_${hint}`,
  'non-ascii': (marker, hint, counter) => `${marker}_${hint}_übersicht_${counter}`,
};

/**
 * What one case's ids are made from. `unique` (target, suite and case) keeps the ids of two
 * targets on one store apart, in the marker only; `shapes` (suite and case, never a name a user
 * chooses) picks which shape each id takes, so a case draws the same shapes whatever its target
 * is called. A plain string is both.
 */
export type CaseIdKey = string | { readonly unique: string; readonly shapes: string };

/** The key the runner gives `target`'s run of one case: only the marker tells two targets apart. */
export function caseIdKey(target: string, suiteId: string, caseName: string): CaseIdKey {
  return { unique: `${target}/${suiteId}/${caseName}`, shapes: findingKey(suiteId, caseName) };
}

/**
 * Ids unique to one case. They take the plain shape and the store's other shapes in turn, from a
 * place set by the case, so every shape meets every suite across a run.
 */
export function createIdFactory(runId: string, caseKey: CaseIdKey, shapes: readonly IdShape[] = []): IdFactory {
  const { unique, shapes: shapeKey } = typeof caseKey === 'string' ? { unique: caseKey, shapes: caseKey } : caseKey;
  const marker = `asc_${runTag(runId)}_${shortHash(unique, 6)}`;
  const offset = Number.parseInt(shortHash(`${shapeKey}/shape`, 4), 16);
  let counter = 0;
  const drawn = (hint: string | undefined, allowed: readonly IdShape[]): string => {
    counter += 1;
    const turn = (offset + counter) % (allowed.length + 1);
    const shape = turn === 0 ? undefined : allowed[turn - 1];
    return shape ? SHAPES[shape](marker, safeHint(hint), counter) : `${marker}_${safeHint(hint)}_${counter}`;
  };
  return {
    next: (hint) => drawn(hint, shapes),
    nextWithout: (excluded, hint) =>
      drawn(
        hint,
        shapes.filter((shape) => !excluded.includes(shape)),
      ),
    plain: (hint) => drawn(hint, []),
  };
}

/** Secret-looking values, each carrying the run's `canary` so a leak anywhere can be found by search. */
export function createSecretValues(canary: string): SecretValues {
  let counter = 0;
  return {
    canary,
    token(hint) {
      counter += 1;
      return `${safeHint(hint).replace(/_/g, '')}${randomBytes(4).toString('hex')}${counter}${canary}`;
    },
    mark(text) {
      return `${text}${canary}`;
    },
  };
}

/** What reports call the search path and cache of targets whose components do not name theirs. */
export const REFERENCE_SEARCH_PATH_IMPLEMENTATION = 'reference (model/search-path.ts, model/secret-cache.ts)';

export function createCaseContext(
  target: TargetDefinition,
  session: CaseContext['session'],
  environment: TargetEnvironment,
  caseKey: CaseIdKey,
  observers: CaseObservers = {},
): CaseContext {
  const implementation = target.components?.searchPathImplementation ?? REFERENCE_SEARCH_PATH_IMPLEMENTATION;
  const clock = new FakeClock();
  const makeCache: NonNullable<NonNullable<TargetDefinition['components']>['cache']> =
    target.components?.cache ?? ((options) => new SecretCache(options));
  const makeSearchPath: NonNullable<NonNullable<TargetDefinition['components']>['searchPath']> =
    target.components?.searchPath ?? ((backends, options) => new SearchPath(backends, options));
  return {
    target,
    environment,
    session,
    backend: session.backend(),
    fixtures: session.fixtures,
    ids: createIdFactory(environment.runId, caseKey, target.store.idShapes ?? []),
    secrets: createSecretValues(environment.canary),
    clock,
    searchPath(backends: SecretsBackend[], options: SearchPathOptions = {}) {
      observers.searchPath?.(implementation);
      return makeSearchPath(backends, options);
    },
    cache(options = {}) {
      observers.searchPath?.(implementation);
      return makeCache({ enabled: options.enabled ?? true, ttlSeconds: options.ttlSeconds, clock });
    },
    record(metric, value, unit) {
      observers.metric?.({ metric, value, unit });
    },
    note(text) {
      observers.note?.(text);
    },
  };
}

/** Runs one case against one target in a session of its own; the session is closed whatever happens. */
export async function runCase(
  target: TargetDefinition,
  conformanceCase: ConformanceCase,
  environment: TargetEnvironment,
  caseKey: CaseIdKey,
  observers?: CaseObservers,
): Promise<void> {
  const session = await target.open(environment);
  try {
    await conformanceCase.run(createCaseContext(target, session, environment, caseKey, observers));
  } finally {
    await session.close();
  }
}
