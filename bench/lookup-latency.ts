/**
 * Measurement 1: lookup latency of one variable, four ways, per target:
 *   (a) the raw client call, (b) our reference backend uncached, (c) the search path on a cache
 *   hit, (d) Airflow's own backend through the bridge (where the target has an Airflow twin),
 * plus the bridge's share of (d): round trip minus the time the bridge spent inside Airflow.
 *
 * Each ratio comes from one pass that samples its two paths interleaved: (a) with (b), and (b)
 * again with (d). A cache hit does no I/O and is timed back to back in a pass of its own: timed
 * between I/O paths it runs on CPU caches the I/O (client, server, bridge, all on two cores) has
 * just cooled, and measures its neighbours more than itself (3 to 10 times its own cost here).
 */
import type { CommandBackend } from '../targets/command-backend';
import type { SecretsBackend } from '../model/contract';
import { SecretCache } from '../model/secret-cache';
import { SearchPath } from '../model/search-path';
import type { TargetDefinition, TargetEnvironment, TargetSession } from '../suites/target';
import { profileCalls, type ProfileDigest } from './cpu-profile';
import { sampleInterleaved, type Sampled, type TimedPath } from './interleaved-sampler';
import type { RawClient } from '../targets/family';
import { ratio, summarize, type LatencySummary } from './stats';

export type PathId = 'raw' | 'reference' | 'cache-hit' | 'airflow';

export const PATH_IDS: readonly PathId[] = ['raw', 'reference', 'cache-hit', 'airflow'];

export const PATH_LABELS: Readonly<Record<PathId, string>> = {
  raw: '(a) raw client call',
  reference: '(b) reference backend, uncached',
  'cache-hit': '(c) search path, cache hit',
  airflow: '(d) Airflow backend via the bridge',
};

export interface PathLatency {
  readonly path: PathId;
  /** The call behind the path: `node-vault read`, `VaultBackend.getVariable`. */
  readonly what: string;
  readonly latency: LatencySummary | null;
  /** Why the path has no figures: `not run: ...`. */
  readonly notRun?: string;
}

export interface BridgeOverhead {
  /** From writing the request line to reading the answer line. */
  readonly roundTrip: LatencySummary;
  /** What the bridge reports spending inside Airflow's backend method. */
  readonly insideAirflow: LatencySummary;
  /** Per call: round trip minus inside Airflow (pipes, JSON, the bridge's own Python). */
  readonly bridge: LatencySummary;
  /** Per call: (d) minus the round trip (our CommandBackend: env mirroring, handle, answer checks). */
  readonly nodeSide: LatencySummary;
}

export interface HeadlineRatios {
  /** p50 (b) / p50 (a): what the reference adds over the client. */
  readonly referenceOverRaw: number | null;
  /** p50 (c) / p50 (b): a cache hit relative to an uncached lookup. */
  readonly cacheHitOverReference: number | null;
  /** p50 (d) / p50 (b): Airflow through the bridge relative to the reference. */
  readonly airflowOverReference: number | null;
}

export interface Pass {
  readonly rounds: number;
  readonly stoppedBy: 'rounds' | 'time';
}

export interface TargetLatency {
  readonly target: string;
  readonly airflowTwin: string | null;
  /** (a) and (b) from the first pass, (c) back to back, (d) from the pass beside (b). */
  readonly paths: readonly PathLatency[];
  readonly ratios: HeadlineRatios;
  readonly bridge: BridgeOverhead | null;
  /** (b) as sampled in the pass beside (d): the denominator of d/b. */
  readonly referenceBesideAirflow: LatencySummary | null;
  /** For a synchronous raw call: the same call behind a Promise, sampled with (a) and (b). */
  readonly rawInAsyncFunction?: LatencySummary;
  readonly passes: { readonly direct: Pass | null; readonly cacheHit: Pass | null; readonly bridged: Pass | null };
  readonly warmupRounds: number;
  /** Upstream HTTP requests the reference sent per lookup (networked backends). */
  readonly referenceRequestsPerLookup: number | null;
  /** Where (b) and (a) spend their CPU, when (b) missed its goal. */
  readonly profiles?: { readonly raw: ProfileDigest; readonly reference: ProfileDigest };
  readonly notRun?: string;
}

