/** The `vault` family: HashiCorp Vault's KV engines, read by the hashicorp provider's VaultBackend. */
import { sessionKwargs } from '../../targets/command-target';
import type { BackendFamily } from '../../targets/family';
import { airflowVaultTarget, VAULT_BACKEND_CLASS, VAULT_DISTRIBUTIONS } from './airflow-twin';
import { vaultMutants } from './mutants';
import { vaultRawClient } from './raw-client';
import { vaultKv2Target, vaultTargets } from './targets';
import { vaultPathsSuite } from './vault-paths.suite';

export const vaultFamily: BackendFamily = {
  name: 'vault',
  targets: vaultTargets,
  airflowTwins: [airflowVaultTarget],
  layouts: [
    {
      name: 'vault',
      base: () => vaultKv2Target,
      sessionKwargs,
      keptKwargs: ['mount_point', 'connections_path', 'variables_path', 'config_path', 'kv_engine_version'],
      airflowClasses: [VAULT_BACKEND_CLASS],
      distributions: VAULT_DISTRIBUTIONS,
    },
  ],
  suites: [vaultPathsSuite],
  mutants: vaultMutants,
  rawClient: vaultRawClient,
};
