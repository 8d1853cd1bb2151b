/**
 * Targets the runner builds from its command line, for backends that are not registered here:
 *
 *   --backend=./my-backend.ts      a module exporting a BackendFactory (targets/module-backend.ts)
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
import { commandProcess, stopCommandProcesses, type CommandProcess, type HelloAnswer } from './command-backend';
import type { ParserFlavour } from '../model/connection/connection';
import { ConfigurationError } from '../model/errors';
import { createBackendFromModule, DeferredBackend, loadBackendModule, looksLikeModulePath } from './module-backend';
import { airflowBridgeCommand, bridgedTarget, commandLogFile, MIRRORED_ENV_PREFIXES } from './airflow-bridge';
import { commandTarget, derivedTarget, type SessionContext } from './command-target';
import type { StoreLayout } from './family';
import { ownPackageVersion, type Capability, type TargetDefinition, type TargetDescription } from '../suites/target';
import { AIRFLOW_BRIDGE_IMPLEMENTATION } from './airflow-components';

export const CUSTOM_FAMILY = 'custom';
export const CUSTOM_TARGETS_VARIABLE = 'ASC_CUSTOM_TARGETS';

/** What a module exports as `conformance`, or a command answers in `hello`. */
export interface CustomBackendDeclaration {
  /** Report name: `custom:<name>`. */
  readonly name?: string;
  readonly store: { readonly layout: string; readonly format?: string; readonly kwargs?: Record<string, unknown> };
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
  readonly layout: string;
  readonly format?: string;
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

interface LayoutBinding {
  readonly layout: StoreLayout;
  readonly base: TargetDefinition;
  readonly kwargs: (context: SessionContext) => Record<string, unknown>;
}

function layoutNamed(name: string, layouts: readonly StoreLayout[]): StoreLayout {
  const layout = layouts.find((candidate) => candidate.name === name);
  if (!layout) {
    throw new ConfigurationError(`the "${name}" store layout is not registered`, {
      where: 'backends/families.ts',
      hint: `declare one of ${layouts.map((candidate) => candidate.name).join(', ')}`,
    });
  }
  return layout;
}

function bindLayout(name: string, format: string | undefined, layouts: readonly StoreLayout[], base?: TargetDefinition): LayoutBinding {
  const layout = layoutNamed(name, layouts);
  return { layout, base: base ?? layout.base(format), kwargs: layout.sessionKwargs };
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
  const path = spec.source.path;
  return derivedTarget(binding.base, {
    name: spec.name,
    family: CUSTOM_FAMILY,
    summary: spec.summary,
    backendKind: spec.backendKind,
    ...withDeclaredCapabilities(spec, binding.base),
    parser: spec.parser,
    kwargs: (context) => ({ ...spec.kwargs, ...binding.kwargs(context) }),
    describe: () => customDescription(spec),
    makeBackend: (kwargs) => new DeferredBackend(spec.backendKind, async () => createBackendFromModule(await loadBackendModule(path), kwargs)),
  });
}

/** A custom target keeps its configuration notes and flags, for the certificate. */
export interface CustomTargetDefinition extends TargetDefinition {
  readonly notes: readonly string[];
  readonly flags: readonly string[];
}

/**
 * A spec as targets: one reading the fixtures of its layout's reference target, and one per
 * variant of the layout (`<name>@<variant target>`, e.g. a KV v1 mount beside the KV v2 one), so a
 * backend that ignores a layout kwarg meets a store where it matters.
 */
export function targetsFromSpec(spec: CustomTargetSpec, layouts: readonly StoreLayout[]): CustomTargetDefinition[] {
  const layout = layoutNamed(spec.layout, layouts);
  const primary = layout.base(spec.format);
  const variants = layout.variants?.() ?? [];
  const checked = `store variants checked: ${[primary, ...variants].map((target) => target.name).join(', ')}`;
  const withNote = (one: CustomTargetSpec): CustomTargetSpec => ({ ...one, notes: [...one.notes, checked] });
  return [
    { ...targetOfSource(withNote(spec), layouts), notes: [...spec.notes, checked], flags: spec.flags },
    ...variants.map((variant) => {
      const named = withNote({
        ...spec,
        name: `${spec.name}@${variant.name}`,
        summary: `${spec.summary}, on the ${variant.name} variant of the store`,
      });
      return { ...targetOfSource(named, layouts, variant), notes: named.notes, flags: spec.flags };
    }),
  ];
}

function targetOfSource(spec: CustomTargetSpec, layouts: readonly StoreLayout[], base?: TargetDefinition): TargetDefinition {
  const binding = bindLayout(spec.layout, spec.format, layouts, base);
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
            ...(binding.layout.mirrorEnvironment ? { mirrorPrefixes: MIRRORED_ENV_PREFIXES } : {}),
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
    mirrorEnvironment: binding.layout.mirrorEnvironment ?? false,
    distributions: binding.layout.distributions ?? [],
    origin: 'custom',
    described: () => ({ kwargs: { ...spec.kwargs }, notes: [spec.summary, ...spec.notes], flags: [...spec.flags] }),
  });
}

