/**
 * A deployment's airflow.cfg as Airflow 3.3.2 reads it, through the bridge: its `[secrets] backend`
 * and kwargs, and the settings the deployment tools need besides (cache, metastore, workers).
 */
import { ConfigurationError } from '../model/errors';
import { airflowBridgeCommand, commandLogFile } from './airflow-bridge';
import { commandProcess, type CommandProcess } from './command-process';

export interface AirflowConfigReading {
  backend: string | null;
  kwargs: Record<string, unknown>;
  warnings: string[];
  backend_from_environment: boolean;
  kwargs_from_environment: boolean;
  per_key_overrides: string[];
  /** The settings the deployment tools need besides the backend (bridge/PROTOCOL.md, `read_airflow_config`). */
  settings?: DeploymentSettings;
}

export interface DeploymentSettings {
  use_cache: boolean;
  cache_ttl_seconds: number | null;
  /** The metastore's URL: may hold a password, so it is never printed unmasked. */
  sql_alchemy_conn: string | null;
  workers_backend: string | null;
  /** Sensitive options (`section/key`) the file holds as plain values; never their values. */
  plaintext_sensitive: string[];
}

/**
 * `[secrets] backend` and its kwargs as Airflow 3.3.2 reads them, through the bridge. `env` is the
 * deployment's environment (its `AIRFLOW__*` entries take precedence as in Airflow). A bridge
 * given by the caller is left running; otherwise one is started and stopped.
 */
export async function readAirflowConfig(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
  bridge?: CommandProcess,
  airflowHome?: string,
): Promise<AirflowConfigReading> {
  const environ = Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('AIRFLOW__')));
  const reader = bridge ?? commandProcess(airflowBridgeCommand(), { logFile: commandLogFile('airflow-config') });
  try {
    const answer = await reader.request('read_airflow_config', { path, environ, ...(airflowHome ? { airflow_home: airflowHome } : {}) }, 60_000);
    if (answer.error) {
      throw new ConfigurationError(`cannot read ${path}: ${answer.error.message ?? answer.error.kind}`, {
        what: 'airflow.cfg',
        where: path,
        hint: 'pass the airflow.cfg of the deployment to certify',
      });
    }
    return answer.value as AirflowConfigReading;
  } finally {
    if (!bridge) await reader.stop();
  }
}
