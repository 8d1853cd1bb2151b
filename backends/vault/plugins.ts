/**
 * The external plugins `install/vault-plugins.sh` builds (HashiCorp Vault v1.14.1's LDAP and AWS
 * auth methods and AWS secrets engine, which OpenBao 2.7 no longer ships), registered in the
 * production server's plugin catalog by SHA-256: OpenBao runs a plugin only while its binary
 * still hashes the same.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireInstalled } from '../../containers/native-process';
import { vaultPluginDirectory } from '../../containers/vault-production';
import type { VaultAdmin } from './admin';

interface ExternalPlugin {
  readonly type: 'auth' | 'secret';
  /** The catalog name, which `sys/auth` / `sys/mounts` take as `type`. */
  readonly name: string;
  readonly binary: string;
}

export const externalPlugins = {
  ldapAuth: { type: 'auth', name: 'ldap', binary: 'vault-plugin-auth-ldap' },
  awsAuth: { type: 'auth', name: 'aws', binary: 'vault-plugin-auth-aws' },
  awsSecrets: { type: 'secret', name: 'aws', binary: 'vault-plugin-secrets-aws' },
} as const satisfies Record<string, ExternalPlugin>;

export async function registerPlugin(admin: VaultAdmin, plugin: ExternalPlugin): Promise<void> {
  const path = join(vaultPluginDirectory, plugin.binary);
  requireInstalled(path, plugin.binary);
  const sha256 = createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
  await admin.write(`the ${plugin.binary} plugin`, `sys/plugins/catalog/${plugin.type}/${plugin.name}`, { sha256, command: plugin.binary });
}
