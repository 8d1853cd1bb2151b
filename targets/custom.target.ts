/**
 * Targets the runner builds from its command line, for backends that are not registered here:
 *
 *   --backend=./my-backend.ts      a module exporting a BackendFactory (backends/module-backend.ts)
 *   --backend-command='<command>'  a command speaking bridge/PROTOCOL.md, in any language
 *   --airflow-config=airflow.cfg   the `[secrets] backend` of a deployment, run by Airflow itself
 *
 * Each reads one of our fixture stores (a "store layout") and reuses the reference target of that
 * layout: its fixtures, servers and (unless declared otherwise) capabilities. The module or command
 * declares its layout; for airflow.cfg it follows from the class.
 *
 * The runner resolves these once (loading the module, asking the command `hello`, reading the cfg
 * with Airflow's parser), registers them, and hands the resolved specs to vitest's processes in
 * `ASC_CUSTOM_TARGETS`, where `customTargetsFromEnvironment` rebuilds them for the registry.
 */
import { basename, extname, resolve } from 'node:path';
import { commandProcess, stopCommandProcesses, type CommandProcess, type HelloAnswer } from '../backends/command-backend';
import type { ParserFlavour } from '../backends/connection/connection';
import type { SecretsBackend } from '../backends/contract';
import { ConfigurationError } from '../backends/errors';
import { createBackendFromModule, DeferredBackend, loadBackendModule, looksLikeModulePath } from '../backends/module-backend';
import {
  airflowBridgeCommand,
  bridgedTarget,
  commandLogFile,
  commandTarget,
  ENVIRONMENT_VARIABLES_BACKEND,
  LOCAL_FILESYSTEM_BACKEND,
  localFileKwargs,
  MIRRORED_ENV_PREFIXES,
  type SessionContext,
} from './airflow.target';
import { AIRFLOW_BRIDGE_IMPLEMENTATION } from './airflow-components';
import type { LocalFileFormat } from './local.target';
import type { TargetDescription } from '../reports/model';
import { ownPackageVersion, type Capability, type TargetDefinition, type TargetSession } from './target';

export const CUSTOM_FAMILY = 'custom';
export const CUSTOM_TARGETS_VARIABLE = 'ASC_CUSTOM_TARGETS';

export const STORE_LAYOUTS = ['env', 'local', 'vault', 'aws-sm', 'aws-ssm'] as const;
export type StoreLayout = (typeof STORE_LAYOUTS)[number];
const LOCAL_FORMATS: readonly LocalFileFormat[] = ['json', 'yaml', 'env'];

/** What a module exports as `conformance`, or a command answers in `hello`. */
export interface CustomBackendDeclaration {
  /** Report name: `custom:<name>`. */
  readonly name?: string;
  readonly store: { readonly layout: StoreLayout; readonly format?: LocalFileFormat; readonly kwargs?: Record<string, unknown> };
  /** Default: the capabilities of the layout's reference target. */
  readonly capabilities?: readonly Capability[];
  readonly missingCapabilityReasons?: Partial<Record<Capability, string>>;
  /** Which Connection flavour get_connection follows (`sdk` unless declared). */
  readonly parser?: ParserFlavour;
}

type SpecSource =
  | { readonly kind: 'module'; readonly path: string }
  | { readonly kind: 'command'; readonly command: string; readonly cwd: string }
  | { readonly kind: 'airflow-config'; readonly path: string; readonly backendClass: string };

/** A resolved custom target, JSON-serialisable so it can travel to vitest's processes. */
export interface CustomTargetSpec {
  readonly name: string;
  readonly summary: string;
  readonly backendKind: string;
  readonly source: SpecSource;
  readonly layout: StoreLayout;
  readonly format?: LocalFileFormat;
  /** The backend's own kwargs; the layout's kwargs (file paths, server, credentials) go on top. */
  readonly kwargs: Record<string, unknown>;
  readonly capabilities?: readonly Capability[];
  readonly missingCapabilityReasons?: Partial<Record<Capability, string>>;
  readonly parser: ParserFlavour;
  /** Facts a certificate shows about how the target was configured (replaced kwargs, env overrides). */
  readonly notes: readonly string[];
  /** Problems with the configuration itself (kwargs Airflow ignored), which a certificate must flag. */
  readonly flags: readonly string[];
  /** What the backend says it runs on (a command's `hello` versions). */
  readonly versions?: Record<string, string>;
  /** What a command calls itself in `hello`; the Airflow bridge's cases run Airflow's own search path. */
  readonly implementation?: string;
}

