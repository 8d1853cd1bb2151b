/**
 * Mutants of VaultBackend: each breaks one rule of the provider the way a hand-written Vault
 * backend plausibly would. Most rebuild the session's backend from its kwargs with one method
 * overridden; the error mutants also break the backends of the auth scenarios, where those
 * errors happen. They need the Vault server of a run, so each names the target it is built on.
 */
import type { SecretsBackend } from '../../model/contract';
import { ForbiddenError, ThrottledError, UnauthorizedError, UnavailableError } from '../../model/errors';
import { LeasedConnectionBackend } from './leased-connection-backend';
import { vaultAwsCredsTarget, vaultDatabaseTarget } from './lease-targets';
import { productionVaultTargets } from './production-targets';
import { PROVIDER_VAULT_RETRY } from '../../model/retry';
import { vaultTargets } from './targets';
import { VaultBackend } from './vault-backend';
import { describeVaultFailure } from './vault-failures';
import { kvReadPath, type SecretLocation } from './vault-paths';
import { idsMangled, mutantsOn, swallowing, type BasedMutantSpec, type MutantTarget } from '../../mutants/mutant';

/** Attempts of the retry-forever mutant: far beyond any budget, yet a run against it ends. */
const RUNAWAY_ATTEMPTS = 50;

/** The session's backend, rebuilt from its own kwargs by `make`. */
function rebuilt(real: SecretsBackend, make: (kwargs: Record<string, unknown>) => VaultBackend): SecretsBackend {
  if (!(real instanceof VaultBackend)) throw new Error(`vault mutants rebuild a VaultBackend, got ${real.kind}`);
  return make({ ...real.kwargs });
}

/** The lease-backed example rebuilt from its own kwargs by `make`. */
function rebuiltLeased(real: SecretsBackend, make: (kwargs: Record<string, unknown>) => LeasedConnectionBackend): SecretsBackend {
  if (!(real instanceof LeasedConnectionBackend)) throw new Error(`lease mutants rebuild a LeasedConnectionBackend, got ${real.kind}`);
  return make({ ...real.kwargs });
}

const productionMutantSpecs: readonly BasedMutantSpec[] = [
  {
    name: 'vault-tls-verify-off-by-default',
    base: 'vault-tls',
    breaks: '§7.1 verify defaults to False instead of True: without a CA any certificate is accepted',
    backend: (real) => rebuilt(real, (kwargs) => new VaultBackend({ ...kwargs, verify: kwargs.verify ?? false })),
  },
  {
    name: 'vault-tls-error-as-not-found',
    base: 'vault-tls',
    breaks: '§7 a refused certificate (an unavailable server) is answered "not found" instead of an error',
    ...swallowing(UnavailableError),
  },
  {
    name: 'vault-namespace-header-dropped',
    base: 'vault-namespace',
    breaks: '§7.1 the namespace kwarg is not sent (no X-Vault-Namespace): reads go to the root namespace',
    backend: (real) => rebuilt(real, (kwargs) => new VaultBackend({ ...kwargs, namespace: null })),
  },
  {
    name: 'vault-auth-mount-ignored',
    base: 'vault-userpass',
    breaks: "§7.1 auth_mount_point is ignored: the login goes to the method's default mount",
    backend: (real) => rebuilt(real, (kwargs) => new VaultBackend({ ...kwargs, auth_mount_point: null })),
  },
  {
    name: 'vault-ldap-failure-as-not-found',
    base: 'vault-ldap',
    breaks: '§2.3 an LDAP outage at login is answered "not found" instead of an UnavailableError',
    backend: swallowing(UnavailableError).backend,
  },
  {
    name: 'vault-kubernetes-role-ignored',
    base: 'vault-kubernetes',
    breaks: '§7.1 kubernetes_role is ignored: every kubernetes login asks for the one role the deployment was first set up with',
    backend: (real) => rebuilt(real, (kwargs) => new VaultBackend({ ...kwargs, kubernetes_role: 'airflow-reader' })),
  },
  {
    name: 'vault-kubernetes-refused-login-as-not-found',
    base: 'vault-kubernetes',
    breaks: '§7.1 a kubernetes login Vault refuses (unknown role, unbound service account) is answered "not found"',
    ...swallowing(UnauthorizedError),
  },
  {
    name: 'vault-lease-cached-past-its-lease',
    base: 'vault-database',
    breaks: '§3.4 a leased credential is cached for the life of the backend: never renewed, served after its lease ended',
    backend: (real) =>
      rebuiltLeased(
        real,
        (kwargs) =>
          new (class extends LeasedConnectionBackend {
            protected override async freshen(connId: string, lease: Parameters<LeasedConnectionBackend['freshen']>[1]) {
              return lease ?? this.issue(connId);
            }
          })(kwargs),
      ),
  },
  {
    name: 'vault-lease-not-revoked-on-close',
    base: 'vault-aws-creds',
    breaks: '§1.2 close() drops its leases without revoking them: the credentials live on until their TTL',
    backend: (real) =>
      rebuiltLeased(
        real,
        (kwargs) =>
          new (class extends LeasedConnectionBackend {
            override async close(): Promise<void> {}
          })(kwargs),
      ),
  },
];

const FIELD_NAMES = ['conn_type', 'description', 'host', 'schema', 'login', 'password', 'port', 'extra', 'uri'];

