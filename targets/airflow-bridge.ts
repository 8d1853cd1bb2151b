/**
 * Airflow's own backend classes, run by Airflow 3.3.2 itself through the bridge
 * (`bridge/airflow_bridge.py`), against the same fixture stores and cases as our reference
 * targets. A twin is its reference target with the backend swapped: same fixtures, same
 * capabilities, same servers. Where real Airflow breaks a rule, its case runs and fails; that
 * failure is a finding about Airflow. Each family declares its twins in its own folder:
 * `airflowTwin(vaultKv2Target, { name, backendClass, kwargs, ... })`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandProcess, type CommandProcess } from './command-process';
import type { CommandLine } from './command-instance';
import type { ParserFlavour } from '../model/connection/connection';
import { ConfigurationError } from '../model/errors';
import { readRunEnvironment } from './run-environment';
import { commandTarget, type CommandTargetOptions } from './command-target';
import { ownPackageVersion, type TargetDefinition, type TargetDescription, type TargetEnvironment } from '../suites/target';

export const AIRFLOW_FAMILY = 'airflow';

const PACKAGE_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const BRIDGE_SCRIPT = join(PACKAGE_ROOT, 'bridge', 'airflow_bridge.py');
/** The environment entries the `env` layout owns, mirrored into a command before each lookup. */
export const MIRRORED_ENV_PREFIXES = ['AIRFLOW_CONN_', 'AIRFLOW_VAR_'] as const;

/** The pinned Airflow venv's python (`bash install/airflow.sh`), or `ASC_AIRFLOW_PYTHON`. */
export function airflowPython(): string {
  return process.env.ASC_AIRFLOW_PYTHON || join(PACKAGE_ROOT, '.cache', 'airflow-venv', 'bin', 'python');
}

const DIST_INFO = /^(.+?)-(\d[^-]*)\.dist-info$/;

/**
 * Versions of every distribution in the venv (Airflow, its providers, their clients), read from
 * the dist-info folder names without starting Python (for a certificate's `describe`, which must
 * be cheap). `{}` when the venv is missing.
 */
export function installedAirflowVersions(python = airflowPython()): Record<string, string> {
  const lib = join(dirname(dirname(python)), 'lib');
  const versions: Record<string, string> = {};
  if (!existsSync(lib)) return versions;
  for (const pythonDir of readdirSync(lib).filter((name) => name.startsWith('python'))) {
    const sitePackages = join(lib, pythonDir, 'site-packages');
    if (!existsSync(sitePackages)) continue;
    for (const entry of readdirSync(sitePackages)) {
      const match = DIST_INFO.exec(entry);
      if (match) versions[match[1]!.replace(/_/g, '-').toLowerCase()] = match[2]!;
    }
  }
  return versions;
}

export function airflowBridgeCommand(extraArgs: readonly string[] = []): CommandLine {
  return { file: airflowPython(), args: [BRIDGE_SCRIPT, ...extraArgs] };
}

/**
 * Bridge and command logs go next to the run's reports, where the canary scan reads them too;
 * outside a run (unit tests) into the temp folder.
 */
export function commandLogFile(label: string): string {
  const folder = process.env.ASC_RUN_ID ? join(readRunEnvironment().runDir, 'commands') : join(tmpdir(), 'secrets-conformance-commands');
  return join(folder, `${label}-${process.pid}.log`);
}

/** The shared Airflow bridge process of this worker. */
export function airflowBridge(options: { mirrorEnvironment?: boolean; requestTimeoutMs?: number } = {}): CommandProcess {
  if (!existsSync(airflowPython())) {
    throw new ConfigurationError(`the Airflow 3.3.2 venv is missing (${airflowPython()})`, {
      what: 'Airflow bridge',
      where: 'install/airflow.sh',
      hint: 'run `bash install/airflow.sh` (or `npm run servers:install`), or set ASC_AIRFLOW_PYTHON',
    });
  }
  const mirror = options.mirrorEnvironment ?? false;
  return commandProcess(airflowBridgeCommand(), {
    cwd: PACKAGE_ROOT,
    logFile: commandLogFile(mirror ? 'airflow-bridge-env' : 'airflow-bridge'),
    keepWarm: true,
    ...(mirror ? { mirrorPrefixes: MIRRORED_ENV_PREFIXES } : {}),
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
  });
}

export interface BridgedTargetOptions extends Omit<CommandTargetOptions, 'command' | 'family' | 'backendKind' | 'backendClass'> {
  /** What reports call the backend; the class unless a flag must travel with it. */
  readonly backendKind?: string;
  /** The Airflow class by dotted path, as `[secrets] backend` names it. */
  readonly backendClass: string;
  /** Mirror this process's `AIRFLOW_CONN_*` / `AIRFLOW_VAR_*` into the bridge (the `env` layout). */
  readonly mirrorEnvironment?: boolean;
  readonly family?: string;
  /** For the certificate: the kwargs as far as they are known before a session, and facts about them. */
  readonly described?: (environment: TargetEnvironment) => Pick<TargetDescription, 'kwargs' | 'notes' | 'flags'>;
  /** The distributions the class comes from besides Airflow's own (its provider, its client library). */
  readonly distributions?: readonly string[];
}

/** Versions of Airflow, the task SDK and `distributions` (a provider and its client), as installed. */
export function airflowVersionsFor(distributions: readonly string[]): Record<string, string> {
  const installed = installedAirflowVersions();
  const wanted = ['apache-airflow', 'apache-airflow-core', 'apache-airflow-task-sdk', ...distributions];
  const versions: Record<string, string> = {};
  for (const name of wanted) if (installed[name]) versions[name] = installed[name];
  versions['airflow-secrets-conformance'] = ownPackageVersion();
  return versions;
}

const CONNECTION_CLASSES: Readonly<Record<ParserFlavour, string>> = {
  sdk: 'airflow.sdk.definitions.connection.Connection (the task SDK sets it, as on workers)',
  core: 'airflow.models.connection.Connection (the core ORM model)',
};

/** `base` with its backend replaced by the Airflow class `backendClass`, run by Airflow 3.3.2. */
export function bridgedTarget(base: TargetDefinition, options: BridgedTargetOptions): TargetDefinition {
  const { mirrorEnvironment, described, origin, distributions: _distributions, ...rest } = options;
  return commandTarget(base, {
    ...rest,
    describe: (environment) => {
      const extra = described?.(environment) ?? {};
      return {
        backendClass: options.backendClass,
        origin: origin ?? 'airflow',
        versions: airflowVersionsFor(options.distributions ?? []),
        kwargs: extra.kwargs ?? {},
        notes: [
          `run by Airflow itself through bridge/airflow_bridge.py; connections built with ${CONNECTION_CLASSES[options.parser]}`,
          ...(extra.notes ?? []),
        ],
        ...(extra.flags && extra.flags.length > 0 ? { flags: [...extra.flags] } : {}),
      };
    },
    family: options.family ?? AIRFLOW_FAMILY,
    origin: origin ?? 'airflow',
    backendKind: options.backendKind ?? options.backendClass,
    command: ({ requestTimeoutMs }) => airflowBridge({ mirrorEnvironment: mirrorEnvironment ?? false, requestTimeoutMs }),
    airflowSearchPath: true,
  });
}
