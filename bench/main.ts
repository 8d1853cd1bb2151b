/**
 * `npm run bench`: harness speed and backend cost side by side, in one run, reported as ratios.
 * Writes reports/bench/<run>/ (bench.json, bench.md, latency.svg, latency.png) and a copy in
 * reports/bench/latest/. Goals are reported, never enforced: the exit code is 0 unless the bench
 * itself could not run or the canary shows up in what it wrote.
 *
 *   npm run bench [-- --skip-harness] [-- --families=env,vault] [-- --cold-ci]
 *   npm run bench -- --load [--lookups=200] [--soak-seconds=180]   the herd and the soak instead (bench/run-load.ts)
 */
import { pathToFileURL } from 'node:url';
import { newCanary, newRunId } from '../targets/run-environment';
import { UsageError } from '../cli/usage-error';
import { buildRegistry } from '../runner/run-selection';
import type { BenchFlags } from './run-bench';
import { MUTANT_FAMILY } from '../targets/registry';

/** Every family a warm `npm test -- --backend=<family>` can be timed for: the registry's, mutants aside. */
export const HARNESS_FAMILIES: readonly string[] = buildRegistry()
  .familyNames()
  .filter((family) => family !== MUTANT_FAMILY);

const USAGE =
  `npm run bench [-- --skip-harness] [-- --families=${HARNESS_FAMILIES.join(',')}] [-- --cold-ci]\n` +
  '       npm run bench -- --load [--lookups=200] [--soak-seconds=180]';

export interface LoadFlags {
  readonly lookups: number;
  readonly soakSeconds: number;
}

/** `--load [--lookups=N] [--soak-seconds=S]`: the herd's and the soak's options, or null when the arguments ask for the ordinary bench. */
export function parseLoadFlags(args: readonly string[]): LoadFlags | null {
  if (!args.includes('--load')) return null;
  let lookups = 200;
  let soakSeconds = 180;
  for (const arg of args) {
    if (arg === '--load') continue;
    if (arg.startsWith('--soak-seconds=')) {
      soakSeconds = Number(arg.slice('--soak-seconds='.length));
      if (!Number.isInteger(soakSeconds) || soakSeconds < 0 || soakSeconds > 3600) {
        throw new UsageError(`--soak-seconds takes a whole number from 0 to 3600; usage: ${USAGE}`);
      }
    } else if (arg.startsWith('--lookups=')) {
      lookups = Number(arg.slice('--lookups='.length));
      if (!Number.isInteger(lookups) || lookups < 1 || lookups > 10_000) {
        throw new UsageError(`--lookups takes a whole number from 1 to 10000; usage: ${USAGE}`);
      }
    } else throw new UsageError(`"${arg}" does not go with --load; usage: ${USAGE}`);
  }
  return { lookups, soakSeconds };
}

export function parseBenchFlags(args: readonly string[]): BenchFlags {
  let coldCi = false;
  let harness = true;
  let families: string[] = [...HARNESS_FAMILIES];
  for (const arg of args) {
    if (arg === '--cold-ci') coldCi = true;
    else if (arg === '--skip-harness') harness = false;
    else if (arg.startsWith('--families=')) {
      families = arg
        .slice('--families='.length)
        .split(',')
        .map((one) => one.trim())
        .filter((one) => one !== '');
      const unknown = families.filter((one) => !HARNESS_FAMILIES.includes(one));
      if (families.length === 0 || unknown.length > 0) {
        throw new UsageError(
          `--families takes ${HARNESS_FAMILIES.join(', ')}${unknown.length > 0 ? `, not ${unknown.join(', ')}` : ''}; usage: ${USAGE}`,
        );
      }
    } else throw new UsageError(`unknown argument "${arg}"; usage: ${USAGE}`);
  }
  return { coldCi, harness, families };
}

export async function main(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`usage: ${USAGE}\n`);
    return 0;
  }
  let flags: BenchFlags;
  let load: LoadFlags | null;
  try {
    load = parseLoadFlags(args);
    flags = load ? { coldCi: false, harness: false, families: [] } : parseBenchFlags(args);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`UsageError: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  // Before any target module loads: every credential and value the targets make carries it.
  process.env.ASC_CANARY ||= newCanary();
  if (load) {
    const { runLoadBench } = await import('./run-load');
    return runLoadBench(newRunId(), load.lookups, load.soakSeconds);
  }
  const { runBench } = await import('./run-bench');
  return runBench(flags, newRunId());
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
