/**
 * The soak: lookups without pause for a while through a Toxiproxy proxy whose faults (connections
 * reset, latency past the timeout, the server down) come and go, then the process's resources
 * compared with what they were before: open descriptors, sockets, resident memory, child processes
 * and their descriptors (the Airflow bridge, the local servers). Growth beyond noise is a leak.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as pause } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { SecretsBackend } from '../model/contract';
import { endpointOf } from '../containers/contract';
import { createProxy, toxiproxyServer, type CreatedProxy } from '../containers/toxiproxy';
import type { TargetDefinition, TargetEnvironment, TargetSession } from '../suites/target';

export interface SoakPlan {
  readonly durationMs: number;
  /** Lookups in flight at once. */
  readonly concurrency: number;
  /** One fault on for half of this, off for the other half, then the next fault. */
  readonly faultPeriodMs: number;
  readonly attemptTimeoutSeconds: number;
}

export interface ResourceSnapshot {
  readonly fds: number;
  readonly sockets: number;
  /** The JS heap in use right after a full collection: what a leak of objects grows. */
  readonly heapMiB: number;
  /** Resident memory: V8 keeps what it grew into, so this moves more than the heap does. */
  readonly rssMiB: number;
  readonly children: number;
  readonly childFds: number;
}

/** Growth allowed between the snapshots: pools and GC move these a little on their own. */
export const SOAK_NOISE: ResourceSnapshot = { fds: 16, sockets: 16, heapMiB: 16, rssMiB: 192, children: 0, childFds: 32 };

/** A full collection, so the heap figure is what is still referenced (the bench has no --expose-gc of its own). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

export interface TargetSoak {
  readonly target: string;
  readonly durationMs: number;
  readonly lookups: number;
  readonly answered: number;
  readonly failures: Readonly<Record<string, number>>;
  readonly faultsApplied: number;
  readonly before: ResourceSnapshot | null;
  readonly after: ResourceSnapshot | null;
  /** What grew beyond `SOAK_NOISE`, with the numbers; empty: nothing leaked. */
  readonly leaks: readonly string[];
  readonly notRun?: string;
}

function countFds(pid: number | 'self'): { fds: number; sockets: number } {
  let fds = 0;
  let sockets = 0;
  for (const entry of readdirSync(`/proc/${pid}/fd`)) {
    fds += 1;
    try {
      if (readlinkSync(`/proc/${pid}/fd/${entry}`).startsWith('socket:')) sockets += 1;
    } catch {
      // Closed between the listing and the look.
    }
  }
  return { fds, sockets };
}

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The fields after the command (which may hold spaces) start after the last ')': state, ppid, ...
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // Gone between the listing and the read.
    }
  }
  return children;
}

export function snapshot(): ResourceSnapshot {
  const own = countFds('self');
  const children = childrenOf(process.pid);
  let childFds = 0;
  for (const child of children) {
    try {
      childFds += countFds(child).fds;
    } catch {
      // Ended, or not ours to read.
    }
  }
  collectGarbage();
  const memory = process.memoryUsage();
  return { ...own, heapMiB: memory.heapUsed / 2 ** 20, rssMiB: memory.rss / 2 ** 20, children: children.length, childFds };
}

export function leaksBetween(before: ResourceSnapshot, after: ResourceSnapshot, noise: ResourceSnapshot = SOAK_NOISE): string[] {
  const leaks: string[] = [];
  for (const key of Object.keys(noise) as Array<keyof ResourceSnapshot>) {
    const growth = after[key] - before[key];
    if (growth > noise[key]) {
      leaks.push(
        `${key} ${before[key].toFixed(key === 'rssMiB' ? 1 : 0)} → ${after[key].toFixed(key === 'rssMiB' ? 1 : 0)} (+${growth.toFixed(key === 'rssMiB' ? 1 : 0)}, noise ${noise[key]})`,
      );
    }
  }
  return leaks;
}

type Fault = (proxy: CreatedProxy) => Promise<() => Promise<void>>;