export interface LatencyPlan {
  readonly target: TargetDefinition;
  readonly twin: TargetDefinition | null;
  /** The plain client call (a) on the target's store, from its family; none: (a) is not run. */
  readonly rawClient: ((target: TargetDefinition, session: TargetSession, key: string) => Promise<RawClient>) | null;
  /** Rounds kept; networked stores take fewer (each round costs milliseconds). */
  readonly rounds: number;
  readonly warmupRounds: number;
  readonly budgetMs: number;
  /** The store is reached over the network: its raw and reference calls end in socket callbacks. */
  readonly networked: boolean;
}

const PROFILE_CALLS = 200_000;
const PROFILE_BUDGET_MS = 2_000;
const BACK_TO_BACK = { warmupRounds: 500, rounds: 5_000, budgetMs: 5_000 } as const;

function notRunMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `not run: ${message.replace(/\s*\n\s*/g, ' ')}`;
}

type BridgedBackend = SecretsBackend & Partial<Pick<CommandBackend, 'lastRoundTrip'>>;

/** The Airflow twin's backend on the same store, or why there is none. */
async function openTwin(
  twin: TargetDefinition | null,
  target: TargetDefinition,
  environment: TargetEnvironment,
  key: string,
  value: string,
  sessions: TargetSession[],
): Promise<{ backend: BridgedBackend; what: string } | { notRun: string }> {
  if (!twin) return { notRun: `not run: no Airflow twin reads the ${target.name} layout` };
  try {
    const session = await twin.open(environment);
    sessions.push(session);
    await session.fixtures.putVariable(key, value);
    return { backend: session.backend() as BridgedBackend, what: `${twin.backendKind.split('.').pop()}.get_variable via the bridge` };
  } catch (error) {
    return { notRun: notRunMessage(error) };
  }
}

function latencyOf(sampled: Sampled<string> | null, id: string): LatencySummary | null {
  const samples = sampled?.samplesMs[id];
  return samples && samples.length > 0 ? summarize(samples) : null;
}

function passOf(sampled: Sampled<string> | null): Pass | null {
  return sampled ? { rounds: sampled.rounds, stoppedBy: sampled.stoppedBy } : null;
}

