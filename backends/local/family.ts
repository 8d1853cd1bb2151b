/** The `local` family: Airflow's LocalFilesystemBackend, connections, variables and config in json, yaml or .env files. */
import { extname } from 'node:path';
import type { BackendFamily } from '../../targets/family';
import { airflowLocalTarget, LOCAL_FILESYSTEM_BACKEND_CLASS } from './airflow-twin';
import { localMutants } from './mutants';
import { localRawClient } from './raw-client';
import { LOCAL_PATH_KWARGS, localSessionFileKwargs } from './session-files';
import { localJsonTarget, localTargets } from './targets';

/** The format a deployment's file kwargs imply, by extension; json when none says. */
function formatOf(kwargs: Record<string, unknown>): string | undefined {
  for (const name of LOCAL_PATH_KWARGS) {
    const value = kwargs[name];
    if (typeof value !== 'string') continue;
    const extension = extname(value).slice(1).toLowerCase();
    if (extension === 'yml' || extension === 'yaml') return 'yaml';
    if (extension === 'env' || extension === 'json') return extension;
  }
  return undefined;
}

export const localFamily: BackendFamily = {
  name: 'local',
  targets: localTargets,
  airflowTwins: [airflowLocalTarget],
  layouts: [
    {
      name: 'local',
      formats: ['json', 'yaml', 'env'],
      base: (format) => localTargets.find((target) => target.fileFormat === (format ?? 'json')) ?? localJsonTarget,
      sessionKwargs: localSessionFileKwargs,
      keptKwargs: 'all',
      replacedKwargs: LOCAL_PATH_KWARGS,
      airflowClasses: [LOCAL_FILESYSTEM_BACKEND_CLASS],
      parser: 'core',
      formatOf,
    },
  ],
  mutants: localMutants,
  rawClient: localRawClient,
};