/** The custom target specs the runner resolved for this run (none outside a run). */
export function customSpecsFromEnvironment(env: NodeJS.ProcessEnv = process.env): CustomTargetSpec[] {
  const text = env[CUSTOM_TARGETS_VARIABLE];
  return text ? (JSON.parse(text) as CustomTargetSpec[]) : [];
}

// ---------------------------------------------------------------------------------------------
// Resolving the command line (in the runner's process).

function declarationErrorOf(source: string, problem: string, layouts: readonly StoreLayout[]): ConfigurationError {
  const names = layouts.map((layout) => JSON.stringify(layout.name)).join(' | ');
  return new ConfigurationError(`${source}: ${problem}`, {
    what: 'store declaration',
    where: source,
    hint: `declare { store: { layout: ${names}, format?, kwargs? } }; see docs/custom-backends.md`,
  });
}

/** Checks a declaration from an untrusted source (a module's export, a command's hello) against the registered layouts. */
export function checkDeclaration(value: unknown, source: string, layouts: readonly StoreLayout[]): CustomBackendDeclaration {
  const declarationError = (problem: string) => declarationErrorOf(source, problem, layouts);
  if (value === undefined || value === null) throw declarationError('declares no store layout');
  if (typeof value !== 'object') throw declarationError('the declaration is not an object');
  const declaration = value as Record<string, unknown>;
  const store = declaration.store as Record<string, unknown> | undefined;
  if (!store || typeof store !== 'object') throw declarationError('declares no store layout');
  const layout = layouts.find((candidate) => candidate.name === store.layout);
  if (!layout) throw declarationError(`unknown store layout ${JSON.stringify(store.layout)}`);
  if (store.format !== undefined && !(layout.formats ?? []).includes(store.format as string)) {
    const formats = layout.formats ? `one of ${layout.formats.join(', ')}` : 'not taken';
    throw declarationError(`format ${JSON.stringify(store.format)} is ${formats} for the ${layout.name} layout`);
  }
  if (store.kwargs !== undefined && (store.kwargs === null || typeof store.kwargs !== 'object' || Array.isArray(store.kwargs))) {
    throw declarationError('store.kwargs must be an object');
  }
  const capabilities = declaration.capabilities;
  if (capabilities !== undefined && (!Array.isArray(capabilities) || capabilities.some((c) => typeof c !== 'string'))) {
    throw declarationError('capabilities must be a list of capability names');
  }
  const reasons = declaration.missingCapabilityReasons;
  if (reasons !== undefined && (reasons === null || typeof reasons !== 'object' || Object.values(reasons).some((r) => typeof r !== 'string'))) {
    throw declarationError('missing capability reasons must map capability names to sentences');
  }
  if (declaration.parser !== undefined && declaration.parser !== 'sdk' && declaration.parser !== 'core') {
    throw declarationError('parser must be "sdk" or "core"');
  }
  if (declaration.name !== undefined && (typeof declaration.name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(declaration.name))) {
    throw declarationError('name must be letters, digits, ".", "_" or "-"');
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
  layouts: readonly StoreLayout[],
): CustomTargetSpec {
  const { layout, format, kwargs } = declaration.store;
  const parser = layouts.find((candidate) => candidate.name === layout)?.parser ?? 'sdk';
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
    parser: declaration.parser ?? parser,
    notes: [],
    flags: [],
  };
}

async function moduleSpec(path: string, cwd: string, taken: Set<string>, layouts: readonly StoreLayout[]): Promise<CustomTargetSpec> {
  const module = await loadBackendModule(path, cwd);
  const declaration = checkDeclaration(module.exports.conformance, path, layouts);
  const name = basename(module.path, extname(module.path));
  return specFromDeclaration(
    declaration,
    { kind: 'module', path: module.path },
    name,
    declaration.name ?? name,
    `your backend module ${path}, reading the ${declaration.store.layout} store`,
    taken,
    layouts,
  );
}

