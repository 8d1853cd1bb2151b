/**
 * Which targets and suites a run covers. The command line, the global setup and the vitest entry
 * all build the run's registry and resolve the selection here, so they cannot disagree.
 */
import { families } from '../backends/families';
import { ConfigurationError } from '../model/errors';
import { crossFamilyMutants } from '../mutants/index';
import { customSpecsFromEnvironment, targetsFromSpec, type CustomTargetSpec } from '../targets/custom-targets';
import { createTargetRegistry, MUTANT_FAMILY, type TargetRegistry } from '../targets/registry';
import type { TargetDefinition } from '../suites/target';
import { commonSuites } from '../suites/index';
import type { Suite } from '../suites/suite';

/**
 * The registry of every family, plus the custom targets in `customSpecs`; under `--provision=external`
 * (`external`), the families' external targets only.
 */
export function buildRegistry(customSpecs: readonly CustomTargetSpec[] = [], external = false): TargetRegistry {
  return createTargetRegistry({
    families,
    suites: commonSuites,
    mutants: crossFamilyMutants,
    custom: (layouts) => customSpecs.flatMap((spec) => targetsFromSpec(spec, layouts)),
    external,
  });
}

/** The registry of this run: the families, and the custom targets the runner resolved (`ASC_CUSTOM_TARGETS`). */
export function runRegistry(env: NodeJS.ProcessEnv = process.env): TargetRegistry {
  return buildRegistry(customSpecsFromEnvironment(env), env.ASC_PROVISION === 'external');
}

/** Mutants are broken on purpose: they run only when named. */
export function isMutantTarget(target: Pick<TargetDefinition, 'family'>): boolean {
  return target.family === MUTANT_FAMILY;
}

/** Names and family names in, targets out; `null` means the default selection. */
export function selectTargets(registry: TargetRegistry, selection: readonly string[] | null): TargetDefinition[] {
  return selection === null ? registry.defaultTargets() : registry.resolve(selection);
}

export function selectSuites(registry: TargetRegistry, selection: readonly string[] | null): Suite[] {
  const { suites } = registry;
  if (selection === null) return [...suites];
  const chosen: Suite[] = [];
  for (const id of selection) {
    const suite = suites.find((candidate) => candidate.id === id);
    if (!suite) {
      const known = suites.map((candidate) => candidate.id).join(', ') || '(none registered yet)';
      throw new ConfigurationError(`unknown suite "${id}"; known suites: ${known}`, {
        where: "suites/index.ts and the families' own suites",
        hint: 'pass --suite with ids from that list, comma-separated',
      });
    }
    if (!chosen.includes(suite)) chosen.push(suite);
  }
  return chosen;
}
