/**
 * A real Airflow deployment, as the tools (`explain`, `doctor`, `migrate`) see it: its airflow.cfg
 * read by Airflow's own parser, its environment, and a bridge process that runs the deployment's own
 * Airflow (`bridge/airflow_deployment.py`): its chain of secrets backends and its metastore.
 *
 * Nothing here writes to the deployment: the bridge gets a scratch AIRFLOW_HOME (Airflow makes a
 * logs folder there on import), and a SQLite metastore that is not there is refused before anything
 * connects to it (SQLite would create the file).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CommandProcess } from '../targets/command-process';
import { errorFromAnswer } from '../targets/command-errors';
import { ConfigurationError, isSecretsError, UnavailableError, type SecretsError } from '../model/errors';
import { families } from '../backends/families';
import { airflowBridgeCommand, airflowPython, commandLogFile } from '../targets/airflow-bridge';
import { readAirflowConfig, type AirflowConfigReading, type DeploymentSettings } from '../targets/airflow-config';
import type { StoreLayout } from '../targets/family';

export interface Deployment {
  readonly cfgPath: string;
  readonly airflowHome: string;
  /** The deployment's environment: AIRFLOW__* settings, AIRFLOW_CONN_* / AIRFLOW_VAR_*, provider credentials. */
  readonly env: NodeJS.ProcessEnv;
  readonly reading: AirflowConfigReading;
  readonly settings: DeploymentSettings;
  /** The layout of `[secrets] backend`, when a family reads it. */
  readonly layout: StoreLayout | null;
}

export const layouts: readonly StoreLayout[] = families.flatMap((family) => family.layouts ?? []);

export function layoutOfClass(backendClass: string): StoreLayout | null {
  return layouts.find((layout) => layout.airflowClasses.includes(backendClass)) ?? null;
}

/** A URL with its password masked: `postgresql://airflow:***@db:5432/airflow`. */
export function maskUrl(url: string): string {
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/:@]*):[^/@]*@/, '$1:***@');
}

/** Airflow's own rule: AIRFLOW_CONFIG, else $AIRFLOW_HOME/airflow.cfg, AIRFLOW_HOME defaulting to ~/airflow. */
export function defaultCfgPath(env: NodeJS.ProcessEnv): string {
  return env.AIRFLOW_CONFIG || join(env.AIRFLOW_HOME || join(homedir(), 'airflow'), 'airflow.cfg');
}

function requireVenv(): void {
  if (!existsSync(airflowPython())) {
    throw new ConfigurationError(`the Airflow 3.3.2 venv is missing (${airflowPython()})`, {
      what: 'Airflow bridge',
      where: 'install/airflow.sh',
      hint: 'run `npm run servers:install` (or `bash install/airflow.sh`), or set ASC_AIRFLOW_PYTHON',
    });
  }
}

/** Reads the deployment's airflow.cfg with Airflow's parser, in an isolated bridge; nothing of the deployment is touched. */
export async function readDeployment(cfgFlag: string | null, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<Deployment> {
  requireVenv();
  const cfgPath = resolve(cwd, cfgFlag ?? defaultCfgPath(env));
  if (!existsSync(cfgPath)) {
    throw new ConfigurationError(`airflow.cfg not found: ${cfgPath}`, {
      what: 'airflow.cfg',
      where: cfgPath,
      hint: 'pass --airflow-config=<the deployment airflow.cfg>, or set AIRFLOW_CONFIG / AIRFLOW_HOME as the deployment does',
    });
  }
  const airflowHome = env.AIRFLOW_HOME || join(homedir(), 'airflow');
  let reading: AirflowConfigReading;
  try {
    reading = await readAirflowConfig(cfgPath, env, undefined, airflowHome);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      throw new ConfigurationError(error.message, {
        what: 'airflow.cfg',
        where: cfgPath,
        hint: 'fix the file: Airflow itself cannot start with it either',
      });
    }
    throw error;
  }
  const settings = reading.settings;
  if (!settings) throw new ConfigurationError('the bridge answered read_airflow_config without settings', { where: 'bridge/airflow_bridge.py' });
  return { cfgPath, airflowHome, env, reading, settings, layout: reading.backend ? layoutOfClass(reading.backend) : null };
}

/** The metastore's SQLite file, when it is SQLite. */
export function sqlitePath(url: string | null): string | null {
  const match = /^sqlite:\/\/\/([^?]*)/.exec(url ?? '');
  return match && match[1] !== '' && match[1] !== ':memory:' ? (match[1] ?? null) : null;
}

/** Refuses a SQLite metastore that is not there (SQLite would create it on the first query). */
export function requireMetastore(deployment: Deployment): void {
  const path = sqlitePath(deployment.settings.sql_alchemy_conn);
  if (path !== null && !existsSync(path)) {
    throw new ConfigurationError(`the metastore ${path} does not exist`, {
      what: '[database] sql_alchemy_conn',
      where: deployment.cfgPath,
      hint: 'point sql_alchemy_conn at the deployment database, or create it with `airflow db migrate`',
    });
  }
}

