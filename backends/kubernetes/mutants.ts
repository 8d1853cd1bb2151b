/**
 * Mutants of KubernetesSecretsBackend: each breaks one rule of the cncf-kubernetes provider the
 * way a hand-written backend plausibly would. Most rebuild the session's backend from its kwargs
 * with one rule changed; the error mutants wrap it, and the backends of the auth scenarios too.
 */
import type { SecretsBackend } from '../../model/contract';
import { ConfigurationError, ForbiddenError, InvalidNameError, TimeoutError, UnauthorizedError, UnavailableError } from '../../model/errors';
import { mutantsOn, swallowing, type BasedMutantSpec, type MutantTarget } from '../../mutants/mutant';
import {
  DEFAULT_CONFIG_LABEL,
  DEFAULT_CONNECTIONS_LABEL,
  DEFAULT_VARIABLES_LABEL,
  KubernetesSecretsBackend,
  type KubernetesBackendKwargs,
  type ListedSecret,
} from './kubernetes-backend';
import { KUBERNETES_CLIENT_ATTEMPTS } from './network';
import { kubernetesTarget } from './targets';

/** Attempts of the mutant that retries past the provider's client. */
const RETRYING_ATTEMPTS = KUBERNETES_CLIENT_ATTEMPTS + 2;

function rebuilt(real: SecretsBackend, make: (kwargs: KubernetesBackendKwargs) => SecretsBackend): SecretsBackend {
  if (!(real instanceof KubernetesSecretsBackend)) throw new Error(`kubernetes mutants rebuild a KubernetesSecretsBackend, got ${real.kind}`);
  return make({ ...real.kwargs });
}

/** The real backend with `pick` (what happens after the list) replaced. */
function picking(pick: (items: readonly ListedSecret[], dataKey: string, backend: KubernetesSecretsBackend) => string | null) {
  return (real: SecretsBackend) =>
    rebuilt(
      real,
      (kwargs) =>
        new (class extends KubernetesSecretsBackend {
          protected override pick(items: readonly ListedSecret[], selector: string, namespace: string, dataKey: string): string | null {
            return pick(items, dataKey, this) ?? super.pick(items, selector, namespace, dataKey);
          }
        })(kwargs),
    );
}

/** The backend's own list of Secrets: `list()` as it asks (the watch cache), `list(null)` a read from storage. */
type OwnList = (resourceVersion?: string | null) => Promise<ListedSecret[]>;

/** The real backend with its list of Secrets replaced by `list`, which may ask the backend's own. */
function listing(list: (own: OwnList) => Promise<ListedSecret[]>) {
  return (real: SecretsBackend) =>
    rebuilt(
      real,
      (kwargs) =>
        new (class extends KubernetesSecretsBackend {
          protected override listSecrets(namespace: string, selector: string): Promise<ListedSecret[]> {
            return list((resourceVersion) => super.listSecrets(namespace, selector, resourceVersion));
          }
        })(kwargs),
    );
}

