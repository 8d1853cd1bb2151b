/**
 * The external plugins `install/vault-plugins.sh` builds into `.cache/bao-plugins/`, registered in
 * OpenBao's plugin catalog by SHA-256 (OpenBao runs a plugin only if its binary still hashes the
 * same). The server must have been started with that folder as its `plugin_directory`.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoPath, requireInstalled } from '../native-process';
import type { VaultAdmin } from './admin-client';

export const vaultPluginDirectory = repoPath('.cache/bao-plugins');

export interface ExternalPlugin {
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

export async function registerPlugin(admin: VaultAdmin, plugin: ExternalPlugin, directory = vaultPluginDirectory): Promise<void> {
  const path = join(directory, plugin.binary);
  requireInstalled(path, plugin.binary);
  const sha256 = createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
  await admin.write(`sys/plugins/catalog/${plugin.type}/${plugin.name}`, { sha256, command: plugin.binary });
}
