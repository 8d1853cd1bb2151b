/**
 * Where a lookup path spends its CPU: V8's sampling profiler (what `node --cpu-prof` records) run
 * in-process around a bounded number of calls, boiled down to self time per module and per
 * function. Used to explain a missed goal with data, not guesses.
 */
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';

/** The parts of a `Profiler.Profile` this reads. */
export interface CpuProfile {
  readonly nodes: ReadonlyArray<{
    readonly id: number;
    readonly hitCount?: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  }>;
  readonly samples?: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface SelfTimeShare {
  /** A module (`axios`, `node:http`, `backends/vault.ts`) or a function in one (`read (backends/vault.ts:12)`). */
  readonly name: string;
  /** Share of all samples, 0..1. */
  readonly share: number;
}

export interface ProfileDigest {
  readonly calls: number;
  /** Samples in which the thread was busy (not idle, waiting for the server), 0..1. */
  readonly busyShare: number;
  /** Wall time of the profiled calls per call, profiler overhead included. */
  readonly msPerCall: number;
  readonly modules: readonly SelfTimeShare[];
  readonly functions: readonly SelfTimeShare[];
}

/** The module a script URL belongs to: the package under node_modules, a project file, or a Node built-in. */
export function moduleOf(url: string): string {
  if (url === '') return '(V8 native code, GC)';
  if (url.startsWith('node:')) return url.split('/')[0] as string;
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (packageMatch) return packageMatch[1] as string;
  const projectMatch = /\/(backends|bench|targets|suites|containers|reports|cli)\/([^/?]+)/.exec(url);
  if (projectMatch) return `${projectMatch[1]}/${projectMatch[2]}`;
  return url.replace(/^file:\/\//, '');
}

function shares(counts: Map<string, number>, total: number, limit: number): SelfTimeShare[] {
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, count]) => ({ name, share: total === 0 ? 0 : count / total }));
}

/** Self samples per module and per function, largest first. */
export function digestProfile(profile: CpuProfile, limit = 8): Pick<ProfileDigest, 'modules' | 'functions' | 'busyShare'> {
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle += hits;
      continue;
    }
    // `(program)` (native code V8 cannot attribute) and `(garbage collector)` are busy time too.
    total += hits;
    const module = moduleOf(url);
    byModule.set(module, (byModule.get(module) ?? 0) + hits);
    const fn = `${functionName || '(anonymous)'} (${module}${url ? `:${lineNumber + 1}` : ''})`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
  }
  const all = total + idle;
  return { busyShare: all === 0 ? 0 : total / all, modules: shares(byModule, total, limit), functions: shares(byFunction, total, limit) };
}

/** Profiles `calls` runs of `call` (fewer if `budgetMs` runs out) with a 50 µs sampling interval. */
export async function profileCalls(call: () => unknown, calls: number, budgetMs: number): Promise<ProfileDigest> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 50 });
    await session.post('Profiler.start');
    const started = performance.now();
    let done = 0;
    while (done < calls && performance.now() - started < budgetMs) {
      const pending = call();
      if (pending instanceof Promise) await pending;
      done += 1;
    }
    const elapsed = performance.now() - started;
    const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
    return { calls: done, msPerCall: done === 0 ? 0 : elapsed / done, ...digestProfile(profile) };
  } finally {
    await session.post('Profiler.disable').catch(() => {});
    session.disconnect();
  }
}
