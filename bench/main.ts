/**
 * `npm run bench`: harness speed and backend cost side by side, in one run, reported as ratios.
 * Writes reports/bench/<run>/ (bench.json, bench.md, latency.svg, latency.png) and a copy in
 * reports/bench/latest/. Goals are reported, never enforced: the exit code is 0 unless the bench
 * itself could not run or the canary shows up in what it wrote.
 *
 *   npm run bench [-- --skip-harness] [-- --families=env,vault] [-- --cold-ci]
 */
import { pathToFileURL } from 'node:url';
import { newCanary, newRunId } from '../cli/run-environment';
import { UsageError } from '../cli/usage-error';
import { buildRegistry } from '../suites/run-selection';
import type { BenchFlags } from './run-bench';
import { MUTANT_FAMILY } from '../targets/registry';

/** Every family a warm `npm test -- --backend=<family>` can be timed for: the registry's, mutants aside. */
export const HARNESS_FAMILIES: readonly string[] = buildRegistry()
  .familyNames()
  .filter((family) => family !== MUTANT_FAMILY);

const USAGE = `npm run bench [-- --skip-harness] [-- --families=${HARNESS_FAMILIES.join(',')}] [-- --cold-ci]`;

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
  try {
    flags = parseBenchFlags(args);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`UsageError: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  // Before any target module loads: every credential and value the targets make carries it.
  process.env.ASC_CANARY ||= newCanary();
  const { runBench } = await import('./run-bench');
  return runBench(flags, newRunId());
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
