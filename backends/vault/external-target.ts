/**
 * `vault-external`: our VaultBackend with a team's production token or AppRole, on the Vault the team runs
 * (`--provision=external`, containers/external.ts). Every path the harness writes, reads or lists
 * is under `<mount>/<prefix>/`: the run's fixtures under `<prefix>/asc-<run tag>/`, removed when each
 * session closes; without an admin token nothing is written and the backend reads the preseeded
 * set under `<prefix>/asc-readonly/`. Each request, the backend's and the fixtures', first takes a
 * slot of the run's rate cap. No fault is put in front of a server the harness does not own.
 */
import { endpointOf, requireEndpoint } from '../../containers/contract';
import { externalGates, externalVaultServer, type ExternalVaultEndpoint } from '../../containers/external';
import { readExternalConfig, requireExternal, type VaultCredential } from '../../containers/external-config';
import { PRESEEDED_FOLDER, PRESEEDED_SECRETS } from '../../suites/preseeded-fixtures';
import { EXTERNAL_NOT_RUN_SUITES, NOT_OURS, readOnlyFlag, readOnlyReason, type ExternalAdminCredential } from '../../targets/external-target';
import type { SeedPlan, StoredValue } from '../../targets/family';
import {
  referenceDescription,
  runTag,
  type Capability,
  type TargetDefinition,
  type TargetEnvironment,
  type TargetSession,
} from '../../suites/target';
import { ConfigurationError } from '../../model/errors';
import type { RequestGate } from '../../model/request-gate';
import { countSecrets, VaultAdmin } from './admin';
import { VaultFixtures } from './fixtures';
import { VAULT_ID_SHAPES } from './layout';
import { VAULT_CAPABILITIES, VAULT_MISSING } from './targets';
import { VaultBackend } from './vault-backend';
import { quoteVaultPath } from './vault-paths';

const ADMIN: ExternalAdminCredential = { variables: 'ASC_EXTERNAL_VAULT_ADMIN_TOKEN', holding: 'a token', store: 'on the external Vault' };

/** What the dev-server targets run that needs a server the harness owns, with why it is not run here. */
const NOT_ON_EXTERNAL: Partial<Record<Capability, string>> = {
  'network-faults': `${NOT_OURS}, so no Toxiproxy fault is put in front of it; run the failover suite on a server the harness starts (--provision=auto)`,
  'auth-wrong-credentials': `${NOT_OURS}: refused logins on purpose would show in its audit log and may lock accounts; run the auth suite with --provision=auto`,
  'auth-expired-credentials': `${NOT_OURS}: making and expiring tokens needs more than the prefix; run the auth suite with --provision=auto`,
  'auth-policy': `${NOT_OURS}: writing a denying policy needs sys/policies; run the auth suite with --provision=auto`,
  'vault-paths': `${NOT_OURS}: the vault-paths cases read and write beside the configured paths (mount_point=None, other mounts), outside the prefix`,
  versions: `${NOT_OURS}: rollback writes old versions back; run the rotation suite with --provision=auto`,
};

// Throttling writes a rate-limit quota (sys/quotas), which the prefix does not allow; it has no stated reason here.
const CAPABILITIES: readonly Capability[] = [
  ...VAULT_CAPABILITIES.filter((capability) => !(capability in NOT_ON_EXTERNAL) && capability !== 'throttling'),
  'preseeded',
];

const MISSING: Partial<Record<Capability, string>> = { ...VAULT_MISSING, ...NOT_ON_EXTERNAL };

/** Where this run's fixtures live inside the mount: the run's own folder, or the preseeded set's. */
function baseOf(vault: ExternalVaultEndpoint, environment: TargetEnvironment): string {
  return vault.adminToken ? `${vault.prefix}/asc-${runTag(environment.runId)}` : `${vault.prefix}/${PRESEEDED_FOLDER}`;
}

/**
 * The admin token's operator, held to `<mount>/(data|metadata)/<base>/` (KV v1: `<mount>/<base>/`) and
 * to the rate cap: a path outside is refused before any request.
 */
