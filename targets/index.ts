/**
 * The target registry: a plain list, looked up by target name or by family. Mutants (family
 * `mutant`, names `mutant:<name>`) are registered too, so they can be selected by name, but they
 * are never part of the default selection.
 */
import { ConfigurationError } from '../backends/errors';
import { mutantTargets } from '../mutants/index';
import { awsTargets } from './aws.target';
import { airflowTargets, sessionKwargs } from './airflow.target';
import { customTargetsFromEnvironment, registerServerLayout } from './custom.target';
import { envTarget } from './env.target';
import { localTargets } from './local.target';
import type { TargetDefinition } from './target';
import { vaultTargets } from './vault.target';

const registry: TargetDefinition[] = [envTarget, ...localTargets, ...vaultTargets, ...awsTargets, ...airflowTargets, ...mutantTargets];
// A custom backend reading a server layout is seeded through the reference target of that layout.
registerServerLayout('vault', { baseTarget: 'vault-kv2', kwargs: sessionKwargs });
registerServerLayout('aws-sm', { baseTarget: 'aws-sm', kwargs: sessionKwargs });
registerServerLayout('aws-ssm', { baseTarget: 'aws-ssm', kwargs: sessionKwargs });
// Backends given on the runner's command line (modules, commands, an airflow.cfg), resolved by the runner.
registry.push(...customTargetsFromEnvironment(registry));

/** Every registered target, in registration order (the order reports list them). */
export const targets: readonly TargetDefinition[] = registry;

/** Adds targets; a name already taken, as a target or as a family, is refused. */
export function registerTargets(extra: readonly TargetDefinition[]): void {
  for (const target of extra) {
    // A target may share its family's name (env/env), but not another family's.
    const clash = registry.find((known) => known.name === target.name || (known.family === target.name && target.family !== target.name));
    if (clash) {
      throw new ConfigurationError(`target name "${target.name}" is already used by ${clash.name === target.name ? 'a target' : 'a family'}`, {
        what: `target "${target.name}"`,
        where: 'targets/index.ts registry',
        hint: 'give the new target a name of its own',
      });
    }
    registry.push(target);
  }
}

/** What a run covers when no target is named: every registered target except the mutants. */
export function defaultTargets(): TargetDefinition[] {
  return registry.filter((target) => target.family !== MUTANT_FAMILY);
}

export const MUTANT_FAMILY = 'mutant';

export function knownTargetNames(): string[] {
  return registry.map((target) => target.name);
}

export function knownFamilies(): string[] {
  return [...new Set(registry.map((target) => target.family))];
}

/**
 * Target names and family names to targets: a family selects its members in registry order (a
 * name that is both, like `env`, is read as the family), the selection order is kept and repeats
 * are dropped.
 */
export function resolveTargets(selection: readonly string[]): TargetDefinition[] {
  const chosen: TargetDefinition[] = [];
  const add = (target: TargetDefinition) => {
    if (!chosen.includes(target)) chosen.push(target);
  };
  for (const rawName of selection) {
    const name = rawName.trim();
    if (name === '') continue;
    const members = registry.filter((target) => target.family === name);
    const byName = registry.filter((target) => target.name === name);
    const matched = members.length > 0 ? members : byName;
    if (matched.length === 0) {
      throw new ConfigurationError(
        `unknown target "${name}"; known targets: ${knownTargetNames().join(', ')}; families: ${knownFamilies().join(', ')}`,
        { what: `target "${name}"`, where: '--target', hint: 'pick a target or family name from the lists above' },
      );
    }
    matched.forEach(add);
  }
  return chosen;
}
