/** `airflow:env`: Airflow's own EnvironmentVariablesBackend on the env fixtures, mirrored into the bridge. */
import { bridgedTarget } from '../../targets/airflow-bridge';
import { envTarget } from './targets';

export const ENVIRONMENT_VARIABLES_BACKEND_CLASS = 'airflow.secrets.environment_variables.EnvironmentVariablesBackend';

export const airflowEnvTarget = bridgedTarget(envTarget, {
  name: 'airflow:env',
  summary: "Airflow 3.3.2's EnvironmentVariablesBackend through the bridge; the env fixtures are mirrored into the bridge process",
  backendClass: ENVIRONMENT_VARIABLES_BACKEND_CLASS,
  // Tasks read connections through the task SDK, which sets its Connection class on every backend.
  parser: 'sdk',
  mirrorEnvironment: true,
  described: () => ({ kwargs: {}, notes: ["the env fixtures are set in the runner's environment and mirrored into the bridge before each lookup"] }),
});
