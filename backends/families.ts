/**
 * The backend families, in report order: the one list every registry is derived from (targets,
 * store layouts, server kinds, suites, mutants, bench twins, the workflow's family jobs). A new
 * family is a folder under `backends/` exporting a `BackendFamily`, and one line here.
 */
import type { BackendFamily } from '../targets/family';
import { awsFamily } from './aws/family';
import { envFamily } from './env/family';
import { kubernetesFamily } from './kubernetes/family';
import { localFamily } from './local/family';
import { vaultFamily } from './vault/family';

export const families: readonly BackendFamily[] = [envFamily, localFamily, vaultFamily, awsFamily, kubernetesFamily];
