/**
 * The vault family's part of the deployment tools: the paths a deployment's VaultBackend reads an id
 * under (`explain`), and a KV mount written in the layout it reads (`migrate --to vault`): a
 * connection as its fields (read with `Connection.from_json`, every field kept), a variable as
 * `{"value": ...}` (spec §7.1).
 */
import type { LookupKind, LookupName, MigratedConnection, MigrationStore, StoredValue } from '../../targets/family';
import { ConfigurationError } from '../../model/errors';
import { VaultAdmin } from './admin';
import { readVaultKwargs, readVaultLayout, type SecretKind } from './vault-kwargs';
import { kvReadPath, locateSecret, quoteVaultPath } from './vault-paths';

const PLURAL: Record<LookupKind, SecretKind> = { connection: 'connections', variable: 'variables', config: 'config' };

export function vaultLookupNames(kind: LookupKind, id: string, kwargs: Record<string, unknown>): LookupName[] {
  const layout = readVaultLayout(kwargs);
  const names: LookupName[] = [];
  for (const base of layout.paths[PLURAL[kind]] ?? []) {
    const location = locateSecret(layout.mountPoint, base, id);
    if (location === null) continue;
    names.push({
      name: layout.mountPoint ? location.path : `${location.mount}/${location.path}`,
      read: `GET /v1/${kvReadPath(layout.kvEngineVersion, location)} (KV v${layout.kvEngineVersion})`,
    });
  }
  return names;
}

const CONNECTION_FIELDS = ['conn_type', 'host', 'login', 'password', 'schema', 'port', 'extra', 'description'] as const;

export function vaultMigrationStore(kwargs: Record<string, unknown>, env: NodeJS.ProcessEnv): MigrationStore {
  const settings = readVaultKwargs(kwargs, env);
  const token = settings.auth.type === 'token' ? settings.auth.token : null;
  if (!token) {
    throw new ConfigurationError('migrate --to vault writes with a token, and none is given', {
      what: 'migrate',
      where: 'the destination kwargs',
      hint: 'pass a token allowed to write the mount: --kwargs \'{"token": ...}\' or VAULT_TOKEN',
    });
  }
  const mount = settings.mountPoint;
  if (!mount) {
    throw new ConfigurationError('migrate --to vault needs a mount_point: with mount_point null each id names its own mount', {
      what: 'migrate',
      where: 'the destination kwargs',
      hint: 'set "mount_point" (default "secret")',
    });
  }
  const admin = new VaultAdmin({ address: settings.url, rootToken: token });
  const version = settings.kvEngineVersion;
  const apiPath = (name: string) =>
    version === 2 ? `${quoteVaultPath(mount)}/data/${quoteVaultPath(name)}` : `${quoteVaultPath(mount)}/${quoteVaultPath(name)}`;
  return {
    where: `Vault ${settings.url}, mount ${mount} (KV v${version})`,
    nameOf(kind, id) {
      const base = settings.paths[PLURAL[kind]]?.[0];
      if (base === undefined) return null;
      return locateSecret(mount, base, id)?.path ?? null;
    },
    connectionValue(connection: MigratedConnection): StoredValue {
      const fields: Record<string, unknown> = {};
      for (const name of CONNECTION_FIELDS) if (connection[name] !== null && connection[name] !== '') fields[name] = connection[name];
      return fields;
    },
    variableValue: (value) => ({ value }),
    async read(name) {
      const answer = await admin.readIfPresent(`the secret at ${name}`, apiPath(name));
      const data = version === 2 ? (answer?.data as { data?: unknown } | undefined)?.data : answer?.data;
      return data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : null;
    },
    async write(name, value) {
      if (typeof value === 'string') throw new ConfigurationError(`a Vault secret is an object, not text (${name})`, { where: 'migrate --to vault' });
      await admin.write(`the secret at ${name}`, apiPath(name), version === 2 ? { data: value } : { ...value });
    },
    close() {},
  };
}

/**
 * Provider 4.8.4 answers every 403 with one new login and a retry, then `VaultError("Vault
 * Authentication Error!")`: a policy that forbids the path reads as a failed login (spec §0.1).
 */
export function vaultFailureMeaning(error: { readonly kind: string; readonly type?: string; readonly message?: string }): string | null {
  if (error.kind !== 'unauthorized' || !/Authentication Error/.test(error.message ?? '')) return null;
  return (
    'the hashicorp provider reports every HTTP 403 as "Vault Authentication Error!" (after a new login and one retry): ' +
    'if the token is valid, the policy forbids this path; `secrets-conformance doctor` reads the token and its capabilities'
  );
}
