/**
 * The herd: what a DAG start looks like to a secrets backend, N lookups launched at once, of one id
 * (every task reads the same connection) and of N distinct ids, with the cache off (Airflow's
 * default) and on. Each scenario gets a fresh backend and chain (the target's own: the reference
 * search path, or Airflow's in the bridge for a twin) behind a request-log proxy before the server,
 * so every request it sends, logins included, is counted and timed on the wire.
 */
import { performance } from 'node:perf_hooks';
import { systemClock } from '../model/clock';
import type { SecretsBackend } from '../model/contract';
import { SearchPath, type LookupOutcome } from '../model/search-path';
import { SecretCache } from '../model/secret-cache';
import { startRequestLogProxy, type RequestLogProxy } from '../containers/request-log-proxy';
import { percentile } from '../reports/statistics';
import type { TargetDefinition, TargetEnvironment, TargetNetwork, TargetSession } from '../suites/target';

export type HerdIds = 'same' | 'distinct';

export interface HerdPlan {
  /** Lookups launched at once (default 200). */
  readonly lookups: number;
  /** The longest one scenario may take before it is reported as hung. */
  readonly timeoutMs: number;
  /** Fixtures written at once while seeding. */
  readonly seedConcurrency: number;
}

export interface HerdScenario {
  readonly ids: HerdIds;
  readonly cache: boolean;
  /** Reads per second the server let through (its own quota or the stand-in's), or null: no limit set. */
  readonly rateLimit: number | null;
  readonly lookups: number;
  /** From the launch of the first lookup to the end of the last. */
  readonly wallMs: number;
  readonly lookupsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Lookups that came back with the seeded value. */
  readonly answered: number;
  /** Lookups that came back empty with no failure recorded: a secret that is there, read as missing. */
  readonly notFound: number;
  readonly wrongValue: number;
  /** Failed lookups by error class (a backend's failure the chain recorded, or the chain's own). */
  readonly errors: Readonly<Record<string, number>>;
  readonly upstream: { readonly requests: number; readonly reads: number; readonly auth: number; readonly perLookup: number };
  /** When the server first answered "slow down" (ms after the launch), and how often; null: it never did. */
  readonly throttling: { readonly firstAtMs: number | null; readonly responses: number };
}

export interface TargetHerd {
  readonly target: string;
  /** The chain the lookups went through: the reference port, or Airflow's own in the bridge. */
  readonly searchPath: string;
  readonly scenarios: readonly HerdScenario[];
  readonly notRun?: string;
}

type ScenarioSpec = Pick<HerdScenario, 'ids' | 'cache' | 'rateLimit'>;

const SCENARIOS: readonly ScenarioSpec[] = [
  { ids: 'same', cache: false, rateLimit: null },
  { ids: 'distinct', cache: false, rateLimit: null },
  { ids: 'same', cache: true, rateLimit: null },
  { ids: 'distinct', cache: true, rateLimit: null },
];

/** Reads per second a throttling target's server lets through in the rate-limited scenario: well under what the herd asks. */
export const HERD_RATE_LIMIT = 50;

/** Whether a scenario went as it must: every lookup answered; under a rate limit, each one answered or ThrottledError, never "not found". */
export function scenarioHeld(scenario: HerdScenario): boolean {
  if (scenario.rateLimit === null) return scenario.answered === scenario.lookups;
  const other = Object.entries(scenario.errors).filter(([name]) => name !== 'ThrottledError');
  return scenario.notFound === 0 && scenario.wrongValue === 0 && other.length === 0;
}

function chainFor(target: TargetDefinition, backend: SecretsBackend, cache: boolean): SearchPath {
  const made = target.components?.cache?.({ enabled: cache, clock: systemClock }) ?? new SecretCache({ enabled: cache, clock: systemClock });
  const options = cache ? { cache: made } : {};
  return target.components?.searchPath?.([backend], options) ?? new SearchPath([backend], options);
}

async function seed(session: TargetSession, keys: readonly string[], value: (key: string) => string, concurrency: number): Promise<void> {
  for (let from = 0; from < keys.length; from += concurrency) {
    await Promise.all(keys.slice(from, from + concurrency).map((key) => session.fixtures.putVariable(key, value(key))));
  }
}

function tallyOutcome(
  outcome: { value: LookupOutcome<string> } | { error: unknown },
  expected: string,
  counts: { answered: number; notFound: number; wrongValue: number; errors: Record<string, number> },
): void {
  const fail = (name: string) => {
    counts.errors[name] = (counts.errors[name] ?? 0) + 1;
  };
  if ('error' in outcome) return fail(outcome.error instanceof Error ? outcome.error.name : 'unknown');
  const { value, failures } = outcome.value;
  if (value === expected) counts.answered += 1;
  else if (failures.length > 0) for (const failure of failures) fail(failure.error instanceof Error ? failure.error.name : 'unknown');
  else if (value === null) counts.notFound += 1;
  else counts.wrongValue += 1;
}

