/**
 * A Vault target on the run's production-mode OpenBao: our VaultBackend over HTTPS (`verify` = the
 * run's CA), logging in with the variant's auth method, reading KV v2 fixtures in a mount (and
 * namespace) of its own, with the file audit device recording every request it makes. Declared in
 * `production-targets.ts`; its own cases are `vault-production.suite.ts`.
 */
import { endpointOf, requireEndpoint } from '../../containers/contract';
import { kubeApiServer } from '../../containers/kube-apiserver';
import { motoIamServer } from '../../containers/moto';
import { slapdServer } from '../../containers/slapd';
import { productionVaultServer } from '../../containers/vault-production';
import {
  referenceDescription,
  type AuthScenario,
  type AuthScenarios,
  type Capability,
  type TargetDefinition,
  type TargetSession,
} from '../../suites/target';
import { countSecrets } from './admin';
import { VaultFixtures } from './fixtures';
import { VAULT_AUTH_REFUSALS_ALIKE, VAULT_ID_SHAPES, type VaultStore } from './layout';
import { productionMount, productionSetups, type ProductionSetup, type ProductionVariant } from './production-run-setup';
import { VAULT_MISSING } from './targets';
import { VaultBackend } from './vault-backend';

const CAPABILITIES: readonly Capability[] = [
  'connections',
  'conn-value',
  'variables',
  'config',
  'json-connections',
  'multiline-values',
  'large-values',
  'auth-wrong-credentials',
  'residue',
  'vault-production',
];

const ON_DEV_SERVER =
  'certified on the dev-mode server by vault-kv2 and vault-approle; the production targets add TLS, auth methods, namespaces and audit';

const MISSING: Partial<Record<Capability, string>> = {
  ...VAULT_MISSING,
  mutable: ON_DEV_SERVER,
  versions: ON_DEV_SERVER,
  'vault-paths': ON_DEV_SERVER,
  'network-faults': ON_DEV_SERVER,
  throttling: ON_DEV_SERVER,
  'auth-expired-credentials': ON_DEV_SERVER,
  'auth-policy': 'this auth method has no second identity with another policy here',
};

/** Credentials of the same method that Vault refuses: a bad token, a wrong password, a wrong secret key. */
function wrongKwargs(setup: ProductionSetup, wrong: string): Record<string, unknown> {
  switch (setup.kwargs.auth_type) {
    case 'token':
      return { token: `s.${wrong}` };
    case 'aws_iam':
      return { secret_id: wrong };
    default:
      return { password: wrong };
  }
}

function scenarios(setup: ProductionSetup, backend: (kwargs: Record<string, unknown>) => VaultBackend, wrong: string): AuthScenarios {
  const scenario = (kwargs: Record<string, unknown>, credentials: readonly string[]): AuthScenario => ({
    backend: backend(kwargs),
    kwargs: { ...setup.kwargs, ...kwargs },
    credentials: [...credentials, ...setup.secrets, setup.vault.rootToken],
  });
  const denied = setup.denied;
  return {
    wrongCredentials: async () =>
      setup.wrong ? scenario(setup.wrong.kwargs, setup.wrong.credentials) : scenario(wrongKwargs(setup, wrong), [wrong]),
    ...(denied ? { deniedRead: async () => scenario(denied.kwargs, denied.credentials) } : {}),
  };
}

export function productionTarget(variant: ProductionVariant): TargetDefinition {
  const setupFor = productionSetups(variant);
  const store: VaultStore = {
    layout: 'vault',
    idShapes: VAULT_ID_SHAPES,
    authRefusalsAlike: VAULT_AUTH_REFUSALS_ALIKE,
    kvEngineVersion: 2,
    auth: variant.auth,
    mount: (environment) => productionMount(environment.runId, variant),
    production: {
      tlsCases: variant.tlsCases ?? false,
      namespaced: variant.namespaced ?? false,
      refusals: variant.refusals ?? [],
      run: (environment) => setupFor(environment),
    },
  };
  const identityServers =
    variant.auth === 'ldap' ? [slapdServer] : variant.auth === 'aws_iam' ? [motoIamServer] : variant.auth === 'kubernetes' ? [kubeApiServer] : [];
  const hasDenied = variant.auth === 'ldap' || variant.auth === 'aws_iam' || variant.auth === 'kubernetes';
  return {
    name: variant.name,
    family: 'vault',
    summary: variant.summary,
    backendKind: 'VaultBackend',
    capabilities: hasDenied ? [...CAPABILITIES, 'auth-policy'] : CAPABILITIES,
    missingCapabilityReasons: MISSING,
    servers: [productionVaultServer, ...identityServers],
    store,
    parser: 'sdk',
    knownFindings: variant.knownFindings ?? {},
    describe: (environment) =>
      referenceDescription('VaultBackend', {
        kwargs: {
          url: endpointOf(environment.servers, productionVaultServer)?.address ?? '(not started)',
          verify: '<the run CA file>',
          mount_point: store.mount(environment),
          kv_engine_version: 2,
          auth_type: variant.auth,
          ...(variant.namespaced ? { namespace: '<the run child namespace>' } : {}),
        },
        notes: [
          'rules of apache-airflow-providers-hashicorp 4.8.4 with hvac.Client kwargs verify and namespace',
          'server: OpenBao in production mode (Raft, HTTPS with a CA made for the run, sealed then unsealed, file audit device)',
        ],
      }),
    async open(environment): Promise<TargetSession> {
      requireEndpoint(environment.servers, productionVaultServer, `target ${variant.name}`);
      const setup = await setupFor(environment);
      const fixtures = new VaultFixtures(setup.admin, setup.mount, 2);
      const made: VaultBackend[] = [];
      const backend = (kwargs: Record<string, unknown> = {}): VaultBackend => {
        const one = new VaultBackend({ ...setup.kwargs, ...kwargs });
        made.push(one);
        return one;
      };
      return {
        fixtures,
        backend,
        kwargs: setup.kwargs,
        auth: scenarios(setup, backend, `wrong${environment.canary}`),
        async close() {
          try {
            await fixtures.removeAll();
          } finally {
            for (const one of made) await one.close();
          }
        },
      };
    },
    async residue(environment) {
      const setup = await setupFor(environment);
      return countSecrets(setup.admin, setup.mount, 2);
    },
  };
}
