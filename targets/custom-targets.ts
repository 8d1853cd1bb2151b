/**
 * Custom targets: backends that are not registered here, given on the runner's command line
 * (custom-target-specs.ts resolves them into specs) and rebuilt from those specs in every process.
 * Each reads one of our fixture stores (a "store layout") and reuses the reference target of that
 * layout: its fixtures, servers and (unless declared otherwise) capabilities. The module or command
 * declares its layout; for airflow.cfg it follows from the class.
 */
import type { ParserFlavour } from '../model/connection/connection';
import { ConfigurationError } from '../model/errors';
import { ownPackageVersion, type Capability, type TargetDefinition, type TargetDescription } from '../suites/target';
import { bridgedTarget, commandLogFile, MIRRORED_ENV_PREFIXES } from './airflow-bridge';
import { AIRFLOW_BRIDGE_IMPLEMENTATION } from './airflow-components';
import { commandProcess } from './command-process';
import { commandTarget, derivedTarget, type SessionContext } from './command-target';
import type { StoreLayout } from './family';
import { createBackendFromModule, DeferredBackend, loadBackendModule } from './module-backend';

export const CUSTOM_FAMILY = 'custom';
export const CUSTOM_TARGETS_VARIABLE = 'ASC_CUSTOM_TARGETS';

export type SpecSource =
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
    origin: 'custom',
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
      origin: 'custom',
      airflowSearchPath: spec.implementation === AIRFLOW_BRIDGE_IMPLEMENTATION,
      command: ({ requestTimeoutMs }) =>
        commandProcess(
          { shell: source.command },
          {
            cwd: source.cwd,
            keepWarm: true,
            logFile: commandLogFile(spec.name.replace(/[^A-Za-z0-9_.-]+/g, '_')),
            ...(binding.layout.mirrorEnvironment ? { mirrorPrefixes: MIRRORED_ENV_PREFIXES } : {}),
            ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
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