// ---------------------------------------------------------------------------------------------
// Store layouts: which reference target a foreign backend reads, and the kwargs that aim it there.

/** Session kwargs per layout for the server-backed stores, wired in when those targets are bridged. */
const serverLayoutKwargs = new Map<StoreLayout, { baseTarget: string; kwargs: (context: SessionContext) => Record<string, unknown> }>();

/** Lets a server-backed layout (vault, aws-sm, aws-ssm) serve foreign backends: its base target and kwargs. */
export function registerServerLayout(
  layout: Exclude<StoreLayout, 'env' | 'local'>,
  binding: { baseTarget: string; kwargs: (context: SessionContext) => Record<string, unknown> },
): void {
  serverLayoutKwargs.set(layout, binding);
}

/**
 * Deployment kwargs that describe the store's layout; everything else (address, credentials,
 * profiles, roles) is replaced by the test server's, so fixtures never go to a real server.
 */
export const LAYOUT_KWARGS: Readonly<Record<StoreLayout, readonly string[] | 'all'>> = {
  env: 'all',
  local: 'all',
  vault: ['mount_point', 'connections_path', 'variables_path', 'config_path', 'kv_engine_version'],
  'aws-sm': [
    'connections_prefix',
    'variables_prefix',
    'config_prefix',
    'sep',
    'full_url_mode',
    'are_secret_values_urlencoded',
    'extra_conn_words',
    'connections_lookup_pattern',
    'variables_lookup_pattern',
    'config_lookup_pattern',
  ],
  'aws-ssm': [
    'connections_prefix',
    'variables_prefix',
    'config_prefix',
    'connections_lookup_pattern',
    'variables_lookup_pattern',
    'config_lookup_pattern',
  ],
};

/** LocalFilesystemBackend's file kwargs: always replaced by the session's files. */
const LOCAL_PATH_KWARGS = ['connections_file_path', 'variables_file_path', 'configs_file_path'];

/** The Airflow classes whose store layout is known, for --airflow-config. */
export const AIRFLOW_CLASS_LAYOUTS: Readonly<Record<string, StoreLayout>> = {
  [ENVIRONMENT_VARIABLES_BACKEND]: 'env',
  [LOCAL_FILESYSTEM_BACKEND]: 'local',
  'airflow.providers.hashicorp.secrets.vault.VaultBackend': 'vault',
  'airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend': 'aws-sm',
  'airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend': 'aws-ssm',
};

interface LayoutBinding {
  readonly base: TargetDefinition;
  readonly kwargs: (context: SessionContext) => Record<string, unknown>;
  /** The store is this process's environment: a command must see it mirrored. */
  readonly mirrorEnvironment: boolean;
}

function bindLayout(layout: StoreLayout, format: LocalFileFormat | undefined, known: readonly TargetDefinition[]): LayoutBinding {
  const byName = (name: string): TargetDefinition => {
    const found = known.find((target) => target.name === name);
    if (!found) {
      throw new ConfigurationError(`the "${layout}" store layout needs target "${name}", which is not registered`, {
        where: 'targets/index.ts',
        hint: 'register the layout\'s reference target, or declare another layout',
      });
    }
    return found;
  };
  if (layout === 'env') return { base: byName('env'), kwargs: () => ({}), mirrorEnvironment: true };
  if (layout === 'local') return { base: byName(`local-${format ?? 'json'}`), kwargs: localFileKwargs, mirrorEnvironment: false };
  const server = serverLayoutKwargs.get(layout);
  if (!server) {
    throw new ConfigurationError(`the "${layout}" store layout cannot serve custom backends yet`, {
      where: 'targets/custom.target.ts',
      hint: 'use the env or local layout, or wire the layout with registerServerLayout()',
    });
  }
  return { base: byName(server.baseTarget), kwargs: server.kwargs, mirrorEnvironment: false };
}

// ---------------------------------------------------------------------------------------------
// Specs to targets (in every process).

