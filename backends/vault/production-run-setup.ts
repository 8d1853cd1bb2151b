/**
 * What a production Vault target makes once per run on the shared production-mode OpenBao (root
 * token, setup only): its namespace when it has one, its KV v2 mount, the policy its reader is
 * granted, the auth method it logs in with (userpass, LDAP on slapd, AWS IAM on moto, Kubernetes
 * on the run's kube-apiserver) and the
 * refused logins its own cases ask for. Every name carries the run's tag, so runs never collide.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireEndpoint } from '../../containers/contract';
import { kubeApiServer } from '../../containers/kube-apiserver';
import { motoIamServer } from '../../containers/moto';
import { slapdServer } from '../../containers/slapd';
import { productionVaultServer } from '../../containers/vault-production';
import { createSecretValues } from '../../suites/case-context';
import { runTag, type TargetEnvironment } from '../../suites/target';
import { TimeoutError, UnavailableError } from '../../model/errors';
import { VaultAdmin } from './admin';
import { KubernetesAdmin } from '../kubernetes/admin';
import { createIamUser, setUpAwsAuth, setUpKubernetesAuth, setUpLdap, setUpUserpass } from './auth-methods';
import type { ProductionRun, Refusal, RefusalKind, VaultAuthStyle } from './layout';
import { createToken, READER_TTL } from './run-setup';
import { quoteVaultPath } from './vault-paths';

export type ProductionAuth = Extract<VaultAuthStyle, 'token' | 'userpass' | 'ldap' | 'aws_iam' | 'kubernetes'>;

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
  /** Wrong credentials of the method, where a wrong value is more than a kwarg (a file holding a forged JWT). */
  readonly wrong?: Refusal;
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
    ...(login.wrong ? { wrong: login.wrong } : {}),
  };
}

interface ReaderLogin {
  readonly kwargs: Record<string, unknown>;
  readonly secrets: readonly string[];
  readonly refusals: Partial<Record<RefusalKind, Refusal>>;
  readonly denied?: Refusal;
  readonly wrong?: Refusal;
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
    case 'kubernetes':
      return kubernetesLogin(environment, variant, admin, policy, authMount);
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

/** Tokens outlive any run (CI allows 90 minutes). */
const SERVICE_ACCOUNT_TOKEN_SECONDS = 4 * 3600;

/**
 * The Kubernetes side of a kubernetes login: a namespace with the workload's service account
 * (`airflow`), another one (`other-service`), and a reviewer bound to `system:auth-delegator`, whose
 * token Vault sends TokenReviews with. The workload tokens are files, as a pod has them mounted.
 */
async function kubernetesLogin(
  environment: TargetEnvironment,
  variant: ProductionVariant,
  admin: VaultAdmin,
  policy: string,
  authMount: string,
): Promise<ReaderLogin> {
  const kube = requireEndpoint(environment.servers, kubeApiServer, `target ${variant.name}`);
  const kubeAdmin = new KubernetesAdmin(kube);
  const namespace = `asc-${runTag(environment.runId)}-${variant.slug}`;
  await kubeAdmin.ensureNamespace(namespace, { 'conformance.airflow-secrets/run': runTag(environment.runId) });
  for (const name of ['airflow', 'other-service', 'vault-reviewer']) await kubeAdmin.ensureServiceAccount(namespace, name);
  await kubeAdmin.ensureClusterRoleBinding(`${namespace}-token-review`, 'system:auth-delegator', [
    { kind: 'ServiceAccount', name: 'vault-reviewer', namespace },
  ]);
  const [reviewer, airflow, other] = await Promise.all(
    ['vault-reviewer', 'airflow', 'other-service'].map((name) => kubeAdmin.serviceAccountToken(namespace, name, SERVICE_ACCOUNT_TOKEN_SECONDS)),
  );
  await setUpKubernetesAuth(admin, authMount, kube, reviewer as string, [
    { name: 'airflow-reader', serviceAccount: 'airflow', namespace, policy },
    { name: 'other-service', serviceAccount: 'other-service', namespace, policy: 'default' },
  ]);
  const dir = join(environment.scratchDir, `${variant.slug}-service-accounts-${process.pid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const jwtFile = (name: string, jwt: string) => {
    const file = join(dir, name);
    writeFileSync(file, `${jwt}\n`, { mode: 0o600 });
    return file;
  };
  const airflowJwt = jwtFile('airflow', airflow as string);
  const otherJwt = jwtFile('other-service', other as string);
  // Shaped like a service-account JWT, signed by no key the API server has.
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const forged = `${encode({ alg: 'RS256', kid: 'asc' })}.${encode({ iss: kube.serviceAccountIssuer, sub: `system:serviceaccount:${namespace}:airflow` })}.${environment.canary}`;
  const forgedJwt = jwtFile('forged', forged);
  const tokens = [reviewer as string, airflow as string, other as string, forged];
  return {
    kwargs: { auth_type: 'kubernetes', auth_mount_point: authMount, kubernetes_role: 'airflow-reader', kubernetes_jwt_path: airflowJwt },
    secrets: tokens,
    refusals: {
      'unknown-role': { kwargs: { kubernetes_role: 'no-such-role' }, credentials: tokens },
      'other-service-account': { kwargs: { kubernetes_jwt_path: otherJwt }, credentials: tokens },
    },
    // other-service's own role maps to "default" only: it logs in, and may read nothing.
    denied: { kwargs: { kubernetes_role: 'other-service', kubernetes_jwt_path: otherJwt }, credentials: tokens },
    wrong: { kwargs: { kubernetes_jwt_path: forgedJwt }, credentials: tokens },
  };
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
