/**
 * Which targets and suites a run covers. The command line, the global setup and the vitest entry
 * all resolve the selection here, so they cannot disagree.
 */
import { ConfigurationError } from '../backends/errors';
import { resolveTargets, targets } from '../targets/index';
import type { TargetDefinition } from '../targets/target';
import { suites } from './index';
import type { Suite } from './suite';

/** Mutants are broken on purpose: they run only when named. */
export function isMutantTarget(target: Pick<TargetDefinition, 'name'>): boolean {
  return target.name.startsWith('mutant:');
}

/** Every registered target except the mutants. */
export function defaultTargetNames(): string[] {
  return targets.filter((target) => !isMutantTarget(target)).map((target) => target.name);
}

/** Names and family names in, targets out; `null` means the default selection. */
export function selectTargets(selection: readonly string[] | null): TargetDefinition[] {
  return resolveTargets(selection ?? defaultTargetNames());
}

export function selectSuites(selection: readonly string[] | null): Suite[] {
  if (selection === null) return [...suites];
  const chosen: Suite[] = [];
  for (const id of selection) {
    const suite = suites.find((candidate) => candidate.id === id);
    if (!suite) {
      const known = suites.map((candidate) => candidate.id).join(', ') || '(none registered yet)';
      throw new ConfigurationError(`unknown suite "${id}"; known suites: ${known}`, {
        where: 'suites/index.ts',
        hint: 'pass --suite with ids from that list, comma-separated',
      });
    }
    if (!chosen.includes(suite)) chosen.push(suite);
  }
  return chosen;
}
