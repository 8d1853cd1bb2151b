/**
 * `secrets-conformance families [--json]`: the backend families a run can certify, as registered in
 * backends/families.ts plus `airflow` (every family's Airflow twins). CI builds its matrix from
 * `--json`, so a new family needs no edit of the workflow.
 */
import { CUSTOM_FAMILY } from '../targets/custom-targets';
import { MUTANT_FAMILY } from '../targets/registry';
import { buildRegistry } from '../runner/run-selection';
import { UsageError } from './usage-error';

/** The families CI certifies: every registered one but the mutants and command-line backends. */
export function certifiedFamilies(): string[] {
  return buildRegistry()
    .familyNames()
    .filter((family) => family !== MUTANT_FAMILY && family !== CUSTOM_FAMILY);
}

export async function familiesCommand(args: string[]): Promise<number> {
  const unknown = args.filter((arg) => arg !== '--json');
  if (unknown.length > 0) throw new UsageError(`unexpected argument "${unknown[0]}"; usage: secrets-conformance families [--json]`);
  const families = certifiedFamilies();
  process.stdout.write(args.includes('--json') ? `${JSON.stringify(families)}\n` : `${families.join('\n')}\n`);
  return 0;
}