/** Capabilities of the fixture store alone, which a backend cannot lack: kept from the base. */
const STORE_ONLY_CAPABILITIES: readonly Capability[] = ['residue'];

function withDeclaredCapabilities(spec: CustomTargetSpec, base: TargetDefinition) {
  const declared = spec.capabilities ?? base.capabilities;
  const storeOnly = STORE_ONLY_CAPABILITIES.filter((capability) => base.capabilities.includes(capability) && !declared.includes(capability));
  const capabilities = [...declared, ...storeOnly];
  const missing: Partial<Record<Capability, string>> = { ...base.missingCapabilityReasons };
  for (const capability of base.capabilities) {
    if (!capabilities.includes(capability)) missing[capability] = `${spec.name} does not declare it`;
  }
  return { capabilities, missingCapabilityReasons: { ...missing, ...spec.missingCapabilityReasons } };
}

/** What the certificate names as certified for a custom target. */
function customDescription(spec: CustomTargetSpec): TargetDescription {
  return {
    backendClass: spec.backendKind,
    origin: 'custom',
    versions: { ...spec.versions, 'airflow-secrets-conformance': ownPackageVersion() },
    kwargs: { ...spec.kwargs },
    notes: [spec.summary, ...spec.notes],
    ...(spec.flags.length > 0 ? { flags: [...spec.flags] } : {}),
  };
}

function moduleTarget(spec: CustomTargetSpec & { source: { kind: 'module' } }, binding: LayoutBinding): TargetDefinition {
  const { base } = binding;
  return {
    describe: () => customDescription(spec),
    name: spec.name,
    family: CUSTOM_FAMILY,
    summary: spec.summary,
    backendKind: spec.backendKind,
    ...withDeclaredCapabilities(spec, base),
    parser: spec.parser,
    servers: base.servers,
    ...(base.fileFormat ? { fileFormat: base.fileFormat } : {}),
    ...(base.residue ? { residue: base.residue.bind(base) } : {}),
    async open(environment): Promise<TargetSession> {
      const session = await base.open(environment);
      const context: SessionContext = { environment, session };
      const made: SecretsBackend[] = [];
      return {
        fixtures: session.fixtures,
        backend(kwargs = {}) {
          const merged = { ...spec.kwargs, ...binding.kwargs(context), ...kwargs };
          const backend = new DeferredBackend(spec.backendKind, async () =>
            createBackendFromModule(await loadBackendModule(spec.source.path), merged),
          );
          made.push(backend);
          return backend;
        },
        async close() {
          try {
            await Promise.all(made.splice(0).map((backend) => backend.close?.()));
          } finally {
            await session.close();
          }
        },
      };
    },
  };
}

/** A custom target keeps its configuration notes and flags, for the certificate. */
export interface CustomTargetDefinition extends TargetDefinition {
  readonly notes: readonly string[];
  readonly flags: readonly string[];
}

/** A spec as a target, on the reference targets in `known`. */
export function targetFromSpec(spec: CustomTargetSpec, known: readonly TargetDefinition[]): CustomTargetDefinition {
  return { ...targetOfSource(spec, known), notes: spec.notes, flags: spec.flags };
}

function targetOfSource(spec: CustomTargetSpec, known: readonly TargetDefinition[]): TargetDefinition {
  const binding = bindLayout(spec.layout, spec.format, known);
  const kwargs = (context: SessionContext) => ({ ...spec.kwargs, ...binding.kwargs(context) });
  const { source } = spec;
  if (source.kind === 'module') return moduleTarget({ ...spec, source }, binding);
  if (source.kind === 'command') {
    return commandTarget(binding.base, {
      name: spec.name,
      family: CUSTOM_FAMILY,
      summary: spec.summary,
      backendKind: spec.backendKind,
      ...withDeclaredCapabilities(spec, binding.base),
      parser: spec.parser,
      kwargs,
      describe: () => customDescription(spec),
      airflowSearchPath: spec.implementation === AIRFLOW_BRIDGE_IMPLEMENTATION,
      command: () =>
        commandProcess(
          { shell: source.command },
          {
            cwd: source.cwd,
            keepWarm: true,
            logFile: commandLogFile(spec.name.replace(/[^A-Za-z0-9_.-]+/g, '_')),
            ...(binding.mirrorEnvironment ? { mirrorPrefixes: MIRRORED_ENV_PREFIXES } : {}),
          },
        ),
    });
  }
  return bridgedTarget(binding.base, {
    name: spec.name,
    family: CUSTOM_FAMILY,
    summary: spec.summary,
    backendKind: spec.backendKind,
    backendClass: source.backendClass,
    ...withDeclaredCapabilities(spec, binding.base),
    parser: spec.parser,
    kwargs,
    mirrorEnvironment: binding.mirrorEnvironment,
    origin: 'custom',
    described: () => ({ kwargs: { ...spec.kwargs }, notes: [spec.summary, ...spec.notes], flags: [...spec.flags] }),
  });
}

