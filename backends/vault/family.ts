/** The `vault` family: HashiCorp Vault's KV engines, read by the hashicorp provider's VaultBackend. */
import { sessionKwargs } from '../../targets/command-target';
import type { BackendFamily } from '../../targets/family';
import { airflowVaultTarget, leaseTwins, productionVaultTwins, VAULT_BACKEND_CLASS, VAULT_DISTRIBUTIONS } from './airflow-twin';
import { vaultFailureMeaning, vaultLookupNames, vaultMigrationStore } from './deployment-store';
import { vaultExternalTarget, vaultSeedPlan } from './external-target';
import { vaultMutants } from './mutants';
import { vaultRawClient } from './raw-client';
import { vaultKv1Target, vaultKv2Target, vaultTargets } from './targets';
import { vaultAwsCredsTarget, vaultDatabaseTarget } from './lease-targets';
import { productionVaultTargets } from './production-targets';
import { vaultLeasesSuite } from './vault-leases.suite';
import { vaultPathsSuite } from './vault-paths.suite';
import { vaultProductionSuite } from './vault-production.suite';

export const vaultFamily: BackendFamily = {
  name: 'vault',
  targets: [...vaultTargets, ...productionVaultTargets, vaultDatabaseTarget, vaultAwsCredsTarget],
  airflowTwins: [airflowVaultTarget, ...productionVaultTwins, ...leaseTwins],
  layouts: [
    {
      name: 'vault',
      base: () => vaultKv2Target,
      variants: () => [vaultKv1Target],
      sessionKwargs,
      keptKwargs: ['mount_point', 'connections_path', 'variables_path', 'config_path', 'kv_engine_version'],
      airflowClasses: [VAULT_BACKEND_CLASS],
      distributions: VAULT_DISTRIBUTIONS,
      lookupNames: vaultLookupNames,
      explainFailure: vaultFailureMeaning,
      migrationStore: vaultMigrationStore,
      configurationFlags: (kwargs) =>
        kwargs.verify === false
          ? ['verify=False: the Vault server certificate is not checked, so anyone in the path can read every secret and token']
          : [],
    },
    {
      // Lease-backed backends of your own: `store: { layout: 'vault-leases' }` gets the database engine's session.
      name: 'vault-leases',
      base: () => vaultDatabaseTarget,
      sessionKwargs,
      keptKwargs: ['engine', 'connection'],
      airflowClasses: [],
    },
  ],
  suites: [vaultPathsSuite, vaultProductionSuite, vaultLeasesSuite],
  mutants: vaultMutants,
  external: { target: vaultExternalTarget, standsFor: ['vault-kv2', 'vault-kv1'], seedPlan: vaultSeedPlan },
  rawClient: vaultRawClient,
};
