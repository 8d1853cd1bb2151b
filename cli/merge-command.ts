/**
 * `secrets-conformance merge <dir>... [--out=DIR]`: the reports of several runs (a CI matrix's
 * family jobs, each folder holding a results.json) as one report and one certificate, written to
 * DIR (default reports/merged). Exit 0 when the merged verdict passes, 1 when it does not.
 */
import { resolve } from 'node:path';
import { loadRun, mergeRuns } from '../reports/merge';
import { writeRunReports } from '../reports/publish';
import { newRunId } from '../targets/run-environment';
import { UsageError } from './usage-error';

const USAGE = 'secrets-conformance merge <reports dir> <reports dir>... [--out=DIR]';

export async function mergeCommand(args: string[]): Promise<number> {
  let out = 'reports/merged';
  const dirs: string[] = [];
  for (const arg of args) {
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`usage: ${USAGE}\n`);
      return 0;
    }
    const flag = /^--out=(.+)$/.exec(arg);
    if (flag?.[1]) out = flag[1];
    else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}; usage: ${USAGE}`);
    else dirs.push(arg);
  }
  if (dirs.length === 0) throw new UsageError(`give the reports folders to merge; usage: ${USAGE}`);
  const runs = [];
  for (const dir of dirs) runs.push(await loadRun(resolve(dir)));
  const merged = mergeRuns(runs, `merged-${newRunId()}`);
  const outDir = resolve(out);
  await writeRunReports(merged, outDir);
  const provisioning = [...new Set(merged.targets.map((t) => `${t.name} (${t.provisioning ?? 'not run'})`))].join(', ');
  process.stdout.write(
    [
      `Merged ${runs.length} runs: ${merged.targets.length} targets, ${merged.verdict.executedCases} cases executed, ` +
        `${merged.cases.filter((c) => c.status === 'fail').length} failed, ${merged.cases.filter((c) => c.status === 'finding').length} findings`,
      `Targets: ${provisioning}`,
      `Reports: ${outDir}`,
      `Result: ${merged.verdict.passed ? 'PASS' : `FAIL: ${merged.verdict.problems.join('; ')}`}`,
      '',
    ].join('\n'),
  );
  return merged.verdict.passed ? 0 : 1;
}