/** The custom targets the runner resolved for this run (none outside a run). */
export function customTargetsFromEnvironment(known: readonly TargetDefinition[], env: NodeJS.ProcessEnv = process.env): CustomTargetDefinition[] {
  const text = env[CUSTOM_TARGETS_VARIABLE];
  if (!text) return [];
  const specs = JSON.parse(text) as CustomTargetSpec[];
  return specs.map((spec) => targetFromSpec(spec, known));
}

// ---------------------------------------------------------------------------------------------
// Resolving the command line (in the runner's process).

function declarationError(source: string, problem: string): ConfigurationError {
  return new ConfigurationError(`${source}: ${problem}`, {
    what: 'store declaration',
    where: source,
    hint: 'declare { store: { layout: "env" | "local" | "vault" | "aws-sm" | "aws-ssm", format?, kwargs? } }; see README "Certify your own backend"',
  });
}

/** Checks a declaration from an untrusted source (a module's export, a command's hello). */
export function checkDeclaration(value: unknown, source: string): CustomBackendDeclaration {
  if (value === undefined || value === null) throw declarationError(source, 'declares no store layout');
  if (typeof value !== 'object') throw declarationError(source, 'the declaration is not an object');
  const declaration = value as Record<string, unknown>;
  const store = declaration.store as Record<string, unknown> | undefined;
  if (!store || typeof store !== 'object') throw declarationError(source, 'declares no store layout');
  if (!(STORE_LAYOUTS as readonly unknown[]).includes(store.layout)) {
    throw declarationError(source, `unknown store layout ${JSON.stringify(store.layout)}`);
  }
  if (store.format !== undefined && (store.layout !== 'local' || !(LOCAL_FORMATS as readonly unknown[]).includes(store.format))) {
    throw declarationError(source, `format ${JSON.stringify(store.format)} is not one of ${LOCAL_FORMATS.join(', ')} for the local layout`);
  }
  if (store.kwargs !== undefined && (store.kwargs === null || typeof store.kwargs !== 'object' || Array.isArray(store.kwargs))) {
    throw declarationError(source, 'store.kwargs must be an object');
  }
  const capabilities = declaration.capabilities;
  if (capabilities !== undefined && (!Array.isArray(capabilities) || capabilities.some((c) => typeof c !== 'string'))) {
    throw declarationError(source, 'capabilities must be a list of capability names');
  }
  const reasons = declaration.missingCapabilityReasons;
  if (reasons !== undefined && (reasons === null || typeof reasons !== 'object' || Object.values(reasons).some((r) => typeof r !== 'string'))) {
    throw declarationError(source, 'missing capability reasons must map capability names to sentences');
  }
  if (declaration.parser !== undefined && declaration.parser !== 'sdk' && declaration.parser !== 'core') {
    throw declarationError(source, 'parser must be "sdk" or "core"');
  }
  if (declaration.name !== undefined && (typeof declaration.name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(declaration.name))) {
    throw declarationError(source, 'name must be letters, digits, ".", "_" or "-"');
  }
  return value as CustomBackendDeclaration;
}

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '') || 'backend';
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let suffix = 2; taken.has(name) && suffix < 100; suffix += 1) name = `${base}-${suffix}`;
  taken.add(name);
  return name;
}

