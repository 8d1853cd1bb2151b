/**
 * What a production Vault target makes once per run on the shared production-mode OpenBao (root
 * token, setup only): its namespace when it has one, its KV v2 mount, the policy its reader is
 * granted, the auth method it logs in with (userpass, LDAP on slapd, AWS IAM on moto) and the
 * refused logins its own cases ask for. Every name carries the run's tag, so runs never collide.
 */
import { requireEndpoint } from '../../containers/contract';
import { motoIamServer } from '../../containers/moto';
import { slapdServer } from '../../containers/slapd';
import { productionVaultServer } from '../../containers/vault-production';
import { createSecretValues } from '../../suites/case-context';
import { runTag, type TargetEnvironment } from '../../targets/target';
import { TimeoutError, UnavailableError } from '../errors';
import { VaultAdmin } from './admin';
import { createIamUser, setUpAwsAuth, setUpLdap, setUpUserpass } from './auth-methods';
import type { ProductionRun, Refusal, RefusalKind, VaultAuthStyle } from './layout';
import { createToken, READER_TTL } from './run-setup';
import { quoteVaultPath } from './vault-backend';

export type ProductionAuth = Extract<VaultAuthStyle, 'token' | 'userpass' | 'ldap' | 'aws_iam'>;

export interface ProductionVariant {
  readonly name: string;
  readonly summary: string;
  /** Short, for mount names: `tls`, `ldap`. */
  readonly slug: string;
  readonly auth: ProductionAuth;
  readonly namespaced?: boolean;
  readonly tlsCases?: boolean;
  readonly refusals?: readonly RefusalKind[];
  /**
   * The policy the reader is granted; by default read on the three paths the backend reads. A
   * wider one is what the least-privilege case exists to flag.
   */
  readonly policy?: (mount: string) => string;
  /** Cases the target is known to fail, with why (a configuration finding such as a wide policy). */
  readonly knownFindings?: Readonly<Record<string, string>>;
}

export interface ProductionSetup extends ProductionRun {
  readonly mount: string;
  /** The session's kwargs: server, CA, mount, and the reader's credentials. */
  readonly kwargs: Record<string, unknown>;
  /** The reader's credential values. */
  readonly secrets: readonly string[];
  /** Kwargs of valid credentials whose policy reads nowhere the fixtures are (Forbidden), when the method has some. */
  readonly denied?: Refusal;
}

export function productionMount(runId: string, variant: Pick<ProductionVariant, 'slug'>): string {
  return `asc-${runTag(runId)}-${variant.slug}`;
}

/** Read on Airflow's three default paths of a KV v2 mount, nothing else. */
export function leastPolicy(mount: string): string {
  return ['connections', 'variables', 'config'].map((base) => `path "${mount}/data/${base}/*" {\n  capabilities = ["read"]\n}\n`).join('');
}

const KV_READY = { deadlineMs: 15_000, intervalMs: 25 } as const;

/** A fresh KV v2 mount upgrades its storage first and refuses writes until its config answers. */
async function mountKv2(admin: VaultAdmin, mount: string): Promise<void> {
  await admin.ensureMount('secrets', mount, 'kv', { version: '2' });
  const giveUpAt = Date.now() + KV_READY.deadlineMs;
  while (Date.now() < giveUpAt) {
    if (
      await admin.read('the KV v2 config', `${quoteVaultPath(mount)}/config`).then(
        () => true,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, KV_READY.intervalMs));
  }
  throw new TimeoutError(`KV v2 mount ${mount} did not finish its upgrade within ${KV_READY.deadlineMs} ms`, {
    where: admin.vault.address,
    hint: 'read the vault-production server log',
  });
}

async function prepare(environment: TargetEnvironment, variant: ProductionVariant): Promise<ProductionSetup> {
  const vault = requireEndpoint(environment.servers, productionVaultServer, `target ${variant.name}`);
  const credentials = createSecretValues(environment.canary);
  const tag = runTag(environment.runId);
  const root = new VaultAdmin(vault);
  const mount = productionMount(environment.runId, variant);
  let admin = root;
  let namespace: string | null = null;
  let rootReaderToken: string | undefined;
  if (variant.namespaced) {
    namespace = `asc-${tag}-team`;
    await root.write('the child namespace', `sys/namespaces/${namespace}`, {});
    admin = root.inNamespace(namespace);
    // The same mount and path in the root namespace, readable there: a lookup that forgets the
    // namespace must find nothing, not be refused.
    await mountKv2(root, mount);
    await root.write('the root-namespace read policy', `sys/policies/acl/${mount}-root-read`, { policy: leastPolicy(mount) });
    rootReaderToken = await createToken({ admin: root, credentials }, [`${mount}-root-read`], READER_TTL);
  }
  await mountKv2(admin, mount);
  const policy = `${mount}-reader`;
  await admin.write('the reader policy', `sys/policies/acl/${policy}`, { policy: (variant.policy ?? leastPolicy)(mount) });
  const common = {
    vault,
    admin,
    namespace,
    policy,
    mount,
    ...(rootReaderToken ? { rootReaderToken } : {}),
  };
  const server = { url: vault.address, verify: vault.caFile, mount_point: mount, kv_engine_version: 2, ...(namespace ? { namespace } : {}) };
  const login = await readerLogin(environment, variant, admin, policy, credentials);
  return {
    ...common,
    kwargs: { ...server, ...login.kwargs },
    secrets: login.secrets,
    refusals: login.refusals,
    ...(login.denied ? { denied: login.denied } : {}),
  };
}