const vaultMutantSpecs: readonly BasedMutantSpec[] = [
  {
    name: 'vault-kv-version-ignored',
    base: 'vault-kv1',
    breaks: '§7.1 ignores kv_engine_version: reads a KV v1 mount through the v2 API (<mount>/data/<path>)',
    backend: (real) =>
      rebuilt(
        real,
        (kwargs) =>
          new (class extends VaultBackend {
            protected override readPath(location: SecretLocation): string {
              return kvReadPath(2, location);
            }
          })(kwargs),
      ),
  },
  {
    name: 'vault-kv2-reads-v1-path',
    base: 'vault-kv2',
    breaks: '§7.1 reads KV v2 secrets at <mount>/<path> (the v1 API) instead of <mount>/data/<path>',
    backend: (real) =>
      rebuilt(
        real,
        (kwargs) =>
          new (class extends VaultBackend {
            protected override readPath(location: SecretLocation): string {
              return kvReadPath(1, location);
            }
          })(kwargs),
      ),
  },
  {
    name: 'vault-kv2-reads-first-version',
    base: 'vault-kv2',
    breaks: '§7.1 reads version 1 of a KV v2 secret instead of the latest',
    backend: (real) =>
      rebuilt(
        real,
        (kwargs) =>
          new (class extends VaultBackend {
            protected override readPath(location: SecretLocation): string {
              return `${super.readPath(location)}?version=1`;
            }
          })(kwargs),
      ),
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
      rebuilt(
        real,
        (kwargs) =>
          new (class extends VaultBackend {
            protected override connectionText(data: Record<string, unknown>): string | null {
              return typeof data.conn_uri === 'string' && data.conn_uri ? data.conn_uri : null;
            }
          })(kwargs),
      ),
  },
  {
    name: 'vault-unknown-fields-dropped',
    base: 'vault-approle',
    breaks: '§7.1 drops keys that are not connection fields instead of refusing the secret (from_json TypeError)',
    backend: (real) =>
      rebuilt(
        real,
        (kwargs) =>
          new (class extends VaultBackend {
            protected override connectionText(data: Record<string, unknown>, connId: string): string | null {
              const known = Object.fromEntries(Object.entries(data).filter(([key]) => key === 'conn_uri' || FIELD_NAMES.includes(key)));
              return super.connectionText(known, connId);
            }
          })(kwargs),
      ),
  },
  {
    name: 'vault-variable-without-value-is-whole-secret',
    base: 'vault-kv2',
    breaks: '§7.1 a variable secret without "value" returns the whole secret as JSON instead of None',
    backend: (real) =>
      rebuilt(
        real,
        (kwargs) =>
          new (class extends VaultBackend {
            protected override valueText(data: Record<string, unknown> | null): string | null {
              if (data !== null && Object.keys(data).length > 0 && !('value' in data)) return JSON.stringify(data);
              return super.valueText(data);
            }
          })(kwargs),
      ),
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
  {
    name: 'vault-no-timeout',
    base: 'vault-kv2',
    breaks: '§7.1 ignores the timeout kwarg (waits up to a day per request), so a slow or silent server holds the lookup',
    backend: (real) => rebuilt(real, (kwargs) => new VaultBackend({ ...kwargs, timeout: 86_400 })),
  },
  {
    name: 'vault-retry-forever',
    base: 'vault-kv2',
    breaks: `§7.1 retries a failed request ${RUNAWAY_ATTEMPTS - 1} times without waiting, far beyond urllib3's total=3 with backoff 0.1 s`,
    backend: (real) =>
      rebuilt(real, (kwargs) => new VaultBackend(kwargs, { retry: { ...PROVIDER_VAULT_RETRY, total: RUNAWAY_ATTEMPTS - 1, backoffFactor: 0 } })),
  },
  {
    name: 'vault-throttled-as-not-found',
    base: 'vault-kv2',
    breaks: '§7.1 a 429 (rate limit quota exceeded) is answered "not found" instead of ThrottledError',
    ...swallowing(ThrottledError),
  },
  {
    name: 'vault-throttled-retry-without-backoff',
    base: 'vault-kv1',
    breaks: `§7.1 retries a 429 up to ${RUNAWAY_ATTEMPTS - 1} times at once, where hvac's session raises RateLimitExceeded (429 is not in urllib3's forcelist)`,
    backend: (real) =>
      rebuilt(
        real,
        (kwargs) =>
          new (class extends VaultBackend {
            protected override async send<T>(method: 'GET' | 'POST', call: () => Promise<T>): Promise<T> {
              // Bounded: a run against the mutant ends.
              for (let attempt = 1; ; attempt += 1) {
                try {
                  return await super.send(method, call);
                } catch (error) {
                  if (attempt >= RUNAWAY_ATTEMPTS || describeVaultFailure(error).status !== 429) throw error;
                }
              }
            }
          })(kwargs),
      ),
  },
  {
    name: 'vault-login-per-lookup',
    base: 'vault-approle',
    breaks: '§7.1 logs in again (AppRole) for every lookup instead of reusing the token of its first login',
    backend: (real) =>
      rebuilt(
        real,
        (kwargs) =>
          new (class extends VaultBackend {
            protected override authenticated() {
              return this.authenticate();
            }
          })(kwargs),
      ),
  },
];

export const vaultMutants: readonly MutantTarget[] = [
  ...mutantsOn(vaultTargets, [
    ...vaultMutantSpecs,
    {
      ...idsMangled('vault-ids-unicode-folded', '§7.1 folds accents out of ids (ü to u) before building the secret path', (id) =>
        id.normalize('NFKD').replace(/[\u0300-\u036f]/g, ''),
      ),
      base: 'vault-kv2',
    },
  ]),
  ...mutantsOn([...productionVaultTargets, vaultDatabaseTarget, vaultAwsCredsTarget], productionMutantSpecs),
];
