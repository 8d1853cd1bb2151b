/**
 * `secrets-conformance parity <container run> <native run>`: whether the container path and the
 * native path gave every case of the same targets the same outcome (reports/parity.ts). Writes
 * parity.md and parity.json beside the container run's reports; exit 1 on an unexplained difference
 * or when no target ran on both paths.
 *
 * `secrets-conformance parity --targets <container run>` prints, comma-separated, the targets whose
 * servers all ran as containers: the selection for the native run to compare with.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { loadRun } from '../reports/merge';
import { compareRuns, containerTargets, renderParityMarkdown } from '../reports/parity';
import { UsageError } from './usage-error';

const USAGE = 'secrets-conformance parity <container run dir> <native run dir> | parity --targets <container run dir>';

export async function parityCommand(args: string[]): Promise<number> {
  if (args[0] === '--targets') {
    if (!args[1] || args.length > 2) throw new UsageError(`usage: ${USAGE}`);
    const run = await loadRun(args[1]);
    const names = containerTargets(run.report);
    if (names.length === 0) {
      process.stderr.write(`secrets-conformance parity: no target of ${run.source} ran with all its servers as containers\n`);
      return 1;
    }
    process.stdout.write(`${names.join(',')}\n`);
    return 0;
  }
  if (args.length !== 2 || args.some((arg) => arg.startsWith('--'))) throw new UsageError(`usage: ${USAGE}`);
  const [docker, native] = [await loadRun(args[0]!), await loadRun(args[1]!)];
  const result = compareRuns(docker.report, native.report);
  const markdown = renderParityMarkdown(result, docker.source, native.source);
  const outDir = dirname(docker.source);
  await writeFile(join(outDir, 'parity.md'), markdown);
  await writeFile(join(outDir, 'parity.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(markdown);
  if (result.targets.length === 0) {
    process.stderr.write('secrets-conformance parity: no target ran on both paths; nothing was compared\n');
    return 1;
  }
  return result.unexplained === 0 ? 0 : 1;
}
