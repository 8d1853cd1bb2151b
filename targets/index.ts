/**
 * The target registry: a plain list, looked up by target name or by family. Networked targets and
 * mutants add themselves with `registerTargets` (a mutants module calls it with its
 * `mutant:<name>` targets when it is loaded).
 */
import { ConfigurationError } from '../backends/errors';
import { envTarget } from './env.target';
import { localTargets } from './local.target';
import type { TargetDefinition } from './target';

const registry: TargetDefinition[] = [envTarget, ...localTargets];

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
