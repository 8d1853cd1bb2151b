/**
 * The mutants that belong to no family: broken reading rules (built on `env`, the store with the
 * fewest rules of its own), a broken search path or cache (the harness's reference chain), and
 * the resilience mutants of the chain. Each names the reference target it is built on; families'
 * own mutants live in their folders. The registry builds both (targets/registry.ts).
 */
import { missingIsAnError, readingMutants } from './backend-mutants';
import { configMutants, harnessMutants } from './harness-mutants';
import type { BasedMutantSpec } from './mutant';
import { portMutants } from './port-mutants';
import { resilienceMutants } from './resilience-mutants';

const on =
  (base: string) =>
  (spec: Omit<BasedMutantSpec, 'base'>): BasedMutantSpec => ({ ...spec, base });

export const crossFamilyMutants: readonly BasedMutantSpec[] = [
  ...readingMutants.map(on('env')),
  ...portMutants.map(on('env')),
  ...harnessMutants.map(on('env')),
  ...configMutants.map(on('local-json')),
  { ...missingIsAnError, name: `local-json-${missingIsAnError.name}`, base: 'local-json' },
  ...resilienceMutants,
];
