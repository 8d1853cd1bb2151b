/** A session on a Vault target: its fixtures in the run's mount, backends reading with the run's reader credentials, its auth scenarios. */
import { requireEndpoint } from '../../containers/contract';
import { vaultServer } from '../../containers/vault';
import type { TargetEnvironment, TargetSession } from '../../suites/target';
import { vaultAuthScenarios } from './auth-scenarios';
import { VaultFixtures } from './fixtures';
import type { RunSetup, VaultVariant } from './run-setup';
import { VaultBackend } from './vault-backend';

export async function openVaultSession(
  variant: VaultVariant,
  setupFor: (environment: TargetEnvironment) => Promise<RunSetup>,
  environment: TargetEnvironment,
): Promise<TargetSession> {
  const vault = requireEndpoint(environment.servers, vaultServer, `target ${variant.name}`);
  const setup = await setupFor(environment);
  const fixtures = new VaultFixtures(setup.admin, setup.mount, variant.kvEngineVersion);
  const backends: VaultBackend[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];
  const defaults = { url: vault.address, mount_point: setup.mount, kv_engine_version: variant.kvEngineVersion, ...setup.reader.kwargs };
  const backend = (kwargs: Record<string, unknown> = {}): VaultBackend => {
    const made = new VaultBackend({ ...defaults, ...kwargs });
    backends.push(made);
    return made;
  };
  return {
    fixtures,
    backend,
    kwargs: defaults,
    auth: vaultAuthScenarios(variant.auth, { setup, defaults, backend, onClose: (cleanup) => cleanups.push(cleanup) }),
    async close() {
      const failures: unknown[] = [];
      await fixtures.removeAll().catch((error: unknown) => failures.push(error));
      for (const cleanup of cleanups) await cleanup().catch((error: unknown) => failures.push(error));
      for (const made of backends) await made.close();
      if (failures.length > 0) throw failures[0];
    },
  };
}
