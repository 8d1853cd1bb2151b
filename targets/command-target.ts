/**
 * A target whose backend is served by a command speaking bridge/PROTOCOL.md (any language), reading
 * the fixture store of a base target: same fixtures, servers and (unless given) capabilities, with
 * the backend swapped. The Airflow twins (`airflow-bridge.ts`) and custom `--backend-command`
 * targets are built on it.
 */
import { CommandBackend, type CommandProcess, type RoundTrip } from '../backends/command-backend';
import type { ParserFlavour } from '../backends/connection/connection';
import type { SecretsBackend } from '../backends/contract';
import { ConfigurationError } from '../backends/errors';
import { airflowSearchPathComponents } from './airflow-components';
import type { AuthScenario, AuthScenarios, Capability, TargetDefinition, TargetDescription, TargetEnvironment, TargetSession } from './target';

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
    if (inherited.includes(capability) && !options.auth)
      missing[capability] ??= `${options.name} has no auth scenarios wired for the bridged backend yet`;
  }
  const target: TargetDefinition = {
    // The base's store (a Vault mount, an AWS service) and network are the ones the command's
    // backend reads too; everything else a TargetDefinition names is set below.
    ...base,
    knownFindings: options.knownFindings ?? {},
    name: options.name,
    family: options.family,
    baseTarget: base.name,
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
        const served = new CommandBackend({
          command: options.command(),
          ...(options.backendClass ? { backend: options.backendClass } : {}),
          kwargs: { ...options.kwargs?.(context), ...kwargs },
          parser: options.parser,
          kind: options.backendKind,
          ...(options.onRoundTrip ? { onRoundTrip: options.onRoundTrip } : {}),
        });
        made.push(served);
        return served;
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
 * The base target's auth scenarios, with Airflow's backend built from each scenario's kwargs:
 * the same wrong token, expired secret-id or denying policy, met by the real provider code.
 */
export function scenariosThroughBridge(
  context: SessionContext,
  backend: (kwargs: Record<string, unknown>) => SecretsBackend,
): AuthScenarios | undefined {
  const base = context.session.auth;
  if (!base) return undefined;
  const through = async (name: string, made: Promise<AuthScenario>): Promise<AuthScenario> => {
    const scenario = await made;
    if (!scenario.kwargs)
      throw new ConfigurationError(`the ${name} scenario of the base target does not give its kwargs`, { where: 'targets/command-target.ts' });
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
