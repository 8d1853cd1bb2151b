/**
 * A mutant is a deliberately broken target: a real target with one Airflow rule broken in its
 * backend, fixture-independent, or in the harness's own search path or cache. The mutant test
 * proves each is caught by at least one named case; a case no mutant needs is unproven.
 */
import type { SecretsBackend } from '../model/contract';
import type { SecretsError } from '../model/errors';
import type { AuthScenario, AuthScenarios, TargetComponents, TargetDefinition, TargetSession } from '../suites/target';

export interface MutantSpec {
  /** Short kebab-case name; the target is selected as `mutant:<name>`. */
  readonly name: string;
  /** The Airflow rule this mutant breaks, in one line. */
  readonly breaks: string;
  /** Wraps the real backend of each session into the broken one. */
  readonly backend?: (real: SecretsBackend) => SecretsBackend;
  /** Broken harness components (search path, cache) replacing the real ones. */
  readonly components?: TargetComponents;
  /** A broken session: the fixture side of a target (cleanup, isolation). */
  readonly session?: (real: TargetSession) => TargetSession;
}

/** A mutant built on a named reference target (a family's own, or any for a harness mutant). */
export interface BasedMutantSpec extends MutantSpec {
  /** The target the mutant is built on: `vault-kv2`, `aws-ssm`, `env`. */
  readonly base: string;
}

export interface MutantTarget extends TargetDefinition {
  readonly mutantOf: string;
  readonly breaks: string;
}

export function mutantOf(base: TargetDefinition, spec: MutantSpec): MutantTarget {
  const wrap = spec.backend;
  return {
    ...base,
    name: `mutant:${spec.name}`,
    family: 'mutant',
    summary: `${base.name} with a deliberate bug: ${spec.breaks}`,
    mutantOf: base.name,
    breaks: spec.breaks,
    components: { ...base.components, ...spec.components },
    async open(environment) {
      const opened = await base.open(environment);
      const session = spec.session ? spec.session(opened) : opened;
      if (!wrap) return session;
      const mutated: TargetSession = {
        fixtures: session.fixtures,
        backend: (kwargs) => wrap(session.backend(kwargs)),
        close: () => session.close(),
        ...(session.auth ? { auth: session.auth } : {}),
        ...(session.readOnly ? { readOnly: true } : {}),
      };
      return mutated;
    },
  };
}

/** Forwards every call to `inner`; mutants override the one method they break. */
export class ForwardingBackend implements SecretsBackend {
  readonly kind: string;

  constructor(protected readonly inner: SecretsBackend) {
    this.kind = `${inner.kind} (mutant)`;
  }

  getConnValue(connId: string) {
    return this.inner.getConnValue(connId);
  }

  getConnection(connId: string) {
    return this.inner.getConnection(connId);
  }

  getVariable(key: string) {
    return this.inner.getVariable(key);
  }

  getConfig(key: string) {
    return this.inner.getConfig(key);
  }

  close() {
    return this.inner.close?.() ?? Promise.resolve();
  }

  get requestsSent() {
    return this.inner.requestsSent;
  }
}

/** Each spec as a mutant of the target it names in `targets`. */
export function mutantsOn(targets: readonly TargetDefinition[], specs: readonly BasedMutantSpec[]): MutantTarget[] {
  return specs.map((spec) => {
    const base = targets.find((target) => target.name === spec.base);
    if (!base) throw new Error(`mutant ${spec.name} is built on target "${spec.base}", which is not among ${targets.map((t) => t.name).join(', ')}`);
    return mutantOf(base, spec);
  });
}

/**
 * The session with the backend of every auth scenario passed through `wrap` as well: an error
 * mutant must break the backends that meet those errors.
 */
export function wrappingAuthScenarios(wrap: (backend: SecretsBackend) => SecretsBackend) {
  return (real: TargetSession): TargetSession => {
    const auth = real.auth;
    if (!auth) return real;
    const wrapped = async (scenario: Promise<AuthScenario>): Promise<AuthScenario> => {
      const made = await scenario;
      return { ...made, backend: wrap(made.backend) };
    };
    const scenarios: AuthScenarios = {
      ...(auth.wrongCredentials ? { wrongCredentials: () => wrapped(auth.wrongCredentials!()) } : {}),
      ...(auth.expiredCredentials ? { expiredCredentials: () => wrapped(auth.expiredCredentials!()) } : {}),
      ...(auth.deniedRead ? { deniedRead: (ids: { connId: string; key: string }) => wrapped(auth.deniedRead!(ids)) } : {}),
    };
    return { fixtures: real.fixtures, backend: (kwargs) => real.backend(kwargs), close: () => real.close(), auth: scenarios };
  };
}

/** Answers `null` where the backend raised `swallowed`: "not found" instead of the failure. */
class SwallowingBackend extends ForwardingBackend {
  constructor(
    inner: SecretsBackend,
    private readonly swallowed: abstract new (...args: never[]) => SecretsError,
  ) {
    super(inner);
  }

  private async orNull<T>(lookup: Promise<T>): Promise<T | null> {
    try {
      return await lookup;
    } catch (error) {
      if (error instanceof this.swallowed) return null;
      throw error;
    }
  }

  override getConnValue(connId: string) {
    return this.orNull(this.inner.getConnValue(connId));
  }

  override getConnection(connId: string) {
    return this.orNull(this.inner.getConnection(connId));
  }

  override getVariable(key: string) {
    return this.orNull(this.inner.getVariable(key));
  }

  override getConfig(key: string) {
    return this.orNull(this.inner.getConfig(key));
  }
}

/**
 * The error mutant's shape: `swallowed` read as "not found", in the session's backend and in the
 * backends of its auth scenarios, where such errors happen.
 */
export function swallowing(swallowed: abstract new (...args: never[]) => SecretsError) {
  const wrap = (backend: SecretsBackend): SecretsBackend => new SwallowingBackend(backend, swallowed);
  return { backend: wrap, session: wrappingAuthScenarios(wrap) };
}

/**
 * A backend that reads every id through `mangle` first (lower-cased, `-` mapped to `_`, accents
 * folded): the id shapes a store holds (`TargetStore.idShapes`) are what must catch it.
 */
export function idsMangled(name: string, breaks: string, mangle: (id: string) => string): MutantSpec {
  return {
    name,
    breaks,
    backend: (real) =>
      new (class extends ForwardingBackend {
        override getConnValue(connId: string) {
          return this.inner.getConnValue(mangle(connId));
        }
        override async getConnection(connId: string) {
          return this.inner.getConnection(mangle(connId));
        }
        override getVariable(key: string) {
          return this.inner.getVariable(mangle(key));
        }
        override getConfig(key: string) {
          return this.inner.getConfig(mangle(key));
        }
      })(real),
  };
}