/** A bridge running the deployment's own Airflow; stop it when done. */
export function deploymentBridge(deployment: Deployment): CommandProcess {
  requireMetastore(deployment);
  const scratchHome = mkdtempSync(join(tmpdir(), 'asc-deployment-home-'));
  const env: NodeJS.ProcessEnv = {
    ...deployment.env,
    AIRFLOW_CONFIG: deployment.cfgPath,
    AIRFLOW_HOME: scratchHome,
    AIRFLOW__LOGGING__BASE_LOG_FOLDER: join(scratchHome, 'logs'),
    ...(deployment.settings.sql_alchemy_conn ? { AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: deployment.settings.sql_alchemy_conn } : {}),
  };
  return new CommandProcess(airflowBridgeCommand(['--deployment']), {
    env,
    logFile: commandLogFile('airflow-deployment'),
    startupTimeoutMs: 120_000,
  });
}

/** One deployment op; an error answer becomes its typed error. */
export async function deploymentRequest<T>(
  bridge: CommandProcess,
  op: string,
  fields: Record<string, unknown>,
  subject: string,
  timeoutMs = 120_000,
): Promise<T> {
  const answer = await bridge.request(op, fields, timeoutMs);
  if (answer.error) throw deploymentError(answer.error, op, subject);
  return answer.value as T;
}

function deploymentError(body: Parameters<typeof errorFromAnswer>[0], op: string, subject: string): SecretsError {
  return errorFromAnswer(body, { op, subject, where: "the deployment's Airflow (bridge --deployment)" });
}

export interface ChainEntry {
  readonly index: number;
  readonly class: string;
  readonly default: boolean;
}

export interface CacheState {
  readonly enabled: boolean;
  readonly ttl_seconds: number | null;
  readonly configured: boolean;
}

export interface DeploymentChain {
  readonly backends: ChainEntry[];
  readonly cache: CacheState;
}

export interface BackendInspection {
  readonly imports: boolean;
  readonly import_error?: string;
  readonly class?: string;
  readonly is_secrets_backend?: boolean;
  readonly parameters?: string[];
  readonly var_keyword?: boolean;
  readonly passthrough?: { target: string; parameters: string[] } | null;
}

/** Whether `[secrets] backend` imports and is a secrets backend; a ConfigurationError with a hint when not. */
export async function checkBackendClass(bridge: CommandProcess, deployment: Deployment): Promise<BackendInspection | null> {
  const backendClass = deployment.reading.backend;
  if (!backendClass) return null;
  const inspection = await deploymentRequest<BackendInspection>(
    bridge,
    'inspect_backend',
    { backend: backendClass },
    `[secrets] backend ${backendClass}`,
  );
  if (!inspection.imports) {
    throw new ConfigurationError(`[secrets] backend ${backendClass} does not import: ${inspection.import_error ?? 'ImportError'}`, {
      what: '[secrets] backend',
      where: deployment.cfgPath,
      hint: `check the dotted path and that its provider is installed; known: ${layouts.flatMap((layout) => layout.airflowClasses).join(', ')}`,
    });
  }
  if (inspection.is_secrets_backend === false) {
    throw new ConfigurationError(`[secrets] backend ${backendClass} is not a BaseSecretsBackend`, {
      what: '[secrets] backend',
      where: deployment.cfgPath,
      hint: 'name a class that subclasses airflow.secrets.BaseSecretsBackend',
    });
  }
  return inspection;
}

/** The deployment's chain as its Airflow builds it; a class or kwargs it refuses is a typed error here. */
export async function deploymentChain(bridge: CommandProcess, deployment: Deployment): Promise<DeploymentChain> {
  await checkBackendClass(bridge, deployment);
  try {
    return await deploymentRequest<DeploymentChain>(bridge, 'deployment_chain', {}, "the deployment's secrets backends");
  } catch (error) {
    if (error instanceof ConfigurationError) {
      throw new ConfigurationError(error.message, {
        what: '[secrets] backend',
        where: deployment.cfgPath,
        hint: error.hint ?? 'fix [secrets] backend_kwargs: Airflow cannot build the backend with them',
      });
    }
    throw error;
  }
}

/** The short name reports use: the class without its module. */
export function shortClass(qualified: string): string {
  return qualified.split('.').pop() ?? qualified;
}

/** A metastore op (`metastore_summary`, `metastore_export`); a failure names the database setting, not the backend. */
export async function metastoreRequest<T>(bridge: CommandProcess, deployment: Deployment, op: string): Promise<T> {
  try {
    return await deploymentRequest<T>(bridge, op, {}, 'the metastore');
  } catch (error) {
    if (!isSecretsError(error)) throw error;
    const url = deployment.settings.sql_alchemy_conn;
    const details = {
      what: '[database] sql_alchemy_conn',
      where: url ? maskUrl(url) : deployment.cfgPath,
      hint: 'check [database] sql_alchemy_conn and that the database is up; `airflow db migrate` creates the tables',
    };
    throw error instanceof ConfigurationError ? new ConfigurationError(error.message, details) : new UnavailableError(error.message, details);
  }
}
