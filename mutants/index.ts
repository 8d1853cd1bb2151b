/**
 * Every mutant, as a target named `mutant:<name>`. They are selectable like any target
 * (`--backend=mutant:ttl-inclusive`) and are never part of a default run.
 */
import { environmentBackendMutants, missingIsAnError } from './backend-mutants';
import { fileMutants, type FileFormat } from './file-mutants';
import { configMutants, harnessMutants, localEnvFileMutants } from './harness-mutants';
import { awsMutants } from './aws-mutants';
import { vaultMutants } from './vault-mutants';
import { resilienceMutants } from './resilience-mutants';
import { portMutants } from './port-mutants';
import { mutantOf, type MutantTarget } from './mutant';
import { envTarget } from '../targets/env.target';
import { localTargets } from '../targets/local.target';
import { awsTargets } from '../targets/aws.target';
import { vaultTargets } from '../targets/vault.target';
import type { TargetDefinition } from '../targets/target';

function byName(candidates: readonly TargetDefinition[], name: string): TargetDefinition {
  const found = candidates.find((target) => target.name === name);
  if (!found) throw new Error(`mutants are built on target "${name}", which is not defined`);
  return found;
}

const localEnv = byName(localTargets, 'local-env');
const localJson = byName(localTargets, 'local-json');

/** File mutants are named after their format: `mutant:local-json-parse-errors-without-line-numbers`. */
function perFormat(format: FileFormat): MutantTarget[] {
  const base = byName(localTargets, `local-${format}`);
  return fileMutants[format].map((spec) => mutantOf(base, { ...spec, name: `local-${format}-${spec.name}` }));
}

export const mutantTargets: readonly MutantTarget[] = [
  ...environmentBackendMutants.map((spec) => mutantOf(envTarget, spec)),
  ...portMutants.map((spec) => mutantOf(envTarget, spec)),
  ...harnessMutants.map((spec) => mutantOf(envTarget, spec)),
  ...[...configMutants, { ...missingIsAnError, name: `local-json-${missingIsAnError.name}` }].map((spec) => mutantOf(localJson, spec)),
  ...localEnvFileMutants.map((spec) => mutantOf(localEnv, spec)),
  ...perFormat('env'),
  ...perFormat('json'),
  ...perFormat('yaml'),
  ...vaultMutants.map((spec) => mutantOf(byName(vaultTargets, spec.base), spec)),
  ...awsMutants.map((spec) => mutantOf(byName(awsTargets, spec.base), spec)),
  ...resilienceMutants.map((spec) => mutantOf(byName([envTarget, ...vaultTargets, ...awsTargets], spec.base), spec)),
];