async function commandSpec(command: string, cwd: string, taken: Set<string>, layouts: readonly StoreLayout[]): Promise<CustomTargetSpec> {
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
  const declaration = checkDeclaration(
    reasons === undefined ? rest : { ...rest, missingCapabilityReasons: reasons },
    `--backend-command hello (${command})`,
    layouts,
  );
  const kind = hello.backend ?? hello.implementation;
  const spec = specFromDeclaration(
    declaration,
    { kind: 'command', command, cwd },
    hello.backend ? (hello.backend.split('.').pop() ?? hello.backend) : hello.implementation,
    kind,
    `the command "${command}" (${hello.implementation}), reading the ${declaration.store.layout} store`,
    taken,
    layouts,
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

/** Builds the spec of a deployment's backend: its class and layout kwargs, on our test store. */
export function deploymentSpec(path: string, reading: AirflowConfigReading, taken: Set<string>, layouts: readonly StoreLayout[]): CustomTargetSpec {
  const backendClass = reading.backend;
  if (!backendClass) {
    throw new ConfigurationError(`${path}: [secrets] backend is empty, so Airflow uses no custom backend; nothing to certify`, {
      what: 'airflow.cfg',
      where: path,
      hint: 'set [secrets] backend (or AIRFLOW__SECRETS__BACKEND) to the class the deployment uses',
    });
  }
  const layout = layouts.find((candidate) => candidate.airflowClasses.includes(backendClass));
  if (!layout) {
    throw new ConfigurationError(`${path}: cannot tell which store ${backendClass} reads`, {
      what: 'airflow.cfg',
      where: path,
      hint: `certify one of ${layouts.flatMap((candidate) => candidate.airflowClasses).join(', ')}; for your own class use --backend-command with the bridge and --layout`,
    });
  }
  const kept = layout.keptKwargs;
  const replaced = [...(layout.replacedKwargs ?? []), ...(kept === 'all' ? [] : Object.keys(reading.kwargs).filter((name) => !kept.includes(name)))];
  const kwargs = Object.fromEntries(Object.entries(reading.kwargs).filter(([name]) => !replaced.includes(name)));
  const notes: string[] = [];
  const kwargsIgnored = reading.warnings.find((warning) => /backend_kwargs/.test(warning));
  const flags = [...reading.warnings.map((warning) => `Airflow: ${warning}`), ...(layout.configurationFlags?.(reading.kwargs) ?? [])];
  const replacedHere = replaced.filter((name) => name in reading.kwargs);
  if (replacedHere.length > 0) notes.push(`replaced by the test store's: ${replacedHere.join(', ')}`);
  if (reading.backend_from_environment) notes.push('backend from AIRFLOW__SECRETS__BACKEND');
  if (reading.kwargs_from_environment) notes.push('backend_kwargs from the environment');
  if (reading.per_key_overrides.length > 0) notes.push(`per-key overrides: ${reading.per_key_overrides.join(', ')}`);
  const shortName = backendClass.split('.').pop() ?? backendClass;
  const format = layout.formats ? (layout.formatOf?.(reading.kwargs) ?? layout.formats[0]) : undefined;
  return {
    name: uniqueName(`airflow-cfg:${shortName}`, taken),
    summary: `the deployment's [secrets] backend from ${path}: ${backendClass} with its layout kwargs, on the suite's test store`,
    backendKind: kwargsIgnored ? `${backendClass} [backend_kwargs ignored: not a JSON object]` : backendClass,
    source: { kind: 'airflow-config', path, backendClass },
    layout: layout.name,
    ...(format ? { format } : {}),
    kwargs,
    parser: layout.parser ?? 'sdk',
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
 * Turns module paths in `--backend`, `--backend-command` and `--airflow-config` into custom target
 * specs on the registered `layouts`, hands them to vitest's processes in `ASC_CUSTOM_TARGETS`, and
 * returns the flags with `backend` naming them. With only custom backends given, the run covers
 * just those.
 */
export async function withCustomTargets<F extends CustomBackendFlags>(
  flags: F,
  known: { readonly layouts: readonly StoreLayout[]; readonly targetNames: readonly string[] },
  cwd = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ flags: F; specs: CustomTargetSpec[] }> {
  const modules = (flags.backend ?? []).filter(looksLikeModulePath);
  const commands = flags.backendCommand ?? [];
  if (modules.length === 0 && commands.length === 0 && !flags.airflowConfig) return { flags, specs: [] };
  const taken = new Set(known.targetNames);
  const specs: CustomTargetSpec[] = [];
  try {
    for (const path of modules) specs.push(await moduleSpec(path, cwd, taken, known.layouts));
    for (const command of commands) specs.push(await commandSpec(command, cwd, taken, known.layouts));
    if (flags.airflowConfig) {
      const path = resolve(cwd, flags.airflowConfig);
      specs.push(deploymentSpec(flags.airflowConfig, await readAirflowConfig(path, env), taken, known.layouts));
    }
  } finally {
    await stopCommandProcesses();
  }
  // Built once here, so a spec that cannot become a target fails in the runner, not in a worker.
  const targets = specs.flatMap((spec) => targetsFromSpec(spec, known.layouts));
  env[CUSTOM_TARGETS_VARIABLE] = JSON.stringify(specs);
  const named = (flags.backend ?? []).filter((item) => !looksLikeModulePath(item));
  return { flags: { ...flags, backend: [...named, ...targets.map((target) => target.name)] }, specs };
}
