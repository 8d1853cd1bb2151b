/**
 * Mutants of VaultBackend: each breaks one rule of the provider the way a hand-written Vault
 * backend plausibly would. Most rebuild the session's backend from its kwargs with one method
 * overridden; the error mutants also break the backends of the auth scenarios, where those
 * errors happen. They need the Vault server of a run, so each names the target it is built on.
 */
import type { SecretsBackend } from '../backends/contract';
import { ForbiddenError, UnauthorizedError, type SecretsError } from '../backends/errors';
import { kvReadPath, VaultBackend, type SecretLocation } from '../backends/vault';
import type { AuthScenarios, TargetSession } from '../targets/target';
import { ForwardingBackend, type MutantSpec } from './mutant';

export interface VaultMutantSpec extends MutantSpec {
  /** The target the mutant is built on: `vault-kv2`, `vault-kv1` or `vault-approle`. */
  readonly base: 'vault-kv2' | 'vault-kv1' | 'vault-approle';
}

/** The session's backend, rebuilt from its own kwargs by `make`. */
function rebuilt(real: SecretsBackend, make: (kwargs: Record<string, unknown>) => VaultBackend): SecretsBackend {
  if (!(real instanceof VaultBackend)) throw new Error(`vault mutants rebuild a VaultBackend, got ${real.kind}`);
  return make({ ...real.kwargs });
}

/** Answers `null` where the backend raised `errorClass`: "not found" instead of the failure. */
class SwallowingBackend extends ForwardingBackend {
  constructor(
    inner: SecretsBackend,
    private readonly swallowed: abstract new (...args: never[]) => SecretsError,
  ) {
    super(inner);
  }

  private async orNull(lookup: Promise<unknown>): Promise<never | null> {
    try {
      return (await lookup) as never;
    } catch (error) {
      if (error instanceof this.swallowed) return null;
      throw error;
    }
  }

  override getConnValue(connId: string) {
    return this.orNull(this.inner.getConnValue(connId)) as Promise<string | null>;
  }

  override getConnection(connId: string) {
    return this.orNull(this.inner.getConnection(connId)) as ReturnType<SecretsBackend['getConnection']>;
  }

  override getVariable(key: string) {
    return this.orNull(this.inner.getVariable(key)) as Promise<string | null>;
  }

  override getConfig(key: string) {
    return this.orNull(this.inner.getConfig(key)) as Promise<string | null>;
  }
}

/** The session with every auth scenario's backend passed through `wrap`. */
function wrappingAuthScenarios(wrap: (backend: SecretsBackend) => SecretsBackend) {
  return (real: TargetSession): TargetSession => {
    const auth = real.auth;
    const wrapped: AuthScenarios | undefined = auth && {
      ...(auth.wrongCredentials && { wrongCredentials: async () => wrapScenario(await auth.wrongCredentials!()) }),
      ...(auth.expiredCredentials && { expiredCredentials: async () => wrapScenario(await auth.expiredCredentials!()) }),
      ...(auth.deniedRead && { deniedRead: async (ids: { connId: string; key: string }) => wrapScenario(await auth.deniedRead!(ids)) }),
    };
    function wrapScenario<S extends { backend: SecretsBackend }>(scenario: S): S {
      return { ...scenario, backend: wrap(scenario.backend) };
    }
    return {
      fixtures: real.fixtures,
      backend: (kwargs) => real.backend(kwargs),
      close: () => real.close(),
      ...(wrapped ? { auth: wrapped } : {}),
    };
  };
}

function swallowing(swallowed: abstract new (...args: never[]) => SecretsError) {
  const wrap = (backend: SecretsBackend): SecretsBackend => new SwallowingBackend(backend, swallowed);
  return { backend: wrap, session: wrappingAuthScenarios(wrap) };
}

const FIELD_NAMES = ['conn_type', 'description', 'host', 'schema', 'login', 'password', 'port', 'extra', 'uri'];

