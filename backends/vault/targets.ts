/**
 * The Vault targets: our VaultBackend against a real Vault (OpenBao natively), three ways:
 * `vault-kv2` (token, KV v2), `vault-kv1` (token, KV v1) and `vault-approle` (AppRole, KV v2).
 * Each keeps this run's secrets in a KV mount of its own (run-setup.ts); the backend under test
 * reads with credentials whose policy allows reading that mount only, never the root token.
 */
import { endpointOf } from '../../containers/contract';
import { toxiproxyServer } from '../../containers/toxiproxy';
import { vaultServer } from '../../containers/vault';
import { referenceDescription, type Capability, type TargetDefinition } from '../../suites/target';
import { countSecrets } from './admin';
import { VAULT_AUTH_REFUSALS_ALIKE, VAULT_ID_SHAPES, type VaultStore } from './layout';
import { VAULT_NETWORK } from './network';
import { mountName, runSetups, type VaultVariant } from './run-setup';
import { openVaultSession } from './session';
import { vaultThrottling } from './throttling';

function vaultTarget(variant: VaultVariant): TargetDefinition {
  const setupFor = runSetups(variant);
  const store: VaultStore = {
    layout: 'vault',
    idShapes: VAULT_ID_SHAPES,
    authRefusalsAlike: VAULT_AUTH_REFUSALS_ALIKE,
    kvEngineVersion: variant.kvEngineVersion,
    auth: variant.auth,
    mount: (environment) => mountName(environment.runId, variant),
  };
  return {
    name: variant.name,
    family: 'vault',
    summary: variant.summary,
    backendKind: 'VaultBackend',
    capabilities: variant.kvEngineVersion === 2 ? [...VAULT_CAPABILITIES, 'versions'] : VAULT_CAPABILITIES,
    missingCapabilityReasons:
      variant.kvEngineVersion === 2 ? VAULT_MISSING : { ...VAULT_MISSING, versions: 'a KV v1 engine keeps the latest value only' },
    servers: [vaultServer, toxiproxyServer],
    store,
    network: { ...VAULT_NETWORK, throttling: vaultThrottling(setupFor, variant.kvEngineVersion) },
    parser: 'sdk',
    describe: (environment) =>
      referenceDescription('VaultBackend', {
        kwargs: {
          url: endpointOf(environment.servers, vaultServer)?.address ?? '(not started)',
          mount_point: store.mount(environment),
          kv_engine_version: variant.kvEngineVersion,
          auth_type: variant.auth,
        },
        notes: [
          'rules of apache-airflow-providers-hashicorp 4.8.4',
          `credentials: a ${variant.auth === 'approle' ? 'role_id and secret_id' : 'token'} made for this run, with a policy that reads the mount only`,
        ],
      }),
    open: (environment) => openVaultSession(variant, setupFor, environment),
    async residue(environment) {
      const setup = await setupFor(environment);
      return countSecrets(setup.admin, setup.mount, variant.kvEngineVersion);
    },
  };
}

export const VAULT_CAPABILITIES: readonly Capability[] = [
  'connections',
  'conn-value',
  'variables',
  'config',
  'json-connections',
  'multiline-values',
  'large-values',
  'mutable',
  'auth-wrong-credentials',
  'auth-expired-credentials',
  'auth-policy',
  'residue',
  'vault-paths',
  'network-faults',
  'throttling',
];

export const VAULT_MISSING: Partial<Record<Capability, string>> = {
  'empty-values':
    'a Vault connection cannot be stored empty: get_conn_value returns a truthy conn_uri or json.dumps of the whole secret, ' +
    'never "" (an empty conn_uri is read as fields and refused); an empty variable is covered by the vault-paths suite',
  'field-connections': 'a secret without conn_uri is read with Connection.from_json (conn_type normalised), i.e. json-connections',
  'env-var-names': 'Vault ids are paths in a KV mount, not environment variable names',
  'raw-files': 'VaultBackend reads no files',
  'aws-naming': 'not an AWS backend: Vault ids are read by the vault-paths rules',
  'staged-rotation': 'a KV write is live at once: Vault has no staging label that an unqualified read would follow',
};

export const vaultKv2Target = vaultTarget({
  name: 'vault-kv2',
  summary: 'VaultBackend, token auth, KV v2 (reads <mount>/data/<path>, data.data)',
  kvEngineVersion: 2,
  auth: 'token',
});

export const vaultKv1Target = vaultTarget({
  name: 'vault-kv1',
  summary: 'VaultBackend, token auth, KV v1 (reads <mount>/<path>, data)',
  kvEngineVersion: 1,
  auth: 'token',
});

export const vaultAppRoleTarget = vaultTarget({
  name: 'vault-approle',
  summary: 'VaultBackend, AppRole auth (role_id + secret_id), KV v2',
  kvEngineVersion: 2,
  auth: 'approle',
});

export const vaultTargets: readonly TargetDefinition[] = [vaultKv2Target, vaultKv1Target, vaultAppRoleTarget];