class FencedVaultAdmin implements Pick<VaultAdmin, 'read' | 'write' | 'delete' | 'list'> {
  private readonly roots: readonly string[];

  constructor(
    private readonly admin: VaultAdmin,
    mount: string,
    version: 1 | 2,
    base: string,
    private readonly gate: RequestGate,
  ) {
    const [m, b] = [quoteVaultPath(mount), quoteVaultPath(base)];
    this.roots = version === 2 ? [`${m}/data/${b}/`, `${m}/metadata/${b}/`] : [`${m}/${b}/`];
  }

  private async enter(what: string, path: string): Promise<void> {
    const bare = path.split('?')[0] ?? '';
    if (!this.roots.some((root) => bare.startsWith(root)) || bare.split('/').some((segment) => segment === '..')) {
      throw new ConfigurationError(`${what}: ${bare} is outside the run's folder`, {
        what,
        where: 'vault-external fixtures',
        hint: `the harness writes under ${this.roots.join(' or ')} only`,
      });
    }
    await this.gate.take();
  }

  async read(what: string, path: string): Promise<{ data?: unknown } | undefined> {
    await this.enter(what, path);
    return this.admin.read(what, path);
  }

  async write(what: string, path: string, body: Record<string, unknown>): Promise<{ data?: unknown; auth?: unknown } | undefined> {
    await this.enter(what, path);
    return this.admin.write(what, path, body);
  }

  async delete(what: string, path: string): Promise<unknown> {
    await this.enter(what, path);
    return this.admin.delete(what, path);
  }

  async list(what: string, path: string): Promise<string[]> {
    await this.enter(what, path.endsWith('/') ? path : `${path}/`);
    return this.admin.list(what, path);
  }
}

/** The preseeded set when nothing may be written: a write is refused with how to allow it. */
class ReadOnlyFixtures {
  private refuse(): Promise<never> {
    return Promise.reject(
      new ConfigurationError('this run may not write the external Vault', {
        where: 'vault-external',
        hint: 'set ASC_EXTERNAL_VAULT_ADMIN_TOKEN to a token that may write under the prefix',
      }),
    );
  }

  putConnection(): Promise<void> {
    return this.refuse();
  }

  putVariable(): Promise<void> {
    return this.refuse();
  }
}

const gateFor = externalGates();

/** The backend's own login, as Airflow's VaultBackend takes it: `auth_type='token'` or `auth_type='approle'` (it logs in itself). */
function credentialKwargs(credential: VaultCredential): Record<string, unknown> {
  if (credential.kind === 'token') return { auth_type: 'token', token: credential.token };
  return {
    auth_type: 'approle',
    role_id: credential.roleId,
    secret_id: credential.secretId,
    ...(credential.authMount !== undefined ? { auth_mount_point: credential.authMount } : {}),
  };
}

function kwargsFor(vault: ExternalVaultEndpoint, base: string): Record<string, unknown> {
  return {
    url: vault.address,
    mount_point: vault.mount,
    kv_engine_version: vault.kvEngineVersion,
    connections_path: `${base}/connections`,
    variables_path: `${base}/variables`,
    config_path: `${base}/config`,
    ...credentialKwargs(vault.credential),
    ...(vault.caCertFile ? { verify: vault.caCertFile } : {}),
  };
}

function fenced(vault: ExternalVaultEndpoint, base: string): FencedVaultAdmin | null {
  if (!vault.adminToken) return null;
  const admin = new VaultAdmin({ address: vault.address, rootToken: vault.adminToken, ...(vault.caPem ? { caPem: vault.caPem } : {}) });
  return new FencedVaultAdmin(admin, vault.mount, vault.kvEngineVersion, base, gateFor(vault.address, vault.maxRps));
}

