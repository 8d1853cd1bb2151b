/**
 * The `airflow` family: Airflow's own backend classes, run by Airflow 3.3.2 itself through the
 * bridge (`bridge/airflow_bridge.py`), against the same fixture stores and cases as our
 * TypeScript reference targets. A bridged target is its reference twin with the backend swapped:
 * same fixtures, same capabilities, same servers. Where real Airflow breaks a rule, its case runs
 * and fails; that failure is a finding about Airflow.
 *
 * `commandTarget` is the general form (any command speaking bridge/PROTOCOL.md, reading the store
 * of a base target); `bridgedTarget` fixes the command to the Airflow bridge. A new Airflow target
 * is a few lines: `bridgedTarget(vaultKv2Target, { name, backendClass, kwargs: ... })`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommandBackend, commandProcess, type CommandLine, type CommandProcess, type RoundTrip } from '../backends/command-backend';
import type { ParserFlavour } from '../backends/connection/connection';
import type { SecretsBackend } from '../backends/contract';
import { ConfigurationError } from '../backends/errors';
import { readRunEnvironment } from '../cli/run-environment';
import type { TargetDescription } from '../reports/model';
import { airflowSearchPathComponents } from './airflow-components';
import { envTarget } from './env.target';
import { awsParameterStoreTarget, awsSecretsManagerTarget } from './aws.target';
import { LocalFiles, localJsonTarget } from './local.target';
import { ownPackageVersion, type AuthScenario, type AuthScenarios, type Capability, type TargetDefinition, type TargetEnvironment, type TargetSession } from './target';
import { vaultKv2Target } from './vault.target';

export const AIRFLOW_FAMILY = 'airflow';

const PACKAGE_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const BRIDGE_SCRIPT = join(PACKAGE_ROOT, 'bridge', 'airflow_bridge.py');
/** The environment entries the `env` layout owns, mirrored into a command before each lookup. */
export const MIRRORED_ENV_PREFIXES = ['AIRFLOW_CONN_', 'AIRFLOW_VAR_'] as const;

/** The pinned Airflow venv's python (`bash install/airflow.sh`), or `ASC_AIRFLOW_PYTHON`. */
export function airflowPython(): string {
  return process.env.ASC_AIRFLOW_PYTHON || join(PACKAGE_ROOT, '.cache', 'airflow-venv', 'bin', 'python');
}

const VERSIONED_DISTRIBUTIONS = /^(apache[_-]airflow[\w.-]*|hvac|boto3|botocore)-(\d[^-]*)\.dist-info$/;

/**
 * Versions of Airflow, its providers and their clients in the venv, read from the dist-info folder
 * names without starting Python (for a certificate's `describe`, which must be cheap). `{}` when
 * the venv is missing.
 */
