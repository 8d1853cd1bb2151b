/** `airflow:vault`: the hashicorp provider's own VaultBackend, run by Airflow on the vault-kv2 fixtures. */
import { bridgedTarget } from '../../targets/airflow-bridge';
import { findingKey } from '../../suites/findings';
import { sessionKwargs, type SessionContext } from '../../targets/command-target';
import type { TargetDefinition } from '../../suites/target';
import {
  vaultAwsIamTarget,
  vaultKubernetesTarget,
  vaultLdapTarget,
  vaultNamespaceTarget,
  vaultTlsTarget,
  vaultUserpassTarget,
  WIDE_POLICY_FINDING,
} from './production-targets';
import { vaultAwsCredsTarget, vaultDatabaseTarget } from './lease-targets';
import { vaultKv2Target } from './targets';
import { vaultLeasesSuite } from './vault-leases.suite';

export const VAULT_BACKEND_CLASS = 'airflow.providers.hashicorp.secrets.vault.VaultBackend';
export const VAULT_DISTRIBUTIONS = ['apache-airflow-providers-hashicorp', 'hvac'] as const;

export const airflowVaultTarget = bridgedTarget(vaultKv2Target, {
  name: 'airflow:vault',
  summary: "apache-airflow-providers-hashicorp's VaultBackend through the bridge, on the vault-kv2 fixtures (KV v2, token auth)",
  backendClass: VAULT_BACKEND_CLASS,
  distributions: VAULT_DISTRIBUTIONS,
  parser: 'sdk',
  kwargs: sessionKwargs,
  described: () => ({
    kwargs: {},
    notes: ["kwargs: the same Vault kwargs as the reference target's session (server address, reader credentials, run mount)"],
  }),
  knownFindings: {
    [findingKey('auth', 'a policy without read is Forbidden, never not found')]:
      'provider 4.8.4 treats every 403 as a rejected token: it authenticates again, retries once, then raises ' +
      'VaultError("Vault Authentication Error!") (providers/hashicorp/_internal_client/vault_client.py, _run_with_reauth), ' +
      'so a policy that forbids the read is reported as an authentication failure, and costs a second login and read',
  },
});

/** hvac.Client gets `verify` and `namespace` from the provider's `**kwargs`; the rest are the provider's own. */
const PROVIDER_403_AS_AUTH =
  'provider 4.8.4 treats every 403 as a rejected token: it authenticates again, retries once, then raises ' +
  'VaultError("Vault Authentication Error!") (providers/hashicorp/_internal_client/vault_client.py, _run_with_reauth)';

function productionTwin(base: TargetDefinition, findings: Readonly<Record<string, string>> = {}): TargetDefinition {
  return bridgedTarget(base, {
    name: `airflow:${base.name}`,
    summary: `apache-airflow-providers-hashicorp's VaultBackend through the bridge, on the ${base.name} fixtures (${base.summary.replace(/^VaultBackend,? ?/, '')})`,
    backendClass: VAULT_BACKEND_CLASS,
    distributions: VAULT_DISTRIBUTIONS,
    parser: 'sdk',
    kwargs: sessionKwargs,
    described: () => ({
      kwargs: {},
      notes: [`kwargs: the same Vault kwargs as ${base.name}'s session (HTTPS url, verify=<run CA>, credentials, run mount)`],
    }),
    knownFindings: findings,
  });
}

const DENIED_AS_AUTH = { [findingKey('auth', 'a policy without read is Forbidden, never not found')]: PROVIDER_403_AS_AUTH };

export const productionVaultTwins: readonly TargetDefinition[] = [
  productionTwin(vaultTlsTarget),
  productionTwin(vaultUserpassTarget),
  productionTwin(vaultLdapTarget, DENIED_AS_AUTH),
  productionTwin(vaultAwsIamTarget, DENIED_AS_AUTH),
  productionTwin(vaultKubernetesTarget, DENIED_AS_AUTH),
  productionTwin(vaultNamespaceTarget, {
    ...WIDE_POLICY_FINDING,
    [findingKey('vault-production', 'a token of the child namespace is Forbidden in the root namespace')]:
      `a token of another namespace gets 403 there, and ${PROVIDER_403_AS_AUTH}: a missing namespace reads as bad credentials`,
  }),
];

/** Airflow's VaultBackend aimed at a dynamic engine the only way it can be: a KV v1 read of `<mount>/creds/<role>`. */
function leaseKwargs(context: SessionContext): Record<string, unknown> {
  const { engine: _engine, connection: _connection, ...vault } = sessionKwargs(context);
  return { ...vault, kv_engine_version: 1, connections_path: 'creds' };
}

const LEASE_FINDING =
  'provider 4.8.4 reads KV only: get_conn_value reads <mount>/creds/<role> as a KV v1 secret, drops lease_id, lease_duration and ' +
  'renewable (_internal_client/vault_client.py get_secret returns response["data"]) and hands {username, password} to ' +
  'Connection.from_json, which refuses the unknown field "username" (secrets/vault.py get_connection): no dynamic credential ' +
  'is served, renewed or revoked';

function leaseTwin(base: TargetDefinition): TargetDefinition {
  return bridgedTarget(base, {
    name: `airflow:${base.name}`,
    summary: `apache-airflow-providers-hashicorp's VaultBackend through the bridge, aimed at the ${base.name} engine (KV v1 read of <mount>/creds/<role>)`,
    backendClass: VAULT_BACKEND_CLASS,
    distributions: VAULT_DISTRIBUTIONS,
    parser: 'sdk',
    kwargs: leaseKwargs,
    described: () => ({ kwargs: { kv_engine_version: 1, connections_path: 'creds' }, notes: ['the provider has no kwarg for dynamic secrets'] }),
    knownFindings: Object.fromEntries(vaultLeasesSuite.cases(base).map((c) => [findingKey('vault-leases', c.name), LEASE_FINDING])),
  });
}

export const leaseTwins: readonly TargetDefinition[] = [leaseTwin(vaultDatabaseTarget), leaseTwin(vaultAwsCredsTarget)];