export const vaultExternalTarget: TargetDefinition = {
  name: 'vault-external',
  family: 'vault',
  summary: "VaultBackend with the team's production token on the team's own Vault (--provision=external), inside the prefix it names",
  backendKind: 'VaultBackend',
  capabilities: CAPABILITIES,
  missingCapabilityReasons: MISSING,
  servers: [externalVaultServer],
  // Its own layout: the vault suites' assumptions (a run-named mount, a root token) do not hold here.
  store: { layout: 'vault-external', idShapes: VAULT_ID_SHAPES },
  parser: 'sdk',
  notRunSuites: EXTERNAL_NOT_RUN_SUITES,
  readOnly(environment) {
    const vault = endpointOf(environment.servers, externalVaultServer);
    return !vault || vault.adminToken ? null : readOnlyReason(ADMIN);
  },
  describe(environment) {
    const vault = endpointOf(environment.servers, externalVaultServer);
    if (!vault) return referenceDescription('VaultBackend', { notes: ['external Vault: not reached in this run'] });
    const base = baseOf(vault, environment);
    return referenceDescription('VaultBackend', {
      kwargs: kwargsFor(vault, base),
      notes: [
        'rules of apache-airflow-providers-hashicorp 4.8.4',
        `external server: Vault ${vault.version} at ${vault.address} (sys/health), not started by the harness`,
        `read as: ${vault.identity ?? 'unknown'} (${vault.identitySource})`,
        vault.adminIdentity
          ? `fixtures written as: ${vault.adminIdentity}, under ${vault.mount}/${base}/ only, removed by each session`
          : `read-only: no admin credential; read the preseeded set under ${vault.mount}/${base}/`,
        `request rate capped at ${vault.maxRps}/s (ASC_EXTERNAL_MAX_RPS)`,
      ],
      ...(vault.adminToken ? {} : { flags: [readOnlyFlag(ADMIN)] }),
    });
  },
  async open(environment): Promise<TargetSession> {
    const vault = requireEndpoint(environment.servers, externalVaultServer, 'target vault-external');
    const base = baseOf(vault, environment);
    const gate = gateFor(vault.address, vault.maxRps);
    const admin = fenced(vault, base);
    const fixtures = admin ? new VaultFixtures(admin, vault.mount, vault.kvEngineVersion, base) : new ReadOnlyFixtures();
    const made: VaultBackend[] = [];
    const defaults = kwargsFor(vault, base);
    return {
      fixtures,
      kwargs: defaults,
      readOnly: admin === null,
      backend(kwargs = {}) {
        const backend = new VaultBackend({ ...defaults, ...kwargs }, { gate });
        made.push(backend);
        return backend;
      },
      async close() {
        const removed = fixtures instanceof VaultFixtures ? fixtures.removeAll() : Promise.resolve();
        await Promise.all([removed, ...made.map((backend) => backend.close())]);
      },
    };
  },
  async residue(environment) {
    const vault = requireEndpoint(environment.servers, externalVaultServer, 'target vault-external');
    const base = baseOf(vault, environment);
    const admin = fenced(vault, base);
    // Read-only: nothing was written.
    return admin ? countSecrets(admin, vault.mount, vault.kvEngineVersion, base) : 0;
  },
};

/** The preseeded set as the Vault provider reads it: a URI under `conn_uri`, fields as KV keys, a variable under `value`. */
function kvData(value: (typeof PRESEEDED_SECRETS)[number]['value']): Record<string, unknown> {
  if (typeof value === 'string') return { value };
  if ('uri' in value) return { conn_uri: value.uri };
  if ('fields' in value) return { ...value.fields };
  return { conn_uri: value.raw };
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** What a team writes for a read-only run, and the `vault kv put` commands (`bao kv put` alike) that do it. */
export function vaultSeedPlan(env: NodeJS.ProcessEnv): SeedPlan {
  const vault = requireExternal(readExternalConfig(env), 'vault');
  const base = `${vault.prefix}/${PRESEEDED_FOLDER}`;
  const writes = PRESEEDED_SECRETS.map((secret) => ({ name: `${base}/${secret.kind}/${secret.id}`, value: kvData(secret.value) as StoredValue }));
  return {
    where: `Vault ${vault.address}, mount ${vault.mount}, under ${base}/ (KV data as the hashicorp provider reads it)`,
    writes,
    commands: writes.map(
      ({ name, value }) => `printf '%s' ${shellQuote(JSON.stringify(value))} | vault kv put -mount=${shellQuote(vault.mount)} ${shellQuote(name)} -`,
    ),
  };
}
