/**
 * What a Vault target makes once per run (with the root token): its KV mount, named after the run;
 * a read policy for the mount and one for a path where nothing is seeded; and the reader's
 * credentials (a token, or an AppRole role-id and secret-id) with the read policy only.
 */
import { requireEndpoint } from '../../containers/contract';
import { vaultServer, type VaultEndpoint } from '../../containers/vault';
import { createSecretValues } from '../../suites/case-context';
import { runTag, type TargetEnvironment } from '../../suites/target';
import { UnavailableError } from '../../model/errors';
import { VaultAdmin } from './admin';
import type { KvVersion } from './admin';
import type { VaultAuthStyle } from './layout';
import { quoteVaultPath } from './vault-paths';

/** The reader's credentials outlive any run (CI allows 90 minutes). */
export const READER_TTL = '4h';

export interface VaultVariant {
  readonly name: string;
  readonly summary: string;
  readonly kvEngineVersion: KvVersion;
  readonly auth: VaultAuthStyle;
}

interface ReaderCredentials {
  /** Backend kwargs that authenticate as the reader. */
  readonly kwargs: Record<string, unknown>;
  /** The credential values in those kwargs. */
  readonly secrets: readonly string[];
}

export interface RunSetup {
  readonly vault: VaultEndpoint;
  readonly admin: VaultAdmin;
  readonly mount: string;
  readonly readPolicy: string;
  readonly elsewherePolicy: string;
  /** AppRole targets: the auth mount. */
  readonly authMount: string | null;
  readonly reader: ReaderCredentials;
  /** Makes canary-carrying credentials (token ids, secret-ids) for this run. */
  readonly credentials: ReturnType<typeof createSecretValues>;
}

export function mountName(runId: string, variant: VaultVariant): string {
  const tag = runTag(runId);
  return variant.auth === 'approle' ? `asc-${tag}-approle-kv${variant.kvEngineVersion}` : `asc-${tag}-kv${variant.kvEngineVersion}`;
}

function policyText(mount: string, version: KvVersion, under: string): string {
  const path = version === 2 ? `${mount}/data/${under}` : `${mount}/${under}`;
  return `path "${path}*" {\n  capabilities = ["read"]\n}\n`;
}

export async function createToken(setup: Pick<RunSetup, 'admin' | 'credentials'>, policies: string[], ttl: string): Promise<string> {
  // Vault refuses custom ids with its own `s.` prefix.
  const id = `asc${setup.credentials.token('vault')}`;
  await setup.admin.write('a token for the backend under test', 'auth/token/create', {
    id,
    policies,
    ttl,
    explicit_max_ttl: ttl,
    renewable: false,
    display_name: 'asc-conformance',
  });
  return id;
}

export async function createSecretId(setup: Pick<RunSetup, 'admin' | 'credentials'>, authMount: string, role: string, ttl?: string): Promise<string> {
  const secretId = setup.credentials.token('sid');
  const path = `auth/${quoteVaultPath(authMount)}/role/${role}/custom-secret-id`;
  await setup.admin.write(`a secret-id of the AppRole "${role}"`, path, { secret_id: secretId, ...(ttl ? { ttl } : {}) });
  return secretId;
}

export async function ensureRole(admin: VaultAdmin, authMount: string, role: string, policy: string): Promise<string> {
  const rolePath = `auth/${quoteVaultPath(authMount)}/role/${role}`;
  await admin.write(`the AppRole "${role}"`, rolePath, { token_policies: [policy], token_ttl: '1h', token_max_ttl: READER_TTL });
  const answer = (await admin.read(`the role-id of "${role}"`, `${rolePath}/role-id`)) as { data?: { role_id?: unknown } } | undefined;
  const roleId = answer?.data?.role_id;
  if (typeof roleId !== 'string') {
    throw new UnavailableError(`Vault gave no role-id for the AppRole "${role}"`, { where: admin.vault.address, hint: 'check the server log' });
  }
  return roleId;
}

async function prepareRun(environment: TargetEnvironment, variant: VaultVariant): Promise<RunSetup> {
  const vault = requireEndpoint(environment.servers, vaultServer, `target ${variant.name}`);
  const admin = new VaultAdmin(vault);
  const credentials = createSecretValues(environment.canary);
  const mount = mountName(environment.runId, variant);
  await admin.ensureMount('secrets', mount, 'kv', { version: String(variant.kvEngineVersion) });
  const readPolicy = `${mount}-read`;
  const elsewherePolicy = `${mount}-elsewhere`;
  await admin.write('the read policy', `sys/policies/acl/${readPolicy}`, { policy: policyText(mount, variant.kvEngineVersion, '') });
  await admin.write('the read-elsewhere policy', `sys/policies/acl/${elsewherePolicy}`, {
    policy: policyText(mount, variant.kvEngineVersion, 'elsewhere/'),
  });
  const common = { vault, admin, credentials, mount, readPolicy, elsewherePolicy };
  if (variant.auth === 'token') {
    const token = await createToken(common, [readPolicy], READER_TTL);
    return { ...common, authMount: null, reader: { kwargs: { auth_type: 'token', token }, secrets: [token] } };
  }
  const authMount = `asc-${runTag(environment.runId)}-approle`;
  await admin.ensureMount('auth', authMount, 'approle');
  // Vault locks a role-id out after a few refused logins; the wrong- and expired-credential
  // scenarios refuse logins on purpose, and must not lock out the reader for the rest of the run.
  await admin.write('the AppRole lockout setting', `sys/auth/${quoteVaultPath(authMount)}/tune`, {
    user_lockout_config: { lockout_disable: true },
  });
  const roleId = await ensureRole(admin, authMount, 'reader', readPolicy);
  const secretId = await createSecretId(common, authMount, 'reader');
  return {
    ...common,
    authMount,
    reader: { kwargs: { auth_type: 'approle', auth_mount_point: authMount, role_id: roleId, secret_id: secretId }, secrets: [roleId, secretId] },
  };
}

/** One setup per run and server for a variant, made on first use; a failed setup is tried again. */
export function runSetups(variant: VaultVariant): (environment: TargetEnvironment) => Promise<RunSetup> {
  const setups = new Map<string, Promise<RunSetup>>();
  return (environment) => {
    const key = `${environment.runId}\0${requireEndpoint(environment.servers, vaultServer, `target ${variant.name}`).address}`;
    let setup = setups.get(key);
    if (!setup) {
      setup = prepareRun(environment, variant);
      setups.set(key, setup);
      setup.catch(() => setups.delete(key));
    }
    return setup;
  };
}