function specFromDeclaration(
  declaration: CustomBackendDeclaration,
  source: SpecSource,
  fallbackName: string,
  backendKind: string,
  summary: string,
  taken: Set<string>,
): CustomTargetSpec {
  const { layout, format, kwargs } = declaration.store;
  return {
    name: uniqueName(`${CUSTOM_FAMILY}:${declaration.name ?? slug(fallbackName)}`, taken),
    summary,
    backendKind,
    source,
    layout,
    ...(format ? { format } : {}),
    kwargs: { ...kwargs },
    ...(declaration.capabilities ? { capabilities: [...declaration.capabilities] } : {}),
    ...(declaration.missingCapabilityReasons ? { missingCapabilityReasons: { ...declaration.missingCapabilityReasons } } : {}),
    parser: declaration.parser ?? (layout === 'local' ? 'core' : 'sdk'),
    notes: [],
    flags: [],
  };
}

async function moduleSpec(path: string, cwd: string, taken: Set<string>): Promise<CustomTargetSpec> {
  const module = await loadBackendModule(path, cwd);
  const declaration = checkDeclaration(module.exports.conformance, path);
  const name = basename(module.path, extname(module.path));
  return specFromDeclaration(
    declaration,
    { kind: 'module', path: module.path },
    name,
    declaration.name ?? name,
    `your backend module ${path}, reading the ${declaration.store.layout} store`,
    taken,
  );
}

async function commandSpec(command: string, cwd: string, taken: Set<string>): Promise<CustomTargetSpec> {
  // A process of its own for planning, so a run starts its commands fresh.
  const planning = commandProcess({ shell: command }, { cwd, startupTimeoutMs: 60_000, logFile: commandLogFile('command-hello') });
  let hello: HelloAnswer;
  try {
    hello = await planning.hello();
  } finally {
    await planning.stop();
  }
  // The protocol is snake_case: `missing_capability_reasons` in hello.
  const { missing_capability_reasons: reasons, ...rest } = hello as HelloAnswer & { missing_capability_reasons?: unknown };
  const declaration = checkDeclaration(reasons === undefined ? rest : { ...rest, missingCapabilityReasons: reasons }, `--backend-command hello (${command})`);
  const kind = hello.backend ?? hello.implementation;
  const spec = specFromDeclaration(
    declaration,
    { kind: 'command', command, cwd },
    hello.backend ? (hello.backend.split('.').pop() ?? hello.backend) : hello.implementation,
    kind,
    `the command "${command}" (${hello.implementation}), reading the ${declaration.store.layout} store`,
    taken,
  );
  const withImplementation = { ...spec, implementation: hello.implementation };
  return hello.versions ? { ...withImplementation, versions: { ...hello.versions } } : withImplementation;
}

export interface AirflowConfigReading {
  backend: string | null;
  kwargs: Record<string, unknown>;
  warnings: string[];
  backend_from_environment: boolean;
  kwargs_from_environment: boolean;
  per_key_overrides: string[];
}

/**
 * `[secrets] backend` and its kwargs as Airflow 3.3.2 reads them, through the bridge. `env` is the
 * deployment's environment (its `AIRFLOW__*` entries take precedence as in Airflow). A bridge
 * given by the caller is left running; otherwise one is started and stopped.
 */
