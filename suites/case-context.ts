/**
 * Builds what one case runs with, and runs it: opens the target session, hands the case unique
 * ids, canary-marked secret values and a fake clock, and always closes the session afterwards.
 */
import { createHash, randomBytes } from 'node:crypto';
import { FakeClock } from '../backends/clock';
import type { SecretsBackend } from '../backends/contract';
import { SecretCache } from '../backends/secret-cache';
import { SearchPath, type SearchPathOptions } from '../backends/search-path';
import { runTag, type TargetDefinition, type TargetEnvironment } from '../targets/target';
import type { CaseContext, CaseMetric, ConformanceCase } from './suite';

export interface IdFactory {
  /** A fresh id: lower-case letters, digits and `_`, valid in every store we certify. */
  next(hint?: string): string;
}

export interface SecretValues {
  /** The run's canary marker: letters and digits only, so every encoding keeps it verbatim. */
  readonly canary: string;
  /** A fresh secret-looking token carrying the canary. */
  token(hint?: string): string;
  /** `text` with the canary appended, for values built to exercise a format. */
  mark(text: string): string;
}

/** The canary for this process: set by the runner for the whole run, or made up here. */
export function runCanary(): string {
  const fromRunner = process.env.ASC_CANARY;
  if (fromRunner && /^[A-Za-z0-9]{8,}$/.test(fromRunner)) return fromRunner;
  return `cnry${randomBytes(6).toString('hex')}`;
}

const canary = runCanary();

function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

function safeHint(hint: string | undefined): string {
  const cleaned = (hint ?? 'id').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return (cleaned || 'id').slice(0, 16);
}

export function createIdFactory(runId: string, caseKey: string): IdFactory {
  const prefix = `asc_${runTag(runId)}_${shortHash(caseKey, 6)}`;
  let counter = 0;
  return {
    next(hint) {
      counter += 1;
      return `${prefix}_${safeHint(hint)}_${counter}`;
    },
  };
}

export function createSecretValues(): SecretValues {
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
export const REFERENCE_SEARCH_PATH_IMPLEMENTATION = 'reference (backends/search-path.ts, backends/secret-cache.ts)';

export function createCaseContext(
  target: TargetDefinition,
  session: CaseContext['session'],
  environment: TargetEnvironment,
  caseKey: string,
  onMetric: (metric: CaseMetric) => void = () => {},
  onSearchPath: (implementation: string) => void = () => {},
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
    ids: createIdFactory(environment.runId, caseKey),
    secrets: createSecretValues(),
    clock,
    searchPath(backends: SecretsBackend[], options: SearchPathOptions = {}) {
      onSearchPath(implementation);
      return makeSearchPath(backends, options);
    },
    cache(options = {}) {
      onSearchPath(implementation);
      return makeCache({ enabled: options.enabled ?? true, ttlSeconds: options.ttlSeconds, clock });
    },
    record(metric, value, unit) {
      onMetric({ metric, value, unit });
    },
  };
}

/** Runs one case against one target in a session of its own; the session is closed whatever happens. */
export async function runCase(
  target: TargetDefinition,
  kase: ConformanceCase,
  environment: TargetEnvironment,
  caseKey: string,
  onMetric?: (metric: CaseMetric) => void,
  onSearchPath?: (implementation: string) => void,
): Promise<void> {
  const session = await target.open(environment);
  try {
    await kase.run(createCaseContext(target, session, environment, caseKey, onMetric, onSearchPath));
  } finally {
    await session.close();
  }
}
