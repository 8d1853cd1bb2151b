/**
 * A production-mode OpenBao for a test file: the run's certificates, the server (Raft, HTTPS,
 * audit, the external plugin folder), an operator client, and `secret/` as KV v2 holding one
 * connection. Every test file starts its own, so files stay independent.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTlsMaterial, type TlsMaterial } from '../../containers/tls-certificates';
import { ProductionVaultServer, type StartedProductionVaultServer, type VaultStorage } from '../../containers/vault-production';
import { VaultAdmin } from '../../containers/vault-setup/admin-client';
import { mountKvV2, writeKvV2 } from '../../containers/vault-setup/kv';
import { vaultPluginDirectory } from '../../containers/vault-setup/plugins';

export interface ProductionVault {
  readonly dir: string;
  readonly tls: TlsMaterial;
  readonly vault: StartedProductionVaultServer;
  /** The root token's client, for setup and checks. */
  readonly admin: VaultAdmin;
  /** Milliseconds to make the certificates. */
  readonly tlsMs: number;
}

export const kvMount = 'secret';
/** What the connection `prod_db` holds: its password is the canary of the audit test. */
export const prodDbUri = 'postgresql://airflow:s3cr3t-canary-9f1c@db.internal:5432/airflow';

export async function startProductionVault(name: string, storage: VaultStorage = 'raft'): Promise<ProductionVault> {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const began = performance.now();
  const tls = await createTlsMaterial(join(dir, 'tls'));
  const tlsMs = Math.round(performance.now() - began);
  const vault = await new ProductionVaultServer(tls).withStorage(storage).withPluginDirectory(vaultPluginDirectory).withLogDir(dir).start();
  const admin = new VaultAdmin({ address: vault.getAddress(), token: vault.getRootToken(), ca: vault.endpoint.caPem });
  try {
    await mountKvV2(admin, kvMount);
    await writeKvV2(admin, kvMount, 'connections/prod_db', { conn_uri: prodDbUri });
  } catch (error) {
    await vault.stop();
    throw error;
  }
  return { dir, tls, vault, admin, tlsMs };
}
