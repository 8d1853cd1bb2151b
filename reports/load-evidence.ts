/**
 * The soak verdicts of `npm run bench -- --load`, for the certificate's Resilience level. A soak runs
 * for minutes per target, so it is not part of a conformance run; the certificate takes the latest
 * load bench's verdicts when that bench ran on the same commit, and says "not run" otherwise.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SoakVerdict {
  readonly target: string;
  readonly verdict: 'held' | 'leaked' | 'not-run';
  /** The numbers behind the verdict, or why the soak did not run. */
  readonly detail: string;
}

export interface LoadEvidence {
  readonly benchRun: string;
  readonly commit: string;
  readonly finishedAt: string;
  readonly soakSeconds: number;
  readonly soak: readonly SoakVerdict[];
}

/** What a load bench's bench.json holds that the certificate reads. */
interface LoadBenchFile {
  readonly kind?: unknown;
  readonly runId?: unknown;
  readonly commit?: unknown;
  readonly finishedAt?: unknown;
  readonly options?: { readonly soakSeconds?: unknown };
  readonly soak?: ReadonlyArray<{
    readonly target: string;
    readonly lookups: number;
    readonly answered: number;
    readonly faultsApplied: number;
    readonly leaks: readonly string[];
    readonly notRun?: string;
  }>;
}

/** The commit checked out at `root`, or null outside a git work tree. */
export function currentCommit(root: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

/** The soak verdicts of `<benchRoot>/latest/bench.json` when it is a load bench of `commit`; null otherwise. */
export function readLoadEvidence(benchRoot: string, commit: string | null): LoadEvidence | null {
  const file = join(benchRoot, 'latest', 'bench.json');
  if (commit === null || !existsSync(file)) return null;
  let bench: LoadBenchFile;
  try {
    bench = JSON.parse(readFileSync(file, 'utf8')) as LoadBenchFile;
  } catch {
    return null;
  }
  if (bench.kind !== 'load' || bench.commit !== commit || !Array.isArray(bench.soak) || bench.soak.length === 0) return null;
  return {
    benchRun: String(bench.runId),
    commit,
    finishedAt: String(bench.finishedAt),
    soakSeconds: Number(bench.options?.soakSeconds ?? 0),
    soak: bench.soak.map((one): SoakVerdict => {
      if (one.notRun) return { target: one.target, verdict: 'not-run', detail: one.notRun };
      const counts = `${one.lookups} lookups (${one.answered} answered) while ${one.faultsApplied} Toxiproxy faults came and went`;
      if (one.leaks.length > 0) return { target: one.target, verdict: 'leaked', detail: `${counts}; grew beyond noise: ${one.leaks.join('; ')}` };
      return { target: one.target, verdict: 'held', detail: `${counts}; descriptors, sockets, heap and child processes back within noise` };
    }),
  };
}

/** The certificate's soak line for `target`, or null when the target has no soak to speak of. */
export function soakLine(load: LoadEvidence | undefined, target: string, networked: boolean): string | null {
  if (!load) {
    return networked
      ? 'soak: not run: no `npm run bench -- --load` of this commit in reports/bench/latest/; run it, then this command, to add the soak verdict'
      : null;
  }
  const one = load.soak.find((soak) => soak.target === target);
  if (!one) return networked ? `soak: not run: load bench ${load.benchRun} did not soak ${target}` : null;
  const source = `load bench ${load.benchRun}, ${load.soakSeconds} s per target`;
  if (one.verdict === 'not-run') return `soak (${source}): not run: ${one.detail}`;
  return `soak (${source}): ${one.verdict === 'held' ? '✓ held' : '✗ LEAKED'}: ${one.detail}`;
}