interface ReaderLogin {
  readonly kwargs: Record<string, unknown>;
  readonly secrets: readonly string[];
  readonly refusals: Partial<Record<RefusalKind, Refusal>>;
  readonly denied?: Refusal;
}

async function readerLogin(
  environment: TargetEnvironment,
  variant: ProductionVariant,
  admin: VaultAdmin,
  policy: string,
  credentials: ReturnType<typeof createSecretValues>,
): Promise<ReaderLogin> {
  const tag = runTag(environment.runId);
  const authMount = `asc-${tag}-${variant.slug}-auth`;
  switch (variant.auth) {
    case 'token': {
      // A namespace's tokens get ids Vault makes: custom ids exist in the root namespace only.
      const token = admin.namespace ? await namespaceToken(admin, policy) : await createToken({ admin, credentials }, [policy], READER_TTL);
      return { kwargs: { auth_type: 'token', token }, secrets: [token], refusals: {} };
    }
    case 'userpass': {
      const password = credentials.token('pw');
      await setUpUserpass(admin, authMount, { username: 'airflow-reader', password, policy });
      const unknown = credentials.token('pw');
      return {
        kwargs: { auth_type: 'userpass', auth_mount_point: authMount, username: 'airflow-reader', password },
        secrets: [password],
        refusals: { 'unknown-user': { kwargs: { username: 'nobody', password: unknown }, credentials: [unknown] } },
      };
    }
    case 'ldap': {
      const directory = requireEndpoint(environment.servers, slapdServer, `target ${variant.name}`);
      await setUpLdap(admin, authMount, directory, directory.url, 'airflow-readers', policy);
      // The same directory behind an address nobody listens on: an outage, as Vault meets it.
      const downMount = `${authMount}-down`;
      await setUpLdap(admin, downMount, directory, 'ldap://127.0.0.1:1', 'airflow-readers', policy);
      const alice = directory.users.find((user) => user.uid === 'alice');
      const bob = directory.users.find((user) => user.uid === 'bob');
      if (!alice || !bob) throw new Error('the seeded directory lacks alice or bob');
      const unknown = credentials.token('pw');
      return {
        kwargs: { auth_type: 'ldap', auth_mount_point: authMount, username: 'alice', password: alice.password },
        secrets: [alice.password, bob.password],
        refusals: {
          'unknown-user': { kwargs: { username: 'nobody', password: unknown }, credentials: [unknown] },
          'directory-down': { kwargs: { auth_mount_point: downMount }, credentials: [alice.password] },
        },
        // bob's group maps to no policy: he logs in with "default" only.
        denied: { kwargs: { username: 'bob', password: bob.password }, credentials: [bob.password] },
      };
    }
    case 'aws_iam': {
      const moto = requireEndpoint(environment.servers, motoIamServer, `target ${variant.name}`);
      const [worker, other] = await Promise.all([createIamUser(moto, `asc-${tag}-worker`), createIamUser(moto, `asc-${tag}-other`)]);
      await setUpAwsAuth(admin, authMount, moto, [
        { name: 'airflow-reader', boundArn: worker.arn, policy },
        { name: 'other-service', boundArn: other.arn, policy: 'default' },
      ]);
      const keys = (user: typeof worker) => ({ key_id: user.accessKeyId, secret_id: user.secretAccessKey });
      return {
        kwargs: { auth_type: 'aws_iam', auth_mount_point: authMount, role_id: 'airflow-reader', region: moto.region, ...keys(worker) },
        secrets: [worker.secretAccessKey, other.secretAccessKey],
        refusals: { 'other-principal': { kwargs: keys(other), credentials: [other.secretAccessKey] } },
        denied: { kwargs: { role_id: 'other-service', ...keys(other) }, credentials: [other.secretAccessKey] },
      };
    }
  }
}

async function namespaceToken(admin: VaultAdmin, policy: string): Promise<string> {
  const answer = (await admin.write('a token of the namespace', 'auth/token/create', {
    policies: [policy],
    ttl: READER_TTL,
    display_name: 'asc-conformance',
  })) as { auth?: { client_token?: unknown } } | undefined;
  const token = answer?.auth?.client_token;
  if (typeof token !== 'string')
    throw new UnavailableError('Vault created a namespace token without an id', { where: admin.vault.address, hint: 'read the server log' });
  return token;
}

/** One setup per run and server for a variant, made on first use; a failed setup is tried again. */
export function productionSetups(variant: ProductionVariant): (environment: TargetEnvironment) => Promise<ProductionSetup> {
  const setups = new Map<string, Promise<ProductionSetup>>();
  return (environment) => {
    const key = `${environment.runId}\0${requireEndpoint(environment.servers, productionVaultServer, `target ${variant.name}`).address}`;
    let setup = setups.get(key);
    if (!setup) {
      setup = prepare(environment, variant);
      setups.set(key, setup);
      setup.catch(() => setups.delete(key));
    }
    return setup;
  };
}
