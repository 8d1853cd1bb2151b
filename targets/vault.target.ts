/**
 * The `vault` family: Airflow's VaultBackend against a real Vault (OpenBao natively), three ways:
 * `vault-kv2` (token, KV v2), `vault-kv1` (token, KV v1) and `vault-approle` (AppRole, KV v2).
 *
 * Each target keeps this run's secrets in a KV mount of its own, named after the run, which the
 * fixture side creates with the root token on first use. The backend under test never sees the
 * root token: it reads with a token (or AppRole) whose policy allows reading that mount only.
 * Sessions write in the backend's default layout (`connections/<id>`, `variables/<key>`,
 * `config/<key>`) and delete every path they wrote when they close (KV v2: the metadata, so no
 * version stays behind).
 */
import { setTimeout as pause } from 'node:timers/promises';
import NodeVault from 'node-vault';
import { ConfigurationError, TimeoutError, UnavailableError } from '../backends/errors';
import { classifyVaultFailure, describeVaultFailure, quoteVaultPath, VaultBackend, vaultLookupBudget } from '../backends/vault';
import type { VaultEndpoint } from '../containers/contract';
import { createSecretValues } from '../suites/case-context';
import {
  referenceDescription,
  runTag,
  type AuthScenario,
  type AuthScenarios,
  type Capability,
  type ConnectionFixture,
  type FixtureStore,
  type ObservedRequest,
  type TargetDefinition,
  type TargetEnvironment,
  type TargetNetwork,
  type TargetSession,
  type VariableVersions,
} from './target';

type VaultClient = ReturnType<typeof NodeVault>;
type KvVersion = 1 | 2;
type VaultAuthStyle = 'token' | 'approle';

/** What a Vault-specific case needs to know about where a target keeps this run's secrets. */
export interface VaultLayout {
  readonly kvEngineVersion: KvVersion;
  readonly auth: VaultAuthStyle;
  /** The KV mount this target reads and writes in this run. */
  mount(environment: TargetEnvironment): string;
}

export interface VaultTargetDefinition extends TargetDefinition {
  readonly vault: VaultLayout;
}

/** The layout of a Vault target, or of a target derived from one (a mutant keeps it). */
export function vaultLayoutOf(target: TargetDefinition): VaultLayout | null {
  const layout = (target as Partial<VaultTargetDefinition>).vault;
  return layout ?? null;
}

const ADMIN_TIMEOUT_MS = 10_000;
/** The reader's credentials outlive any run (CI allows 90 minutes). */
const READER_TTL = '4h';
/** Vault's own view of an expiring credential is polled at most this often and this long. */
const EXPIRY_POLL = { attempts: 100, intervalMs: 100, deadlineMs: 20_000 } as const;
const RESIDUE_LIMIT = 10_000;
const RESIDUE_DEPTH = 16;

const canarySecrets = createSecretValues();

// ---------------------------------------------------------------------------------------------
// Admin calls with the root token: every failure becomes a SecretsError without the raw client
// error, whose request config would carry the token.

async function adminCall<T>(vault: VaultEndpoint, what: string, path: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw classifyVaultFailure(describeVaultFailure(error), {
      phase: 'admin',
      what,
      where: `${vault.address}/v1/${path}`,
      hidden: [vault.rootToken],
      timeoutMs: ADMIN_TIMEOUT_MS,
    });
  }
}

function statusOf(error: unknown): number | null {
  return describeVaultFailure(error).status;
}

class VaultAdmin {
  private readonly client: VaultClient;

  constructor(readonly vault: VaultEndpoint) {
    this.client = NodeVault({ endpoint: vault.address, requestOptions: { timeout: ADMIN_TIMEOUT_MS } });
    this.client.token = vault.rootToken;
    (this.client as { pathPrefix?: string }).pathPrefix = '';
    (this.client as { namespace?: string | undefined }).namespace = undefined;
  }

  read(what: string, path: string): Promise<{ data?: unknown } | undefined> {
    return adminCall(this.vault, what, path, () => this.client.read(path));
  }

  write(what: string, path: string, body: Record<string, unknown>): Promise<{ data?: unknown; auth?: unknown } | undefined> {
    return adminCall(this.vault, what, path, () => this.client.write(path, body));
  }

  delete(what: string, path: string): Promise<unknown> {
    return adminCall(this.vault, what, path, () => this.client.delete(path));
  }

