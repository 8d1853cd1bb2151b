/**
 * Known findings: a case a target declares it fails (Airflow's own backend breaking a rule, with
 * the provider code that does it). The case still runs; failing as declared is a finding, passing
 * means the declaration is out of date, which fails the case so the list stays true.
 */
import { firstErrorLine } from '../model/errors';

/** Awaits a case declared as a known finding: resolves with what was observed, or throws if it passed. */
export async function expectDeclaredFinding(running: Promise<void>, reason: string, target: string): Promise<{ reason: string; observed: string }> {
  const observed = await running.then(
    () => null,
    (error: unknown) => firstErrorLine(error),
  );
  if (observed === null) {
    throw new Error(`known finding no longer reproduces, so the declaration is out of date: ${reason}; remove it from ${target}'s knownFindings`);
  }
  return { reason, observed };
}

/** The key a target's `knownFindings` uses for a case: `<suite id> › <case name>`. */
export function findingKey(suiteId: string, caseName: string): string {
  return `${suiteId} › ${caseName}`;
}
