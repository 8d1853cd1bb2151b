/**
 * A mutant is a deliberately broken target: a real target with one Airflow rule broken in its
 * backend, fixture-independent, or in the harness's own search path or cache. The mutant test
 * proves each is caught by at least one named case; a case no mutant needs is unproven.
 */
import type { SecretsBackend } from '../backends/contract';
import type { TargetComponents, TargetDefinition, TargetSession } from '../targets/target';

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