const specs: readonly BasedMutantSpec[] = [
  {
    name: 'kubernetes-base64-not-decoded',
    base: 'kubernetes',
    breaks: '§7.6 answers data.value as the API returns it (base64), without decoding',
    backend: picking((items, dataKey) => items[0]?.data?.[dataKey] ?? null),
  },
  {
    name: 'kubernetes-spec-label-keys',
    base: 'kubernetes',
    breaks:
      "§7.6 looks up airflow.apache.org/connection-name, variable-name, config-name (the spec text) instead of provider 10.25.0's connection-id, variable-key, config-key",
    backend: (real) =>
      rebuilt(real, (kwargs) => {
        const spec = (name: keyof KubernetesBackendKwargs, fallback: string, wrong: string) =>
          !(name in kwargs) || kwargs[name] === fallback ? wrong : (kwargs[name] as string | null);
        return new KubernetesSecretsBackend({
          ...kwargs,
          connections_label: spec('connections_label', DEFAULT_CONNECTIONS_LABEL, 'airflow.apache.org/connection-name'),
          variables_label: spec('variables_label', DEFAULT_VARIABLES_LABEL, 'airflow.apache.org/variable-name'),
          config_label: spec('config_label', DEFAULT_CONFIG_LABEL, 'airflow.apache.org/config-name'),
        });
      }),
  },
  {
    name: 'kubernetes-namespace-kwarg-ignored',
    base: 'kubernetes',
    breaks: "§7.6 always reads the pod's namespace file, ignoring the namespace kwarg",
    backend: (real) => rebuilt(real, (kwargs) => new KubernetesSecretsBackend({ ...kwargs, namespace: null })),
  },
  {
    name: 'kubernetes-several-matches-not-warned',
    base: 'kubernetes',
    breaks: '§7.6 uses the first of several matching Secrets without the warning',
    backend: picking((items, dataKey, backend) => {
      if (items.length < 2) return null;
      const encoded = items[0]?.data?.[dataKey];
      void backend;
      return encoded === undefined ? null : Buffer.from(encoded, 'base64').toString('utf8');
    }),
  },
  {
    name: 'kubernetes-forbidden-as-not-found',
    base: 'kubernetes',
    breaks: '§7.6 reads a 403 (the service account may not list Secrets there) as "not found"',
    ...swallowing(ForbiddenError),
  },
  {
    name: 'kubernetes-unauthorized-as-not-found',
    base: 'kubernetes',
    breaks: '§7 reads a 401 (a token the API server never issued, or one past its expiry) as "not found"',
    ...swallowing(UnauthorizedError),
  },
  {
    name: 'kubernetes-missing-data-key-takes-another',
    base: 'kubernetes',
    breaks: "§7.6 answers the Secret's first data key when the configured one is missing, instead of None",
    backend: picking((items, dataKey) => {
      const data = items[0]?.data;
      if (!data || dataKey in data) return null;
      const first = Object.values(data)[0];
      return first === undefined ? null : Buffer.from(first, 'base64').toString('utf8');
    }),
  },
  {
    name: 'kubernetes-namespace-defaults-to-default',
    base: 'kubernetes',
    breaks: '§7.6 reads namespace "default" when it cannot auto-detect one, instead of the configuration error',
    backend: (real) =>
      rebuilt(
        real,
        (kwargs) =>
          new (class extends KubernetesSecretsBackend {
            override get namespace(): string {
              try {
                return super.namespace;
              } catch (error) {
                if (error instanceof ConfigurationError) return 'default';
                throw error;
              }
            }
          })(kwargs),
      ),
  },
  {
    name: 'kubernetes-invalid-id-as-not-found',
    base: 'kubernetes',
    breaks: '§7.6 reads the API\'s 400 for an id that is no label value as "not found"',
    ...swallowing(InvalidNameError),
  },
  {
    name: 'kubernetes-team-label-ignored',
    base: 'kubernetes',
    breaks: "§7.6 leaves !airflow.apache.org/team out of the selector and the _<team>___<id> check out, serving a team's Secret globally",
    backend: (real) =>
      rebuilt(
        real,
        (kwargs) =>
          new (class extends KubernetesSecretsBackend {
            override selectorFor(label: string, id: string): string {
              return `${label}=${id}`;
            }
            override async getVariable(key: string): Promise<string | null> {
              return this.lookup(this.variablesLabel, key, this.variablesDataKey);
            }
          })(kwargs),
      ),
  },
  {
    name: 'kubernetes-none-label-uses-default',
    base: 'kubernetes',
    breaks: '§7.6 reads a label kwarg of None as "use the default label", so a disabled kind is still looked up',
    backend: (real) =>
      rebuilt(
        real,
        (kwargs) =>
          new KubernetesSecretsBackend({
            ...kwargs,
            connections_label: kwargs.connections_label ?? DEFAULT_CONNECTIONS_LABEL,
            variables_label: kwargs.variables_label ?? DEFAULT_VARIABLES_LABEL,
            config_label: kwargs.config_label ?? DEFAULT_CONFIG_LABEL,
          }),
      ),
  },
  {
    name: 'kubernetes-consistent-read-when-empty',
    base: 'kubernetes',
    breaks: '§7.6 asks again without resourceVersion=0 (a read from storage) when the cached list is empty: two lists for an id it does not hold',
    backend: listing(async (list) => {
      const cached = await list();
      return cached.length > 0 ? cached : list(null);
    }),
  },
  {
    name: 'kubernetes-reads-from-storage',
    base: 'kubernetes',
    breaks: '§7.6 lists without resourceVersion=0, so every lookup is a read from storage instead of the watch cache',
    backend: listing((list) => list(null)),
  },
  {
    name: 'kubernetes-unreachable-as-not-found',
    base: 'kubernetes',
    breaks: '§2.3 reads an API server it cannot reach as "not found"',
    ...swallowing(UnavailableError),
  },
  {
    name: 'kubernetes-request-timeout-ignored',
    base: 'kubernetes',
    breaks: '§2.3 sends its list without the request_timeout it was given, so a stalled API server holds the lookup',
    backend: (real) => rebuilt(real, (kwargs) => new KubernetesSecretsBackend({ ...kwargs, request_timeout: null })),
  },
  {
    name: 'kubernetes-retries-beyond-the-client',
    base: 'kubernetes',
    breaks: `§2.3 retries a failed list ${RETRYING_ATTEMPTS} times in all, beyond the ${KUBERNETES_CLIENT_ATTEMPTS} attempts urllib3's default Retry(3) gives the provider's client`,
    backend: listing(async (list) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await list();
        } catch (error) {
          const transient = error instanceof UnavailableError || error instanceof TimeoutError;
          if (!transient || attempt >= RETRYING_ATTEMPTS) throw error;
        }
      }
    }),
  },
];

export const kubernetesMutants: readonly MutantTarget[] = mutantsOn([kubernetesTarget], specs);