/** Measures one target; a failure anywhere is that target's `notRun`, never the bench's end. */
export async function measureTargetLatency(
  plan: LatencyPlan,
  environment: TargetEnvironment,
  key: string,
  value: string,
  options: { profileWhenOver?: number } = {},
): Promise<TargetLatency> {
  const { target, twin } = plan;
  const bounds = { warmupRounds: plan.warmupRounds, rounds: plan.rounds, budgetMs: plan.budgetMs };
  const sessions: TargetSession[] = [];
  let raw: RawClient | null = null;
  try {
    const session = await target.open(environment);
    sessions.push(session);
    await session.fixtures.putVariable(key, value);
    raw = plan.rawClient ? await plan.rawClient(target, session, key) : null;

    const reference = session.backend();
    // A first lookup logs in and opens the connection, so the request count below is per lookup.
    await reference.getVariable(key);
    const requestsBefore = reference.requestsSent;
    let referenceCalls = 0;
    const referencePath: TimedPath = {
      id: 'reference',
      expected: value,
      ioTail: plan.networked,
      call: () => {
        referenceCalls += 1;
        return reference.getVariable(key);
      },
    };

    const direct: TimedPath[] = [referencePath];
    if (raw) direct.unshift({ id: 'raw', call: raw.read, expected: value, ioTail: plan.networked });
    // A synchronous raw call (process.env) is no floor for an async contract: the same call
    // behind a Promise tells the contract's cost from the backend's.
    if (raw?.synchronous) {
      const rawRead = raw.read;
      direct.push({ id: 'raw-async', call: async () => rawRead(), expected: value });
    }
    const directPass = await sampleInterleaved(direct, bounds);

    const searchPath = new SearchPath([session.backend()], { cache: new SecretCache({ enabled: true }) });
    // The first lookup fills the cache; every timed one is a hit.
    await searchPath.getVariable(key);
    const cacheHitPass = await sampleInterleaved([{ id: 'cache-hit', call: () => searchPath.getVariable(key), expected: value }], {
      ...BACK_TO_BACK,
      budgetMs: Math.min(BACK_TO_BACK.budgetMs, plan.budgetMs),
    });

    const roundTrips: number[] = [];
    const inside: number[] = [];
    const bridgeShare: number[] = [];
    const nodeSide: number[] = [];
    const bridged = await openTwin(twin, target, environment, key, value, sessions);
    let bridgedPass: Sampled<string> | null = null;
    if ('backend' in bridged) {
      const backend = bridged.backend;
      const airflowPath: TimedPath = {
        id: 'airflow',
        expected: value,
        ioTail: true,
        call: () => backend.getVariable(key),
        afterEach: (elapsed) => {
          const trip = backend.lastRoundTrip;
          if (!trip || trip.backendMs === null) return;
          roundTrips.push(trip.ms);
          inside.push(trip.backendMs);
          bridgeShare.push(Math.max(0, trip.ms - trip.backendMs));
          nodeSide.push(Math.max(0, elapsed - trip.ms));
        },
      };
      bridgedPass = await sampleInterleaved([referencePath, airflowPath], bounds);
    }
    const requestsAfter = reference.requestsSent;

    const paths: PathLatency[] = [
      raw
        ? { path: 'raw', what: raw.what, latency: latencyOf(directPass, 'raw') }
        : { path: 'raw', what: '', latency: null, notRun: `not run: the bench has no raw client for the ${target.family} family` },
      { path: 'reference', what: `${reference.kind}.getVariable`, latency: latencyOf(directPass, 'reference') },
      { path: 'cache-hit', what: 'SearchPath.getVariable, a SecretCache hit, back to back', latency: latencyOf(cacheHitPass, 'cache-hit') },
      'backend' in bridged
        ? { path: 'airflow', what: bridged.what, latency: latencyOf(bridgedPass, 'airflow') }
        : { path: 'airflow', what: '', latency: null, notRun: bridged.notRun },
    ];
    const p50 = (id: PathId) => paths.find((one) => one.path === id)?.latency?.p50Ms ?? null;
    const referenceBesideAirflow = latencyOf(bridgedPass, 'reference');
    const ratios: HeadlineRatios = {
      referenceOverRaw: ratio(p50('reference'), p50('raw')),
      cacheHitOverReference: ratio(p50('cache-hit'), p50('reference')),
      airflowOverReference: ratio(p50('airflow'), referenceBesideAirflow?.p50Ms),
    };
    const bridge: BridgeOverhead | null =
      roundTrips.length > 0
        ? { roundTrip: summarize(roundTrips), insideAirflow: summarize(inside), bridge: summarize(bridgeShare), nodeSide: summarize(nodeSide) }
        : null;

    let profiles: TargetLatency['profiles'];
    if (raw && options.profileWhenOver !== undefined && ratios.referenceOverRaw !== null && ratios.referenceOverRaw > options.profileWhenOver) {
      profiles = {
        raw: await profileCalls(raw.read, PROFILE_CALLS, PROFILE_BUDGET_MS),
        reference: await profileCalls(() => reference.getVariable(key), PROFILE_CALLS, PROFILE_BUDGET_MS),
      };
    }
    const rawAsync = latencyOf(directPass, 'raw-async');

    return {
      target: target.name,
      airflowTwin: twin?.name ?? null,
      paths,
      ratios,
      bridge,
      referenceBesideAirflow,
      ...(rawAsync ? { rawInAsyncFunction: rawAsync } : {}),
      passes: { direct: passOf(directPass), cacheHit: passOf(cacheHitPass), bridged: passOf(bridgedPass) },
      warmupRounds: plan.warmupRounds,
      referenceRequestsPerLookup:
        requestsBefore === undefined || requestsAfter === undefined || referenceCalls === 0
          ? null
          : (requestsAfter - requestsBefore) / referenceCalls,
      ...(profiles ? { profiles } : {}),
    };
  } catch (error) {
    const notRun = notRunMessage(error);
    return {
      target: target.name,
      airflowTwin: twin?.name ?? null,
      paths: PATH_IDS.map((path) => ({ path, what: '', latency: null, notRun })),
      ratios: { referenceOverRaw: null, cacheHitOverReference: null, airflowOverReference: null },
      bridge: null,
      referenceBesideAirflow: null,
      passes: { direct: null, cacheHit: null, bridged: null },
      warmupRounds: plan.warmupRounds,
      referenceRequestsPerLookup: null,
      notRun,
    };
  } finally {
    raw?.close();
    for (const session of sessions.reverse()) await session.close().catch(() => {});
  }
}
