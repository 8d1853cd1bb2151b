/**
 * Resolving the runner's command line into custom target specs, in the runner's process:
 *
 *   --backend=./my-backend.ts      a module exporting a BackendFactory (targets/module-backend.ts)
 *   --backend-command='<command>'  a command speaking bridge/PROTOCOL.md, in any language
 *   --airflow-config=airflow.cfg   the `[secrets] backend` of a deployment, run by Airflow itself
 *
 * The module is loaded, the command asked `hello`, the cfg read with Airflow's parser; what each
 * declares is checked against the registered store layouts. The specs travel to vitest's processes
 * in `ASC_CUSTOM_TARGETS`, where custom-targets.ts builds their targets.
 */
import { basename, extname, resolve } from 'node:path';
import type { ParserFlavour } from '../model/connection/connection';
import { ConfigurationError } from '../model/errors';
import type { Capability } from '../suites/target';
import { commandLogFile } from './airflow-bridge';
import { readAirflowConfig, type AirflowConfigReading } from './airflow-config';
import { commandProcess, stopCommandProcesses, type HelloAnswer } from './command-process';
import { CUSTOM_FAMILY, CUSTOM_TARGETS_VARIABLE, targetsFromSpec, type CustomTargetSpec, type SpecSource } from './custom-targets';
import type { StoreLayout } from './family';
import { loadBackendModule, looksLikeModulePath } from './module-backend';

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