const FAULTS: readonly Fault[] = [
  async (proxy) => {
    const toxic = await proxy.proxy.addToxic({
      name: 'soak_reset',
      type: 'reset_peer',
      stream: 'downstream',
      toxicity: 1,
      attributes: { timeout: 0 },
    });
    return () => toxic.remove();
  },
  async (proxy) => {
    const toxic = await proxy.proxy.addToxic({
      name: 'soak_latency',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 2_000, jitter: 0 },
    });
    return () => toxic.remove();
  },
  async (proxy) => {
    await proxy.setEnabled(false);
    return () => proxy.setEnabled(true);
  },
];

async function lookupsUntil(
  backend: SecretsBackend,
  key: string,
  expected: string,
  until: () => boolean,
  tally: { lookups: number; answered: number; failures: Record<string, number> },
) {
  // Bounded by the clock the caller checks; every lookup ends within its backend's timeouts.
  while (!until()) {
    tally.lookups += 1;
    try {
      const value = await backend.getVariable(key);
      if (value === expected) tally.answered += 1;
      else tally.failures[value === null ? 'not found' : 'wrong value'] = (tally.failures[value === null ? 'not found' : 'wrong value'] ?? 0) + 1;
    } catch (error) {
      const name = error instanceof Error ? error.name : 'unknown';
      tally.failures[name] = (tally.failures[name] ?? 0) + 1;
    }
  }
}

/** One target's soak; a failure to set up is its `notRun`, never the bench's end. */
export async function soakTarget(
  target: TargetDefinition,
  environment: TargetEnvironment,
  key: string,
  value: string,
  plan: SoakPlan,
): Promise<TargetSoak> {
  const empty = { target: target.name, durationMs: 0, lookups: 0, answered: 0, failures: {}, faultsApplied: 0, before: null, after: null, leaks: [] };
  let session: TargetSession | null = null;
  let proxy: CreatedProxy | null = null;
  try {
    const network = target.network;
    const toxiproxy = endpointOf(environment.servers, toxiproxyServer);
    const server = network ? endpointOf(environment.servers, network.server) : undefined;
    if (!network || !toxiproxy || !server) throw new Error(`${target.name} has no server or Toxiproxy in this run`);
    session = await target.open(environment);
    await session.fixtures.putVariable(key, value);
    proxy = await createProxy(toxiproxy, { name: `soak_${key}`, upstream: server });
    const backend = session.backend({ ...network.addressKwargs(proxy.address), ...network.timeoutKwargs(plan.attemptTimeoutSeconds) });
    const tally = { lookups: 0, answered: 0, failures: {} as Record<string, number> };
    // Warm: the login, the pools, the bridge process, before the first snapshot.
    const warmUntil = performance.now() + 2_000;
    await Promise.all(
      Array.from({ length: plan.concurrency }, () =>
        lookupsUntil(backend, key, value, () => performance.now() > warmUntil, { lookups: 0, answered: 0, failures: {} }),
      ),
    );
    const before = snapshot();

    const started = performance.now();
    const end = started + plan.durationMs;
    let faultsApplied = 0;
    const faulting = (async () => {
      for (let index = 0; performance.now() + plan.faultPeriodMs <= end; index += 1) {
        const remove = await (FAULTS[index % FAULTS.length] as Fault)(proxy as CreatedProxy);
        faultsApplied += 1;
        await pause(plan.faultPeriodMs / 2);
        await remove();
        await pause(plan.faultPeriodMs / 2);
      }
    })();
    await Promise.all([
      faulting,
      ...Array.from({ length: plan.concurrency }, () => lookupsUntil(backend, key, value, () => performance.now() > end, tally)),
    ]);
    const durationMs = performance.now() - started;
    // Settle with the faults gone: the same steady state as before the soak.
    const settleUntil = performance.now() + 2_000;
    await Promise.all(
      Array.from({ length: plan.concurrency }, () =>
        lookupsUntil(backend, key, value, () => performance.now() > settleUntil, { lookups: 0, answered: 0, failures: {} }),
      ),
    );
    const after = snapshot();
    return { target: target.name, durationMs, ...tally, faultsApplied, before, after, leaks: leaksBetween(before, after) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ...empty, notRun: `not run: ${message.replace(/\s*\n\s*/g, ' ')}` };
  } finally {
    await proxy?.remove().catch(() => undefined);
    await session?.close().catch(() => undefined);
  }
}