export const vaultMutants: readonly VaultMutantSpec[] = [
  {
    name: 'vault-kv2-reads-v1-path',
    base: 'vault-kv2',
    breaks: '§7.1 reads KV v2 secrets at <mount>/<path> (the v1 API) instead of <mount>/data/<path>',
    backend: (real) =>
      rebuilt(real, (kwargs) => new (class extends VaultBackend {
        protected override readPath(location: SecretLocation): string {
          return kvReadPath(1, location);
        }
      })(kwargs)),
  },
  {
    name: 'vault-kv2-reads-first-version',
    base: 'vault-kv2',
    breaks: '§7.1 reads version 1 of a KV v2 secret instead of the latest',
    backend: (real) =>
      rebuilt(real, (kwargs) => new (class extends VaultBackend {
        protected override readPath(location: SecretLocation): string {
          return `${super.readPath(location)}?version=1`;
        }
      })(kwargs)),
  },
  {
    name: 'vault-mount-point-none-ignored',
    base: 'vault-kv2',
    breaks: '§7.1 mount_point=None reads the default mount "secret" instead of the first id segment',
    backend: (real) => rebuilt(real, (kwargs) => new VaultBackend({ ...kwargs, mount_point: kwargs.mount_point || 'secret' })),
  },
  {
    name: 'vault-disabled-path-still-read',
    base: 'vault-kv1',
    breaks: '§7.1 a *_path of None falls back to the default path instead of disabling the lookup',
    backend: (real) =>
      rebuilt(real, (kwargs) => {
        const defaults = { connections_path: 'connections', variables_path: 'variables', config_path: 'config' } as const;
        const patched = { ...kwargs };
        for (const [name, fallback] of Object.entries(defaults)) if (patched[name] === null) patched[name] = fallback;
        return new VaultBackend(patched);
      }),
  },
  {
    name: 'vault-empty-path-disables',
    base: 'vault-kv1',
    breaks: '§7.1 a *_path of "" disables the lookup instead of using the key directly',
    backend: (real) =>
      rebuilt(real, (kwargs) => {
        const patched = { ...kwargs };
        for (const name of ['connections_path', 'variables_path', 'config_path']) if (patched[name] === '') patched[name] = null;
        return new VaultBackend(patched);
      }),
  },
  {
    name: 'vault-conn-uri-only',
    base: 'vault-kv2',
    breaks: '§7.1 reads only conn_uri: a secret of connection fields is "not found"',
    backend: (real) =>
      rebuilt(real, (kwargs) => new (class extends VaultBackend {
        protected override connectionText(data: Record<string, unknown>): string | null {
          return typeof data.conn_uri === 'string' && data.conn_uri ? data.conn_uri : null;
        }
      })(kwargs)),
  },
  {
    name: 'vault-unknown-fields-dropped',
    base: 'vault-approle',
    breaks: '§7.1 drops keys that are not connection fields instead of refusing the secret (from_json TypeError)',
    backend: (real) =>
      rebuilt(real, (kwargs) => new (class extends VaultBackend {
        protected override connectionText(data: Record<string, unknown>, connId: string): string | null {
          const known = Object.fromEntries(Object.entries(data).filter(([key]) => key === 'conn_uri' || FIELD_NAMES.includes(key)));
          return super.connectionText(known, connId);
        }
      })(kwargs)),
  },
  {
    name: 'vault-variable-without-value-is-whole-secret',
    base: 'vault-kv2',
    breaks: '§7.1 a variable secret without "value" returns the whole secret as JSON instead of None',
    backend: (real) =>
      rebuilt(real, (kwargs) => new (class extends VaultBackend {
        protected override valueText(data: Record<string, unknown> | null): string | null {
          if (data !== null && Object.keys(data).length > 0 && !('value' in data)) return JSON.stringify(data);
          return super.valueText(data);
        }
      })(kwargs)),
  },
  {
    name: 'vault-forbidden-as-not-found',
    base: 'vault-kv2',
    breaks: '§7 a 403 on a read (policy without read) is answered "not found" instead of ForbiddenError',
    ...swallowing(ForbiddenError),
  },
  {
    name: 'vault-unauthorized-as-not-found',
    base: 'vault-approle',
    breaks: '§7 a refused login or an unaccepted token is answered "not found" instead of UnauthorizedError',
    ...swallowing(UnauthorizedError),
  },
];