export async function readAirflowConfig(path: string, env: NodeJS.ProcessEnv = process.env, bridge?: CommandProcess): Promise<AirflowConfigReading> {
  const environ = Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('AIRFLOW__')));
  const reader = bridge ?? commandProcess(airflowBridgeCommand(), { logFile: commandLogFile('airflow-config') });
  try {
    const answer = await reader.request('read_airflow_config', { path, environ }, 60_000);
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

function localFormatOf(kwargs: Record<string, unknown>): LocalFileFormat {
  for (const name of LOCAL_PATH_KWARGS) {
    const value = kwargs[name];
    if (typeof value !== 'string') continue;
    const extension = extname(value).slice(1).toLowerCase();
    if (extension === 'yml' || extension === 'yaml') return 'yaml';
    if (extension === 'env' || extension === 'json') return extension;
  }
  return 'json';
}

/** Builds the spec of a deployment's backend: its class and layout kwargs, on our test store. */
export function deploymentSpec(path: string, reading: AirflowConfigReading, taken: Set<string>): CustomTargetSpec {
  const backendClass = reading.backend;
  if (!backendClass) {
    throw new ConfigurationError(`${path}: [secrets] backend is empty, so Airflow uses no custom backend; nothing to certify`, {
      what: 'airflow.cfg',
      where: path,
      hint: 'set [secrets] backend (or AIRFLOW__SECRETS__BACKEND) to the class the deployment uses',
    });
  }
  const layout = AIRFLOW_CLASS_LAYOUTS[backendClass];
  if (!layout) {
    throw new ConfigurationError(`${path}: cannot tell which store ${backendClass} reads`, {
      what: 'airflow.cfg',
      where: path,
      hint: `certify one of ${Object.keys(AIRFLOW_CLASS_LAYOUTS).join(', ')}; for your own class use --backend-command with the bridge and --layout`,
    });
  }
  const kept = LAYOUT_KWARGS[layout];
  const replaced = layout === 'local' ? LOCAL_PATH_KWARGS : kept === 'all' ? [] : Object.keys(reading.kwargs).filter((name) => !kept.includes(name));
  const kwargs = Object.fromEntries(Object.entries(reading.kwargs).filter(([name]) => !replaced.includes(name)));
  const notes: string[] = [];
  const kwargsIgnored = reading.warnings.find((warning) => /backend_kwargs/.test(warning));
  const flags = reading.warnings.map((warning) => `Airflow: ${warning}`);
  const replacedHere = replaced.filter((name) => name in reading.kwargs);
  if (replacedHere.length > 0) notes.push(`replaced by the test store's: ${replacedHere.join(', ')}`);
  if (reading.backend_from_environment) notes.push('backend from AIRFLOW__SECRETS__BACKEND');
  if (reading.kwargs_from_environment) notes.push('backend_kwargs from the environment');
  if (reading.per_key_overrides.length > 0) notes.push(`per-key overrides: ${reading.per_key_overrides.join(', ')}`);
  const shortName = backendClass.split('.').pop() ?? backendClass;
  const format = layout === 'local' ? localFormatOf(reading.kwargs) : undefined;
  return {
    name: uniqueName(`airflow-cfg:${shortName}`, taken),
    summary: `the deployment's [secrets] backend from ${path}: ${backendClass} with its layout kwargs, on the suite's test store`,
    backendKind: kwargsIgnored ? `${backendClass} [backend_kwargs ignored: not a JSON object]` : backendClass,
    source: { kind: 'airflow-config', path, backendClass },
    layout,
    ...(format ? { format } : {}),
    kwargs,
    parser: layout === 'local' ? 'core' : 'sdk',
    notes,
    flags,
  };
}

export interface CustomBackendFlags {
  readonly backend: string[] | null;
  readonly backendCommand?: string[] | null;
  readonly airflowConfig?: string | null;
}

/**
 * Turns module paths in `--backend`, `--backend-command` and `--airflow-config` into registered
 * targets, and returns the flags with `backend` naming them. With only custom backends given, the
 * run covers just those.
 */
export async function withCustomTargets<F extends CustomBackendFlags>(flags: F, cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): Promise<F> {
  const modules = (flags.backend ?? []).filter(looksLikeModulePath);
  const commands = flags.backendCommand ?? [];
  if (modules.length === 0 && commands.length === 0 && !flags.airflowConfig) return flags;
  const { registerTargets, targets } = await import('./index');
  const taken = new Set(targets.map((target) => target.name));
  const specs: CustomTargetSpec[] = [];
  try {
    for (const path of modules) specs.push(await moduleSpec(path, cwd, taken));
    for (const command of commands) specs.push(await commandSpec(command, cwd, taken));
    if (flags.airflowConfig) {
      const path = resolve(cwd, flags.airflowConfig);
      specs.push(deploymentSpec(flags.airflowConfig, await readAirflowConfig(path, env), taken));
    }
  } finally {
    await stopCommandProcesses();
  }
  const known = [...targets];
  registerTargets(specs.map((spec) => targetFromSpec(spec, known)));
  env[CUSTOM_TARGETS_VARIABLE] = JSON.stringify(specs);
  const named = (flags.backend ?? []).filter((item) => !looksLikeModulePath(item));
  return { ...flags, backend: [...named, ...specs.map((spec) => spec.name)] };
}