  /** A LIST; a path with nothing under it is an empty list (Vault answers 404). */
  async list(what: string, path: string): Promise<string[]> {
    try {
      const answer = (await this.client.list(path)) as { data?: { keys?: unknown } };
      const keys = answer.data?.keys;
      return Array.isArray(keys) ? keys.filter((key): key is string => typeof key === 'string') : [];
    } catch (error) {
      if (statusOf(error) === 404) return [];
      return adminCall(this.vault, what, path, () => Promise.reject(error));
    }
  }

  /** Whether Vault still knows a credential: a lookup answered with data (not 204, 400, 403). */
  async stillKnown(path: string, body: Record<string, unknown>): Promise<boolean> {
    try {
      const answer: unknown = await this.client.write(path, body);
      const data = typeof answer === 'object' && answer !== null ? (answer as { data?: unknown }).data : null;
      return data !== null && data !== undefined;
    } catch (error) {
      const status = statusOf(error);
      if (status === null || status >= 500) return adminCall(this.vault, `a lookup at ${path}`, path, () => Promise.reject(error));
      return false;
    }
  }

  /**
   * Mounts a secrets engine or auth method unless it is there. Sessions of several workers may
   * race: "path is already in use" is fine when the mount that won has the wanted type.
   */
  async ensureMount(kind: 'secrets' | 'auth', path: string, type: string, options: Record<string, string> = {}): Promise<void> {
    const listPath = kind === 'secrets' ? 'sys/mounts' : 'sys/auth';
    const mountPath = `${listPath}/${quoteVaultPath(path)}`;
    const existing = async (): Promise<{ type?: unknown; options?: { version?: unknown } | null } | undefined> => {
      const answer = (await this.read(`the ${kind} mounts`, listPath)) as { data?: Record<string, unknown> } | undefined;
      return answer?.data?.[`${path}/`] as { type?: unknown; options?: { version?: unknown } | null } | undefined;
    };
    let mounted = await existing();
    if (!mounted) {
      try {
        await this.client.write(mountPath, { type, options });
      } catch (error) {
        if (statusOf(error) !== 400) await adminCall(this.vault, `mounting ${path}`, mountPath, () => Promise.reject(error));
      }
      mounted = await existing();
    }
    const version = mounted?.options?.version;
    if (!mounted || mounted.type !== type || (options.version !== undefined && version !== options.version)) {
      throw new ConfigurationError(`the ${kind} mount "${path}" is not a ${type}${options.version ? ` v${options.version}` : ''} mount`, {
        what: `${kind} mount "${path}"`,
        where: this.vault.address,
        hint: 'another program uses this run-named mount; start a new run (a new run id)',
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Run setup: the mount, the policies and the reader's credentials, made once per run and target.

interface ReaderCredentials {
  /** Backend kwargs that authenticate as the reader. */
  readonly kwargs: Record<string, unknown>;
  /** The credential values in those kwargs. */
  readonly secrets: readonly string[];
}

interface RunSetup {
  readonly admin: VaultAdmin;
  readonly mount: string;
  readonly readPolicy: string;
  readonly elsewherePolicy: string;
  /** AppRole targets: the auth mount. */
  readonly authMount: string | null;
  readonly reader: ReaderCredentials;
}

function policyText(mount: string, version: KvVersion, under: string): string {
  const path = version === 2 ? `${mount}/data/${under}` : `${mount}/${under}`;
  return `path "${path}*" {\n  capabilities = ["read"]\n}\n`;
}

async function createToken(admin: VaultAdmin, policies: string[], ttl: string): Promise<string> {
  // Vault refuses custom ids with its own `s.` prefix.
  const id = `asc${canarySecrets.token('vault')}`;
  await admin.write('a token for the backend under test', 'auth/token/create', {
    id,
    policies,
    ttl,
    explicit_max_ttl: ttl,
    renewable: false,
    display_name: 'asc-conformance',
  });
  return id;
}

async function createSecretId(admin: VaultAdmin, authMount: string, role: string, ttl?: string): Promise<string> {
  const secretId = canarySecrets.token('sid');
  const path = `auth/${quoteVaultPath(authMount)}/role/${role}/custom-secret-id`;
  await admin.write(`a secret-id of the AppRole "${role}"`, path, { secret_id: secretId, ...(ttl ? { ttl } : {}) });
  return secretId;
}

async function ensureRole(admin: VaultAdmin, authMount: string, role: string, policy: string): Promise<string> {
  const rolePath = `auth/${quoteVaultPath(authMount)}/role/${role}`;
  await admin.write(`the AppRole "${role}"`, rolePath, { token_policies: [policy], token_ttl: '1h', token_max_ttl: READER_TTL });
  const answer = (await admin.read(`the role-id of "${role}"`, `${rolePath}/role-id`)) as { data?: { role_id?: unknown } } | undefined;
  const roleId = answer?.data?.role_id;
  if (typeof roleId !== 'string') {
    throw new UnavailableError(`Vault gave no role-id for the AppRole "${role}"`, { where: admin.vault.address, hint: 'check the server log' });
  }
  return roleId;
}

function vaultOf(environment: TargetEnvironment, target: string): VaultEndpoint {
  const vault = environment.servers.vault;
  if (!vault) {
    throw new ConfigurationError(`target ${target} needs the vault server, which this run did not start`, {
      what: `target ${target}`,
      where: 'TargetEnvironment.servers',
      hint: 'select the target through the runner (npm test -- --backend=vault), which starts Vault',
    });
  }
  return vault;
}

// ---------------------------------------------------------------------------------------------
// Sessions.

/** Where the default kwargs read each kind, relative to the mount. */
const LAYOUT_PATH = { connections: 'connections', variables: 'variables', config: 'config' } as const;

class VaultFixtures implements FixtureStore {
  private readonly written = new Set<string>();

  constructor(
    private readonly admin: VaultAdmin,
    private readonly mount: string,
    private readonly version: KvVersion,
  ) {}

  async putConnection(connId: string, fixture: ConnectionFixture): Promise<void> {
    const data = 'uri' in fixture ? { conn_uri: fixture.uri } : 'raw' in fixture ? { conn_uri: fixture.raw } : { ...fixture.fields };
    await this.put(`${LAYOUT_PATH.connections}/${connId}`, data);
  }

  async putVariable(key: string, value: string): Promise<void> {
    await this.put(`${LAYOUT_PATH.variables}/${key}`, { value });
  }

  async putConfig(key: string, value: string): Promise<void> {
    await this.put(`${LAYOUT_PATH.config}/${key}`, { value });
  }

  async deleteConnection(connId: string): Promise<void> {
    await this.remove(`${LAYOUT_PATH.connections}/${connId}`);
  }

  async deleteVariable(key: string): Promise<void> {
    await this.remove(`${LAYOUT_PATH.variables}/${key}`);
  }

  /** KV v2 keeps every version: read them by number, roll back by writing one again. */
  get versions(): VariableVersions | undefined {
    if (this.version !== 2) return undefined;
    const path = (key: string) => `${LAYOUT_PATH.variables}/${key}`;
    return {
      scheme: 'KV v2 version',
      current: async (key) => valueOf(await this.readVersion(path(key), null)),
      previous: async (key) => {
        const latest = await this.latestVersion(path(key));
        return latest > 1 ? valueOf(await this.readVersion(path(key), latest - 1)) : null;
      },
      // What `vault kv rollback` does: the old version's data written again as the newest.
      rollBack: async (key) => {
        const latest = await this.latestVersion(path(key));
        const data = latest > 1 ? await this.readVersion(path(key), latest - 1) : null;
        if (data === null) throw new ConfigurationError(`variable "${key}" has no earlier version to roll back to`, { what: 'fixture', where: `mount ${this.mount}`, hint: 'write the variable twice first' });
        await this.put(path(key), data);
      },
    };
  }

  private async latestVersion(path: string): Promise<number> {
    const answer = await this.admin.read(`the versions of ${path}`, `${quoteVaultPath(this.mount)}/metadata/${quoteVaultPath(path)}`);
    const latest = (answer?.data as { current_version?: unknown } | undefined)?.current_version;
    return typeof latest === 'number' ? latest : 0;
  }

  private async readVersion(path: string, version: number | null): Promise<Record<string, unknown> | null> {
    const query = version === null ? '' : `?version=${version}`;
    const answer = await this.admin.read(`version ${version ?? 'latest'} of ${path}`, `${quoteVaultPath(this.mount)}/data/${quoteVaultPath(path)}${query}`);
    const data = (answer?.data as { data?: unknown } | undefined)?.data;
    return data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : null;
  }

  /** Removes every path written; tries them all, then reports the first failure. */
  async removeAll(): Promise<void> {
    const failures: unknown[] = [];
    for (const path of [...this.written]) await this.remove(path).catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  }

  private async put(path: string, data: Record<string, unknown>): Promise<void> {
    this.written.add(path);
    const quoted = quoteVaultPath(path);
    const mount = quoteVaultPath(this.mount);
    if (this.version === 2) await this.admin.write(`the fixture at ${path}`, `${mount}/data/${quoted}`, { data });
    else await this.admin.write(`the fixture at ${path}`, `${mount}/${quoted}`, data);
  }

  private async remove(path: string): Promise<void> {
    const quoted = quoteVaultPath(path);
    const mount = quoteVaultPath(this.mount);
    await this.admin.delete(`the fixture at ${path}`, this.version === 2 ? `${mount}/metadata/${quoted}` : `${mount}/${quoted}`);
    this.written.delete(path);
  }
}

function valueOf(data: Record<string, unknown> | null): string | null {
  const value = data?.value;
  return typeof value === 'string' ? value : null;
}

/** What a request to Vault is for: `auth/...` is a login or a token check, any other GET a read. */
function vaultRequestKind(request: ObservedRequest): 'auth' | 'read' | 'other' {
  const path = request.path.split('?')[0] ?? '';
  if (path.startsWith('/v1/auth/')) return 'auth';
  return request.method === 'GET' && path.startsWith('/v1/') ? 'read' : 'other';
}

const VAULT_NETWORK: TargetNetwork = {
  server: 'vault',
  addressKwargs: (address) => ({ url: `http://${address}` }),
  // hvac.Client's timeout, in seconds.
  timeoutKwargs: (seconds) => ({ timeout: seconds }),
  lookupBudget: (kwargs) => vaultLookupBudget(kwargs),
  requestKind: vaultRequestKind,
};

/**
 * Waits until Vault itself says a credential is gone: polls `probe` (a lookup with the root
 * token) until it reports nothing, bounded in attempts and time.
 */
async function untilVaultForgets(what: string, probe: () => Promise<boolean>): Promise<void> {
  const giveUpAt = Date.now() + EXPIRY_POLL.deadlineMs;
  for (let attempt = 1; attempt <= EXPIRY_POLL.attempts && Date.now() < giveUpAt; attempt += 1) {
    if (await probe()) return;
    await pause(EXPIRY_POLL.intervalMs);
  }
  throw new TimeoutError(`Vault still reported ${what} as valid after ${EXPIRY_POLL.attempts} polls`, {
    what,
    where: 'vault target auth scenarios',
    hint: 'check the server clock and its expiration manager',
  });
}

interface VaultVariant {
  readonly name: string;
  readonly summary: string;
  readonly kvEngineVersion: KvVersion;
  readonly auth: VaultAuthStyle;
}

function mountName(runId: string, variant: VaultVariant): string {
  const tag = runTag(runId);
  return variant.auth === 'approle' ? `asc-${tag}-approle-kv${variant.kvEngineVersion}` : `asc-${tag}-kv${variant.kvEngineVersion}`;
}

function vaultTarget(variant: VaultVariant): VaultTargetDefinition {
  const setups = new Map<string, Promise<RunSetup>>();

  async function prepare(environment: TargetEnvironment): Promise<RunSetup> {
    const vault = vaultOf(environment, variant.name);
    const admin = new VaultAdmin(vault);
    const mount = mountName(environment.runId, variant);
    await admin.ensureMount('secrets', mount, 'kv', { version: String(variant.kvEngineVersion) });
    const readPolicy = `${mount}-read`;
    const elsewherePolicy = `${mount}-elsewhere`;
    await admin.write('the read policy', `sys/policies/acl/${readPolicy}`, { policy: policyText(mount, variant.kvEngineVersion, '') });
    await admin.write('the read-elsewhere policy', `sys/policies/acl/${elsewherePolicy}`, {
      policy: policyText(mount, variant.kvEngineVersion, 'elsewhere/'),
    });
    if (variant.auth === 'token') {
      const token = await createToken(admin, [readPolicy], READER_TTL);
      return { admin, mount, readPolicy, elsewherePolicy, authMount: null, reader: { kwargs: { auth_type: 'token', token }, secrets: [token] } };
    }
    const authMount = `asc-${runTag(environment.runId)}-approle`;
    await admin.ensureMount('auth', authMount, 'approle');
    // Vault locks a role-id out after a few refused logins; the wrong- and expired-credential
    // scenarios refuse logins on purpose, and must not lock out the reader for the rest of the run.
    await admin.write('the AppRole lockout setting', `sys/auth/${quoteVaultPath(authMount)}/tune`, {
      user_lockout_config: { lockout_disable: true },
    });
    const roleId = await ensureRole(admin, authMount, 'reader', readPolicy);
    const secretId = await createSecretId(admin, authMount, 'reader');
    return {
      admin,
      mount,
      readPolicy,
      elsewherePolicy,
      authMount,
      reader: { kwargs: { auth_type: 'approle', auth_mount_point: authMount, role_id: roleId, secret_id: secretId }, secrets: [roleId, secretId] },
    };
  }

  function setupFor(environment: TargetEnvironment): Promise<RunSetup> {
    const key = `${environment.runId}\0${environment.servers.vault?.address ?? ''}`;
    let setup = setups.get(key);
    if (!setup) {
      setup = prepare(environment);
      setups.set(key, setup);
      // A failed setup is not kept: the next session tries again.
      setup.catch(() => setups.delete(key));
    }
    return setup;
  }

  function authScenarios(
    setup: RunSetup,
    vault: VaultEndpoint,
    defaults: Record<string, unknown>,
    backend: (kwargs?: Record<string, unknown>) => VaultBackend,
    onClose: (cleanup: () => Promise<unknown>) => void,
  ): AuthScenarios {
    const { admin } = setup;
    const everything = (...extra: string[]): string[] => [...extra, ...setup.reader.secrets, vault.rootToken];
    const scenario = (kwargs: Record<string, unknown>, ...credentials: string[]): AuthScenario => ({
      backend: backend(kwargs),
      kwargs: { ...defaults, ...kwargs },
      credentials: everything(...credentials),
    });
    const revokeToken = (token: string) => onClose(() => admin.write('revoking a scenario token', 'auth/token/revoke', { token }));
    const rolePath = (role: string) => `auth/${quoteVaultPath(setup.authMount ?? '')}/role/${role}`;
    const destroySecretId = (role: string, secretId: string) =>
      onClose(() => admin.write('destroying a scenario secret-id', `${rolePath(role)}/secret-id/destroy`, { secret_id: secretId }));

    if (variant.auth === 'token') {
      return {
        async wrongCredentials() {
          // Shaped like a Vault service token, never issued.
          const wrong = `s.${canarySecrets.token('nosuch')}`;
          return scenario({ token: wrong }, wrong);
        },
        async expiredCredentials() {
          const token = await createToken(admin, [setup.readPolicy], '1s');
          await untilVaultForgets('a 1 s token', async () => !(await admin.stillKnown('auth/token/lookup', { token })));
          return scenario({ token }, token);
        },
        async deniedRead() {
          const token = await createToken(admin, [setup.elsewherePolicy], READER_TTL);
          revokeToken(token);
          return scenario({ token }, token);
        },
      };
    }
    const authMount = setup.authMount ?? '';
    return {
      async wrongCredentials() {
        // The right role-id with a secret-id the role never issued.
        const wrong = canarySecrets.token('nosuchsid');
        return scenario({ secret_id: wrong }, wrong);
      },
      async expiredCredentials() {
        const secretId = await createSecretId(admin, authMount, 'reader', '1s');
        await untilVaultForgets('a 1 s AppRole secret-id', async () => !(await admin.stillKnown(`${rolePath('reader')}/secret-id/lookup`, { secret_id: secretId })));
        return scenario({ secret_id: secretId }, secretId);
      },
      async deniedRead() {
        const roleId = await ensureRole(admin, authMount, 'elsewhere', setup.elsewherePolicy);
        const secretId = await createSecretId(admin, authMount, 'elsewhere');
        destroySecretId('elsewhere', secretId);
        return scenario({ role_id: roleId, secret_id: secretId }, roleId, secretId);
      },
    };
  }

  return {
    name: variant.name,
    family: 'vault',
    summary: variant.summary,
    backendKind: 'VaultBackend',
    capabilities: variant.kvEngineVersion === 2 ? [...VAULT_CAPABILITIES, 'versions'] : VAULT_CAPABILITIES,
    missingCapabilityReasons: variant.kvEngineVersion === 2 ? VAULT_MISSING : { ...VAULT_MISSING, versions: 'a KV v1 engine keeps the latest value only' },
    servers: ['vault', 'toxiproxy'],
    network: VAULT_NETWORK,
    parser: 'sdk',
    vault: {
      kvEngineVersion: variant.kvEngineVersion,
      auth: variant.auth,
      mount: (environment) => mountName(environment.runId, variant),
    },
    describe: (environment) =>
      referenceDescription('VaultBackend', {
        kwargs: { url: environment.servers.vault?.address ?? '(not started)', mount_point: mountName(environment.runId, variant), kv_engine_version: variant.kvEngineVersion, auth_type: variant.auth },
        notes: ['rules of apache-airflow-providers-hashicorp 4.8.4', `credentials: a ${variant.auth === 'approle' ? 'role_id and secret_id' : 'token'} made for this run, with a policy that reads the mount only`],
      }),
    async open(environment): Promise<TargetSession> {
      const vault = vaultOf(environment, variant.name);
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
        auth: authScenarios(setup, vault, defaults, backend, (cleanup) => cleanups.push(cleanup)),
        async close() {
          const failures: unknown[] = [];
          await fixtures.removeAll().catch((error: unknown) => failures.push(error));
          for (const cleanup of cleanups) await cleanup().catch((error: unknown) => failures.push(error));
          for (const made of backends) await made.close();
          if (failures.length > 0) throw failures[0];
        },
      };
    },
    async residue(environment) {
      const setup = await setupFor(environment);
      return countSecrets(setup.admin, setup.mount, variant.kvEngineVersion);
    },
  };
}

/** Secrets under a mount, listed recursively (bounded in depth and count). */
async function countSecrets(admin: VaultAdmin, mount: string, version: KvVersion): Promise<number> {
  const root = version === 2 ? `${quoteVaultPath(mount)}/metadata/` : `${quoteVaultPath(mount)}/`;
  let count = 0;
  const folders: Array<{ path: string; depth: number }> = [{ path: '', depth: 0 }];
  while (folders.length > 0) {
    const folder = folders.pop() as { path: string; depth: number };
    for (const key of await admin.list(`the secrets of mount ${mount}`, `${root}${folder.path}`)) {
      if (!key.endsWith('/')) count += 1;
      else if (folder.depth < RESIDUE_DEPTH) folders.push({ path: `${folder.path}${quoteVaultPath(key)}`, depth: folder.depth + 1 });
      if (count >= RESIDUE_LIMIT) return count;
    }
  }
  return count;
}

const VAULT_CAPABILITIES: readonly Capability[] = [
  'connections',
  'conn-value',
  'variables',
  'config',
  'json-connections',
  'multiline-values',
  'large-values',
  'mutable',
  'auth-wrong-credentials',
  'auth-expired-credentials',
  'auth-policy',
  'residue',
  'vault-paths',
  'network-faults',
];

const VAULT_MISSING: Partial<Record<Capability, string>> = {
  'empty-values':
    'a Vault connection cannot be stored empty: get_conn_value returns a truthy conn_uri or json.dumps of the whole secret, ' +
    'never "" (an empty conn_uri is read as fields and refused); an empty variable is covered by the vault-paths suite',
  'field-connections': 'a secret without conn_uri is read with Connection.from_json (conn_type normalised), i.e. json-connections',
  'env-var-names': 'Vault ids are paths in a KV mount, not environment variable names',
  'raw-files': 'VaultBackend reads no files',
  'aws-naming': 'not an AWS backend: Vault ids are read by the vault-paths rules',
  'staged-rotation': 'a KV write is live at once: Vault has no staging label that an unqualified read would follow',
};

export const vaultKv2Target = vaultTarget({
  name: 'vault-kv2',
  summary: 'VaultBackend, token auth, KV v2 (reads <mount>/data/<path>, data.data)',
  kvEngineVersion: 2,
  auth: 'token',
});

export const vaultKv1Target = vaultTarget({
  name: 'vault-kv1',
  summary: 'VaultBackend, token auth, KV v1 (reads <mount>/<path>, data)',
  kvEngineVersion: 1,
  auth: 'token',
});

export const vaultAppRoleTarget = vaultTarget({
  name: 'vault-approle',
  summary: 'VaultBackend, AppRole auth (role_id + secret_id), KV v2',
  kvEngineVersion: 2,
  auth: 'approle',
});

export const vaultTargets: readonly VaultTargetDefinition[] = [vaultKv2Target, vaultKv1Target, vaultAppRoleTarget];