async function runScenario(
  target: TargetDefinition,
  session: TargetSession,
  network: TargetNetwork,
  proxy: RequestLogProxy,
  scenario: ScenarioSpec,
  keys: readonly string[],
  value: (key: string) => string,
  plan: HerdPlan,
  throttledStatus: number,
): Promise<HerdScenario> {
  const backend = session.backend(network.addressKwargs(proxy.address));
  const chain = chainFor(target, backend, scenario.cache);
  const from = proxy.requests.length;
  const latencies: number[] = [];
  const counts = { answered: 0, notFound: 0, wrongValue: 0, errors: {} as Record<string, number> };
  const launched = performance.now();
  const launchedOnProxy = proxy.requests.at(-1)?.at ?? 0;
  const lookups = Array.from({ length: plan.lookups }, async (_, index) => {
    const key = keys[index % keys.length] as string;
    const started = performance.now();
    const outcome = await chain.resolveVariable(key).then(
      (answer) => ({ value: answer }),
      (error: unknown) => ({ error }),
    );
    latencies.push(performance.now() - started);
    tallyOutcome(outcome, value(key), counts);
  });
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((settle) => {
    timer = setTimeout(() => settle('hung'), plan.timeoutMs);
  });
  const finished = await Promise.race([Promise.all(lookups).then(() => 'done' as const), hung]);
  clearTimeout(timer);
  const wallMs = performance.now() - launched;
  await backend.close?.();
  if (finished === 'hung') counts.errors.hung = plan.lookups - latencies.length;
  const seen = proxy.requests.slice(from);
  const kinds = { auth: 0, read: 0, other: 0 };
  for (const request of seen) kinds[network.requestKind(request)] += 1;
  const throttled = seen.filter((request) => request.status === throttledStatus);
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length > 0 ? percentile(sorted, p) : NaN);
  return {
    ...scenario,
    lookups: plan.lookups,
    wallMs,
    lookupsPerSecond: (latencies.length / wallMs) * 1000,
    p50Ms: at(50),
    p99Ms: at(99),
    maxMs: sorted.at(-1) ?? NaN,
    ...counts,
    upstream: { requests: seen.length, reads: kinds.read, auth: kinds.auth, perLookup: seen.length / plan.lookups },
    throttling: { firstAtMs: throttled[0] ? throttled[0].at - launchedOnProxy : null, responses: throttled.length },
  };
}

/** The herd scenarios for one networked target; a failure is the target's `notRun`, never the bench's end. */
export async function measureHerd(
  target: TargetDefinition,
  environment: TargetEnvironment,
  keyPrefix: string,
  value: (key: string) => string,
  plan: HerdPlan,
): Promise<TargetHerd> {
  const searchPath = target.components?.searchPathImplementation ?? 'reference (model/search-path.ts, model/secret-cache.ts)';
  let session: TargetSession | null = null;
  let proxy: RequestLogProxy | null = null;
  try {
    const network = target.network;
    const serverUrl = network?.serverUrl(environment.servers);
    if (!network || !serverUrl) throw new Error(`${target.name} reaches no server of this run`);
    session = await target.open(environment);
    const same = [`${keyPrefix}_same`];
    const distinct = Array.from({ length: plan.lookups }, (_, index) => `${keyPrefix}_d${index + 1}`);
    await seed(session, [...same, ...distinct], value, plan.seedConcurrency);
    // What the server answers "slow down" with: Vault's 429; AWS's JSON protocol a 400 (here only the stand-in's).
    const throttledStatus = network.throttling?.status ?? 429;
    const scenarios: HerdScenario[] = [];
    proxy = await startRequestLogProxy(serverUrl);
    for (const scenario of SCENARIOS) {
      const keys = scenario.ids === 'same' ? same : distinct;
      scenarios.push(await runScenario(target, session, network, proxy, scenario, keys, value, plan, throttledStatus));
    }
    await proxy.close();
    if (network.throttling) {
      // Under a rate limit: when throttling starts, and what the lookups that meet it come back with.
      const limited = `${keyPrefix}_limited`;
      await session.fixtures.putVariable(limited, value(limited));
      const limit = await network.throttling.limitVariableRate(environment, limited, HERD_RATE_LIMIT);
      try {
        proxy = await startRequestLogProxy(serverUrl, limit.answer ? { answer: limit.answer } : {});
        const spec: ScenarioSpec = { ids: 'same', cache: false, rateLimit: HERD_RATE_LIMIT };
        scenarios.push(await runScenario(target, session, network, proxy, spec, [limited], value, plan, throttledStatus));
      } finally {
        await limit.release();
      }
    }
    return { target: target.name, searchPath, scenarios };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { target: target.name, searchPath, scenarios: [], notRun: `not run: ${message.replace(/\s*\n\s*/g, ' ')}` };
  } finally {
    await proxy?.close();
    await session?.close().catch(() => undefined);
  }
}
