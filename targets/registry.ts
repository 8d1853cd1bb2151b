/**
 * The target registry of a run, built from explicit inputs: the backend families (their reference
 * targets, Airflow twins, layouts, suites and mutants), the suites that hold for every family, the
 * mutants that belong to none, and the custom targets the runner resolved from its command line.
 * Nothing is registered as a side effect of an import.
 */
import { ConfigurationError } from '../model/errors';
import { mutantsOn, type BasedMutantSpec } from '../mutants/mutant';
import type { Suite } from '../suites/suite';
import type { BackendFamily, StoreLayout } from './family';
import type { ServerKind } from '../containers/contract';
import { distinctKinds } from '../containers/servers';
import type { TargetDefinition } from '../suites/target';

export const MUTANT_FAMILY = 'mutant';

export interface RegistryInputs {
  readonly families: readonly BackendFamily[];
  /** Suites of every family, before the families' own. */
  readonly suites: readonly Suite[];
  /** Mutants of no family, each built on the reference target it names. */
  readonly mutants?: readonly BasedMutantSpec[];
  /** Targets built from the runner's command line (modules, commands, an airflow.cfg), on these layouts. */
  readonly custom?: (layouts: readonly StoreLayout[], known: readonly TargetDefinition[]) => readonly TargetDefinition[];
  /**
   * `--provision=external`: the targets are the families' external ones only (a team's own servers),
   * and a reference target's name selects the external target that stands for it.
   */
  readonly external?: boolean;
}

export interface TargetRegistry {
  readonly families: readonly BackendFamily[];
  /** Every target: reference, twins, mutants, custom; in registration order (the order reports list them). */
  readonly targets: readonly TargetDefinition[];
  /** The store layouts custom backends can declare. */
  readonly layouts: readonly StoreLayout[];
  /** Every suite, in the order reports list them. */
  readonly suites: readonly Suite[];
  /** Every server kind a registered target needs, each once. */
  readonly serverKinds: readonly ServerKind[];
  /** What a run covers when no target is named: every target except the mutants. */
  defaultTargets(): TargetDefinition[];
  /** Family names a selection may use, mutants included. */
  familyNames(): string[];
  byName(name: string): TargetDefinition | undefined;
  /**
   * Target names and family names to targets: a family selects its members in registry order (a
   * name that is both, like `env`, is read as the family), the selection order is kept and
   * repeats are dropped.
   */
  resolve(selection: readonly string[]): TargetDefinition[];
}

function uniqueNames(targets: readonly TargetDefinition[]): void {
  const seen = new Map<string, TargetDefinition>();
  for (const target of targets) {
    // A target may share its family's name (env/env), but not another family's.
    const clash = seen.get(target.name) ?? targets.find((known) => known.family === target.name && target.family !== target.name);
    if (clash) {
      throw new ConfigurationError(`target name "${target.name}" is already used by ${clash.name === target.name ? 'a target' : 'a family'}`, {
        what: `target "${target.name}"`,
        where: 'the target registry',
        hint: 'give the new target a name of its own',
      });
    }
    seen.set(target.name, target);
  }
}

export function createTargetRegistry(inputs: RegistryInputs): TargetRegistry {
  const { families } = inputs;
  if (inputs.external) return externalRegistry(inputs);
  const reference = families.flatMap((family) => family.targets);
  const twins = families.flatMap((family) => family.airflowTwins ?? []);
  const layouts = families.flatMap((family) => family.layouts ?? []);
  const mutants = [...families.flatMap((family) => family.mutants ?? []), ...mutantsOn(reference, inputs.mutants ?? [])];
  const known = [...reference, ...twins, ...mutants];
  const targets = [...known, ...(inputs.custom?.(layouts, known) ?? [])];
  uniqueNames(targets);
  const suites = [...inputs.suites, ...families.flatMap((family) => family.suites ?? [])];

  return registryOf(families, targets, layouts, suites, {
    defaultTargets: () => targets.filter((target) => target.family !== MUTANT_FAMILY),
    match: (name) => {
      const members = targets.filter((target) => target.family === name);
      return members.length > 0 ? members : targets.filter((target) => target.name === name);
    },
    unknown: (name, familyNames) =>
      new ConfigurationError(
        `unknown target "${name}"; known targets: ${targets.map((target) => target.name).join(', ')}; families: ${familyNames.join(', ')}`,
        { what: `target "${name}"`, where: '--target', hint: 'pick a target or family name from the lists above' },
      ),
  });
}

/** The registry of a `--provision=external` run: one target per family that has an external form. */
function externalRegistry(inputs: RegistryInputs): TargetRegistry {
  const { families } = inputs;
  const external = families.flatMap((family) => (family.external ? [family.external] : []));
  const targets = external.map((entry) => entry.target);
  const suites = [...inputs.suites, ...families.flatMap((family) => family.suites ?? [])];
  return registryOf(families, targets, [], suites, {
    defaultTargets: () => [...targets],
    match: (name) =>
      external
        .filter((entry) => entry.target.family === name || entry.target.name === name || entry.standsFor.includes(name))
        .map((entry) => entry.target),
    unknown: (name) => {
      const standIns = external.map((entry) => `${entry.target.name} (for ${[entry.target.family, ...entry.standsFor].join(', ')})`).join('; ');
      return new ConfigurationError(`"${name}" has no external form; --provision=external certifies: ${standIns}`, {
        what: `target "${name}"`,
        where: '--provision=external',
        hint: 'select one of those, or run without --provision=external to start a server for it',
      });
    },
  });
}

interface Selection {
  readonly defaultTargets: () => TargetDefinition[];
  /** The targets a name selects, in registry order; none for an unknown name. */
  readonly match: (name: string) => readonly TargetDefinition[];
  readonly unknown: (name: string, familyNames: string[]) => ConfigurationError;
}

/** A registry over its targets: selection keeps the order asked for and drops repeats. */
function registryOf(
  families: readonly BackendFamily[],
  targets: readonly TargetDefinition[],
  layouts: readonly StoreLayout[],
  suites: readonly Suite[],
  selection: Selection,
): TargetRegistry {
  const familyNames = () => [...new Set(targets.map((target) => target.family))];
  return {
    families,
    targets,
    layouts,
    suites,
    serverKinds: distinctKinds(targets.flatMap((target) => target.servers)),
    defaultTargets: selection.defaultTargets,
    familyNames,
    byName: (name) => targets.find((target) => target.name === name),
    resolve(names) {
      const chosen: TargetDefinition[] = [];
      for (const rawName of names) {
        const name = rawName.trim();
        if (name === '') continue;
        const matched = selection.match(name);
        if (matched.length === 0) throw selection.unknown(name, familyNames());
        for (const target of matched) if (!chosen.includes(target)) chosen.push(target);
      }
      return chosen;
    },
  };
}
