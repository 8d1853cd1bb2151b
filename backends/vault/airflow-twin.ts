/** `airflow:vault`: the hashicorp provider's own VaultBackend, run by Airflow on the vault-kv2 fixtures. */
import { bridgedTarget } from '../../targets/airflow-bridge';
import { findingKey } from '../../suites/findings';
import { sessionKwargs } from '../../targets/command-target';
import { vaultKv2Target } from './targets';

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
