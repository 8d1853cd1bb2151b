/** The `env` family: Airflow's EnvironmentVariablesBackend, `AIRFLOW_CONN_*` / `AIRFLOW_VAR_*` in the environment. */
import type { BackendFamily } from '../../targets/family';
import { airflowEnvTarget, ENVIRONMENT_VARIABLES_BACKEND_CLASS } from './airflow-twin';
import { connectionEnvName, variableEnvName } from '../../model/environment-variables';
import { envMutants } from './mutants';
import { envRawClient } from './raw-client';
import { envTarget } from './targets';

export const envFamily: BackendFamily = {
  name: 'env',
  targets: [envTarget],
  airflowTwins: [airflowEnvTarget],
  layouts: [
    {
      name: 'env',
      base: () => envTarget,
      sessionKwargs: () => ({}),
      keptKwargs: 'all',
      airflowClasses: [ENVIRONMENT_VARIABLES_BACKEND_CLASS],
      mirrorEnvironment: true,
      // EnvironmentVariablesBackend reads no config (spec §4).
      lookupNames: (kind, id) => {
        if (kind === 'config') return [];
        const name = kind === 'connection' ? connectionEnvName(id) : variableEnvName(id);
        return [{ name, read: `os.environ["${name}"]` }];
      },
    },
  ],
  mutants: envMutants,
  rawClient: envRawClient,
};
