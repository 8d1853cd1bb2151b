/**
 * Targets that run another implementation on a reference target's store: the same fixtures,
 * servers, store, network and (unless declared less) capabilities, with the backend swapped.
 * `derivedTarget` is the general form, whatever makes the backend (a TypeScript module, a command
 * speaking bridge/PROTOCOL.md, Airflow itself through the bridge); `commandTarget` serves the
 * backend from a command. The Airflow twins and every custom backend are built on them, so a
 * backend of a layout meets every case the layout's reference target meets, its auth scenarios
 * included.
 */
import { CommandBackend } from './command-backend';
import type { CommandProcess } from './command-process';
import type { RoundTrip } from './command-instance';
import type { ParserFlavour } from '../model/connection/connection';
import type { SecretsBackend } from '../model/contract';
import { ConfigurationError } from '../model/errors';
import { airflowSearchPathComponents } from './airflow-components';
import type {
  AuthScenario,
  AuthScenarios,
  BackendOrigin,
  Capability,
  TargetComponents,
  TargetDefinition,
  TargetDescription,
  TargetEnvironment,
  TargetNetwork,
  TargetSession,
} from '../suites/target';

export interface SessionContext {
  readonly environment: TargetEnvironment;
  /** The base target's session: its fixture store is the one the backend must read. */
  readonly session: TargetSession;
}

export interface DerivedTargetOptions {
  readonly name: string;
  readonly family: string;
  readonly summary: string;
  /** What reports call the backend: the class (`airflow.secrets....EnvironmentVariablesBackend`). */
  readonly backendKind: string;
  /** The backend's kwargs that aim it at this session's store (file paths, server, credentials). */
  readonly kwargs?: (context: SessionContext) => Record<string, unknown>;
  /** Makes the backend under test from its full kwargs (the session's, then the case's on top), in a session. */
  readonly makeBackend: (kwargs: Record<string, unknown>, context: SessionContext) => SecretsBackend;
  /** Which Connection class the backend deserialises with: the task SDK's or the core ORM model. */
  readonly parser: ParserFlavour;
  /** The base target's capabilities unless given. */
  readonly capabilities?: readonly Capability[];
  readonly missingCapabilityReasons?: Partial<Record<Capability, string>>;
  /** Cases this backend is known to fail, with why (see TargetDefinition.knownFindings). */
  readonly knownFindings?: Readonly<Record<string, string>>;
  /** What the certificate names as certified (class, versions, kwargs); cheap, no server calls. */
  readonly describe?: (environment: TargetEnvironment) => TargetDescription;
  /** Whose code the backend is (TargetDefinition.origin); never the base's. */
  readonly origin?: BackendOrigin;
  /** The base's network unless given: a backend whose kwargs differ (no timeout kwarg, another retry policy) declares its own. */
  readonly network?: TargetNetwork;
  /** The search path and cache its cases run with; the reference's unless given. */
  readonly components?: TargetComponents;
}

/** A target running `options.makeBackend`'s backend on the fixture store of `base`. */
export function derivedTarget(base: TargetDefinition, options: DerivedTargetOptions): TargetDefinition {
  const target: TargetDefinition = {
    // The base's store (a Vault mount, an AWS service) and network are the ones this backend reads
    // too; everything else a TargetDefinition names is set below.
    ...base,
    knownFindings: options.knownFindings ?? {},
    name: options.name,
    family: options.family,
    baseTarget: base.name,
    summary: options.summary,
    backendKind: options.backendKind,
    capabilities: options.capabilities ?? base.capabilities,
    missingCapabilityReasons: { ...base.missingCapabilityReasons, ...options.missingCapabilityReasons },
    parser: options.parser,
    // Never the base's: it would describe the reference backend, not this one.
    describe: options.describe,
    origin: options.origin,
    components: options.components ?? {},
    ...(options.network ? { network: options.network } : {}),
    async open(environment): Promise<TargetSession> {
      const session = await base.open(environment);
      const context: SessionContext = { environment, session };
      const made: SecretsBackend[] = [];
      const backend = (kwargs: Record<string, unknown> = {}): SecretsBackend => {
        const served = options.makeBackend({ ...options.kwargs?.(context), ...kwargs }, context);
        made.push(served);
        return served;
      };
      const auth = scenariosRebuilt(context, backend);
      return {
        fixtures: session.fixtures,
        backend,
        ...(session.kwargs ? { kwargs: { ...options.kwargs?.(context) } } : {}),
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

/** What a run asks of the command process serving its backends. */
export interface CommandSettings {
  readonly requestTimeoutMs?: number;
}

export interface CommandTargetOptions extends Omit<DerivedTargetOptions, 'makeBackend' | 'components'> {
  /**
   * The process serving the backend; called when a backend is made, with the run's bound on a
   * request (TargetEnvironment.commandRequestTimeoutMs) when it sets one.
   */
  readonly command: (settings: CommandSettings) => CommandProcess;
  /** The class `open` builds; omitted when the command serves one backend of its own. */
  readonly backendClass?: string;
  readonly onRoundTrip?: (roundTrip: RoundTrip) => void;
  /** Run search path and cache cases with Airflow's own code inside the command (the Airflow bridge only). */
  readonly airflowSearchPath?: boolean;
}

/** A target whose backend is served by a command, reading the fixture store of `base`. */
export function commandTarget(base: TargetDefinition, options: CommandTargetOptions): TargetDefinition {
  const { command, backendClass, onRoundTrip, airflowSearchPath, ...rest } = options;
  return derivedTarget(base, {
    ...rest,
    // A chain of stand-ins only (no backend of the command's) sends a few requests: the default bound.
    ...(airflowSearchPath ? { components: airflowSearchPathComponents(() => command({})) } : {}),
    makeBackend: (kwargs, { environment }) =>
      new CommandBackend({
        command: command({ requestTimeoutMs: environment.commandRequestTimeoutMs }),
        ...(backendClass ? { backend: backendClass } : {}),
        kwargs,
        parser: options.parser,
        kind: options.backendKind,
        ...(onRoundTrip ? { onRoundTrip } : {}),
      }),
  });
}

/** The backend_kwargs the base target's session uses (server, credentials, mount or prefixes). */
export function sessionKwargs({ session }: SessionContext): Record<string, unknown> {
  if (!session.kwargs) {
    throw new ConfigurationError('the base target does not say which backend_kwargs aim a backend at its store', {
      where: 'targets/command-target.ts',
      hint: 'give the base target session a kwargs member',
    });
  }
  return session.kwargs;
}

/**
 * The base target's auth scenarios, with the backend under test built from each scenario's kwargs:
 * the same wrong token, expired secret-id or denying policy, met by this implementation.
 */
function scenariosRebuilt(context: SessionContext, backend: (kwargs: Record<string, unknown>) => SecretsBackend): AuthScenarios | undefined {
  const base = context.session.auth;
  if (!base) return undefined;
  const through = async (name: string, made: Promise<AuthScenario>): Promise<AuthScenario> => {
    const scenario = await made;
    if (!scenario.kwargs) {
      throw new ConfigurationError(`the ${name} scenario of the base target does not give its kwargs`, { where: 'targets/command-target.ts' });
    }
    // The reference backend the base scenario made is not used: this implementation's takes its place.
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