export function installedAirflowVersions(python = airflowPython()): Record<string, string> {
  const lib = join(dirname(dirname(python)), 'lib');
  const versions: Record<string, string> = {};
  if (!existsSync(lib)) return versions;
  for (const pythonDir of readdirSync(lib).filter((name) => name.startsWith('python'))) {
    const sitePackages = join(lib, pythonDir, 'site-packages');
    if (!existsSync(sitePackages)) continue;
    for (const entry of readdirSync(sitePackages)) {
      const match = VERSIONED_DISTRIBUTIONS.exec(entry);
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
export function airflowBridge(options: { mirrorEnvironment?: boolean } = {}): CommandProcess {
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
  });
}

export interface SessionContext {
  readonly environment: TargetEnvironment;
  /** The base target's session: its fixture store is the one the backend must read. */
  readonly session: TargetSession;
}

export interface CommandTargetOptions {
  readonly name: string;
  readonly family: string;
  readonly summary: string;
  /** What reports call the backend: the class (`airflow.secrets....EnvironmentVariablesBackend`). */
  readonly backendKind: string;
  /** The process serving the backend; called when a backend is first made. */
  readonly command: () => CommandProcess;
  /** The class `open` builds; omitted when the command serves one backend of its own. */
  readonly backendClass?: string;
  /** The backend's kwargs that aim it at this session's store (file paths, server, credentials). */
  readonly kwargs?: (context: SessionContext) => Record<string, unknown>;
  /** Which Connection class Airflow deserialises with here: the task SDK's or the core ORM model. */
  readonly parser: ParserFlavour;
  /** The base target's capabilities unless given. */
  readonly capabilities?: readonly Capability[];
  readonly missingCapabilityReasons?: Partial<Record<Capability, string>>;
  /** Auth scenarios, built from bridged backends; without them the `auth-*` capabilities are dropped. */
  readonly auth?: (context: SessionContext, backend: (kwargs: Record<string, unknown>) => SecretsBackend) => TargetSession['auth'];
  readonly onRoundTrip?: (roundTrip: RoundTrip) => void;
  /** Cases this backend is known to fail, with why (see TargetDefinition.knownFindings). */
  readonly knownFindings?: Readonly<Record<string, string>>;
  /** What the certificate names as certified (class, versions, kwargs); cheap, no server calls. */
  readonly describe?: (environment: TargetEnvironment) => TargetDescription;
  /** Run search path and cache cases with Airflow's own code inside the command (the Airflow bridge only). */
  readonly airflowSearchPath?: boolean;
}

const AUTH_CAPABILITIES: readonly Capability[] = ['auth-wrong-credentials', 'auth-expired-credentials', 'auth-policy'];

/** A target whose backend is served by a command, reading the fixture store of `base`. */
export function commandTarget(base: TargetDefinition, options: CommandTargetOptions): TargetDefinition {
  const inherited = options.capabilities ?? base.capabilities;
  const capabilities = options.auth ? inherited : inherited.filter((capability) => !AUTH_CAPABILITIES.includes(capability));
  const missing: Partial<Record<Capability, string>> = { ...base.missingCapabilityReasons, ...options.missingCapabilityReasons };
  for (const capability of AUTH_CAPABILITIES) {
    if (inherited.includes(capability) && !options.auth) missing[capability] ??= `${options.name} has no auth scenarios wired for the bridged backend yet`;
  }
  const target: TargetDefinition = {
    // The base's own layout fields (a Vault mount, an AWS service, a network) describe the store
    // the bridged backend reads too; everything a TargetDefinition names is set below.
    ...base,
    knownFindings: options.knownFindings ?? {},
    name: options.name,
    family: options.family,
    summary: options.summary,
    backendKind: options.backendKind,
    capabilities,
    missingCapabilityReasons: missing,
    parser: options.parser,
    servers: base.servers,
    ...(base.fileFormat ? { fileFormat: base.fileFormat } : {}),
    // Never the base's: it would describe the reference backend, not this one.
    describe: options.describe,
    ...(options.airflowSearchPath ? { components: airflowSearchPathComponents(options.command) } : {}),
    async open(environment): Promise<TargetSession> {
      const session = await base.open(environment);
      const context: SessionContext = { environment, session };
      const made: SecretsBackend[] = [];
      const backend = (kwargs: Record<string, unknown> = {}): SecretsBackend => {
        const made1 = new CommandBackend({
          command: options.command(),
          ...(options.backendClass ? { backend: options.backendClass } : {}),
          kwargs: { ...options.kwargs?.(context), ...kwargs },
          parser: options.parser,
          kind: options.backendKind,
          ...(options.onRoundTrip ? { onRoundTrip: options.onRoundTrip } : {}),
        });
        made.push(made1);
        return made1;
      };
      const auth = options.auth?.(context, backend);
      return {
        fixtures: session.fixtures,
        backend,
        ...(auth ? { auth } : {}),
        async close() {
          try {
            await Promise.all(made.splice(0).map((one) => one.close?.()));
          } finally {
            await session.close();
          }
        },
      };
    },
  };
  if (base.residue) {
    const residue = base.residue.bind(base);
    return { ...target, residue };
  }
  return target;
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
  readonly origin?: TargetDescription['origin'];
}

/** The distributions a class's behaviour depends on: Airflow, the task SDK, its provider and client. */
export function airflowVersionsFor(backendClass: string): Record<string, string> {
  const installed = installedAirflowVersions();
  const wanted = ['apache-airflow', 'apache-airflow-core', 'apache-airflow-task-sdk'];
  if (backendClass.startsWith('airflow.providers.hashicorp.')) wanted.push('apache-airflow-providers-hashicorp', 'hvac');
  if (backendClass.startsWith('airflow.providers.amazon.')) wanted.push('apache-airflow-providers-amazon', 'boto3', 'botocore');
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
  const { mirrorEnvironment, described, origin, ...rest } = options;
  return commandTarget(base, {
    ...rest,
    describe: (environment) => {
      const extra = described?.(environment) ?? {};
      return {
        backendClass: options.backendClass,
        origin: origin ?? 'airflow',
        versions: airflowVersionsFor(options.backendClass),
        kwargs: extra.kwargs ?? {},
        notes: [`run by Airflow itself through bridge/airflow_bridge.py; connections built with ${CONNECTION_CLASSES[options.parser]}`, ...(extra.notes ?? [])],
        ...(extra.flags && extra.flags.length > 0 ? { flags: [...extra.flags] } : {}),
      };
    },
    family: options.family ?? AIRFLOW_FAMILY,
    backendKind: options.backendKind ?? options.backendClass,
    command: () => airflowBridge({ mirrorEnvironment: mirrorEnvironment ?? false }),
    airflowSearchPath: true,
  });
}

/** The file kwargs of LocalFilesystemBackend that aim it at a local session's current files. */
export function localFileKwargs({ session }: SessionContext): Record<string, string> {
  const files = session.fixtures;
  if (!(files instanceof LocalFiles)) {
    throw new ConfigurationError('the local layout needs a session of a local target (its fixtures are LocalFiles)', {
      where: 'targets/airflow.target.ts',
      hint: 'build the target on one of targets/local.target.ts',
    });
  }
  // Read at backend creation: a raw file written earlier in the case is the one Airflow reads.
  return {
    connections_file_path: files.currentPath('connections'),
    variables_file_path: files.currentPath('variables'),
    configs_file_path: files.currentPath('configs'),
  };
}

export const ENVIRONMENT_VARIABLES_BACKEND = 'airflow.secrets.environment_variables.EnvironmentVariablesBackend';
export const LOCAL_FILESYSTEM_BACKEND = 'airflow.secrets.local_filesystem.LocalFilesystemBackend';

export const airflowEnvTarget = bridgedTarget(envTarget, {
  name: 'airflow:env',
  summary: "Airflow 3.3.2's EnvironmentVariablesBackend through the bridge; the env fixtures are mirrored into the bridge process",
  backendClass: ENVIRONMENT_VARIABLES_BACKEND,
  // Tasks read connections through the task SDK, which sets its Connection class on every backend.
  parser: 'sdk',
  mirrorEnvironment: true,
  described: () => ({ kwargs: {}, notes: ["the env fixtures are set in the runner's environment and mirrored into the bridge before each lookup"] }),
});

export const airflowLocalTarget = bridgedTarget(localJsonTarget, {
  name: 'airflow:local',
  summary: "Airflow 3.3.2's LocalFilesystemBackend through the bridge, reading the local-json fixture files",
  backendClass: LOCAL_FILESYSTEM_BACKEND,
  // LocalFilesystemBackend builds airflow.models.connection.Connection itself, whatever class is set.
  parser: 'core',
  kwargs: localFileKwargs,
  described: () => ({
    kwargs: { connections_file_path: '<session>/connections.json', variables_file_path: '<session>/variables.json', configs_file_path: '<session>/configs.json' },
    notes: ['each case gets its own folder of local-json fixture files'],
  }),
});

/** The backend_kwargs the base target's session uses (server, credentials, mount or prefixes). */
export function sessionKwargs({ session }: SessionContext): Record<string, unknown> {
  if (!session.kwargs) {
    throw new ConfigurationError('the base target does not say which backend_kwargs aim a backend at its store', {
      where: 'targets/airflow.target.ts',
      hint: 'give the base target session a kwargs member',
    });
  }
  return session.kwargs;
}

/**
 * The base target's auth scenarios, with Airflow's backend built from each scenario's kwargs:
 * the same wrong token, expired secret-id or denying policy, met by the real provider code.
 */
export function scenariosThroughBridge(context: SessionContext, backend: (kwargs: Record<string, unknown>) => SecretsBackend): AuthScenarios | undefined {
  const base = context.session.auth;
  if (!base) return undefined;
  const through = async (name: string, made: Promise<AuthScenario>): Promise<AuthScenario> => {
    const scenario = await made;
    if (!scenario.kwargs) throw new ConfigurationError(`the ${name} scenario of the base target does not give its kwargs`, { where: 'targets/airflow.target.ts' });
    // The reference backend the base scenario made is not used: Airflow's takes its place.
    await scenario.backend.close?.();
    return { backend: backend(scenario.kwargs), kwargs: scenario.kwargs, credentials: scenario.credentials };
  };
  const { wrongCredentials, expiredCredentials, deniedRead } = base;
  return {
    ...(wrongCredentials ? { wrongCredentials: () => through('wrongCredentials', wrongCredentials.call(base)) } : {}),
    ...(expiredCredentials ? { expiredCredentials: () => through('expiredCredentials', expiredCredentials.call(base)) } : {}),
    ...(deniedRead ? { deniedRead: (ids: { connId: string; key: string }) => through('deniedRead', deniedRead.call(base, ids)) } : {}),
  };
}

export const VAULT_BACKEND = 'airflow.providers.hashicorp.secrets.vault.VaultBackend';
export const SECRETS_MANAGER_BACKEND = 'airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend';
export const PARAMETER_STORE_BACKEND = 'airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend';

const serverNotes = (what: string) => () => ({
  kwargs: {},
  notes: [`kwargs: the same ${what} as the reference target's session (server address, reader credentials, run mount or prefixes)`],
});

export const airflowVaultTarget = bridgedTarget(vaultKv2Target, {
  name: 'airflow:vault',
  summary: "apache-airflow-providers-hashicorp's VaultBackend through the bridge, on the vault-kv2 fixtures (KV v2, token auth)",
  backendClass: VAULT_BACKEND,
  parser: 'sdk',
  kwargs: sessionKwargs,
  auth: scenariosThroughBridge,
  described: serverNotes('Vault kwargs'),
  knownFindings: {
    'auth › a policy without read is Forbidden, never not found':
      'provider 4.8.4 treats every 403 as a rejected token: it authenticates again, retries once, then raises ' +
      'VaultError("Vault Authentication Error!") (providers/hashicorp/_internal_client/vault_client.py, _run_with_reauth), ' +
      'so a policy that forbids the read is reported as an authentication failure, and costs a second login and read',
  },
});

/** The amazon provider's backends build their client without the botocore config their kwargs make. */
function configKwargsDropped(service: string, file: string): Record<string, string> {
  return {
    'failover › latency: TimeoutError within the bound, the chain falls through, retries within budget, then recovery':
      `amazon provider 9.39.0 builds the ${service} client with session.client(service_name, region_name, verify, endpoint_url, api_version, use_ssl) ` +
      `and never passes conn_config.botocore_config (${file}, client), so config_kwargs (connect_timeout, read_timeout, retries) ` +
      "are read and dropped: the client keeps botocore's 60 s read timeout and waits out any latency below it",
  };
}

export const airflowSecretsManagerTarget = bridgedTarget(awsSecretsManagerTarget, {
  name: 'airflow:aws-sm',
  summary: "apache-airflow-providers-amazon's SecretsManagerBackend through the bridge, on moto (endpoint_url)",
  backendClass: SECRETS_MANAGER_BACKEND,
  parser: 'sdk',
  kwargs: sessionKwargs,
  auth: scenariosThroughBridge,
  described: serverNotes('AWS kwargs'),
  knownFindings: configKwargsDropped('Secrets Manager', 'aws/secrets/secrets_manager.py'),
});

export const airflowParameterStoreTarget = bridgedTarget(awsParameterStoreTarget, {
  name: 'airflow:aws-ssm',
  summary: "apache-airflow-providers-amazon's SystemsManagerParameterStoreBackend through the bridge, on moto (endpoint_url)",
  backendClass: PARAMETER_STORE_BACKEND,
  parser: 'sdk',
  kwargs: sessionKwargs,
  auth: scenariosThroughBridge,
  described: serverNotes('AWS kwargs'),
  knownFindings: configKwargsDropped('SSM', 'aws/secrets/systems_manager.py'),
});

export const airflowTargets: readonly TargetDefinition[] = [
  airflowEnvTarget,
  airflowLocalTarget,
  airflowVaultTarget,
  airflowSecretsManagerTarget,
  airflowParameterStoreTarget,
];
