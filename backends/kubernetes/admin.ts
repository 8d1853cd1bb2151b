/**
 * The harness's own hands on the run's API server (`@kubernetes/client-node`, as the admin in
 * `system:masters`): namespaces, Secrets, service accounts, RBAC and TokenRequest. Never what a
 * backend under test uses. An error names the call and the API server's reason, never a body.
 */
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  type V1PolicyRule,
  type V1Secret,
  type RbacV1Subject,
} from '@kubernetes/client-node';
import type { KubeApiServerEndpoint } from '../../containers/kube-apiserver';
import { UnavailableError } from '../../model/errors';

export class KubernetesAdmin {
  readonly core: CoreV1Api;
  readonly rbac: RbacAuthorizationV1Api;

  constructor(readonly server: KubeApiServerEndpoint) {
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'asc', server: server.address, caData: Buffer.from(server.caPem).toString('base64') }],
      users: [{ name: 'asc-admin', token: server.adminToken }],
      contexts: [{ name: 'asc', cluster: 'asc', user: 'asc-admin' }],
      currentContext: 'asc',
    });
    this.core = config.makeApiClient(CoreV1Api);
    this.rbac = config.makeApiClient(RbacAuthorizationV1Api);
  }

  /** Runs `call`; an API refusal becomes an UnavailableError naming `what` and the server's reason. */
  async call<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw this.failure(what, error);
    }
  }

  /** As `call`, but an answer of `status` (404 on a delete, 409 on a create) is fine: `null`. */
  async tolerating<T>(status: number, what: string, call: () => Promise<T>): Promise<T | null> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof ApiException && error.code === status) return null;
      throw this.failure(what, error);
    }
  }

  private failure(what: string, error: unknown): UnavailableError {
    const code = error instanceof ApiException ? `HTTP ${error.code}` : error instanceof Error ? error.message : String(error);
    const reason = error instanceof ApiException ? statusReason(error.body) : '';
    return new UnavailableError(`kube-apiserver refused ${what}: ${code}${reason ? ` (${reason})` : ''}`, {
      where: this.server.address,
      hint: 'read the kube-apiserver log of the run',
      cause: error instanceof ApiException ? undefined : error,
    });
  }

  async ensureNamespace(name: string, labels: Record<string, string>): Promise<void> {
    await this.tolerating(409, `creating namespace ${name}`, () => this.core.createNamespace({ body: { metadata: { name, labels } } }));
  }

  /**
   * Deletes a namespace for good. No controller manager runs, so nothing would empty it and drop
   * its `kubernetes` finalizer: its Secrets are deleted here, then the finalizer is cleared.
   */
  async deleteNamespace(name: string): Promise<void> {
    await this.tolerating(404, `deleting the secrets of ${name}`, () => this.core.deleteCollectionNamespacedSecret({ namespace: name }));
    const deleted = await this.tolerating(404, `deleting namespace ${name}`, () => this.core.deleteNamespace({ name }));
    if (deleted === null) return;
    await this.tolerating(404, `finalizing namespace ${name}`, () =>
      this.core.replaceNamespaceFinalize({ name, body: { metadata: { name }, spec: { finalizers: [] } } }),
    );
  }

  async createSecret(namespace: string, secret: V1Secret): Promise<void> {
    await this.call(`creating secret ${secret.metadata?.name ?? ''} in ${namespace}`, () =>
      this.core.createNamespacedSecret({ namespace, body: secret }),
    );
  }

  async replaceSecret(namespace: string, secret: V1Secret): Promise<void> {
    const name = secret.metadata?.name ?? '';
    await this.call(`replacing secret ${name} in ${namespace}`, () => this.core.replaceNamespacedSecret({ name, namespace, body: secret }));
  }

  /**
   * Waits until the API server's watch cache holds every write made so far in `namespace`: lookups
   * list with `resourceVersion=0`, which the cache answers as it is, possibly a write behind. A
   * list without a version reads the current one from storage; a list `NotOlderThan` it is held
   * by the API server until its cache has caught up.
   */
  async cacheCaughtUp(namespace: string): Promise<void> {
    const current = await this.call(`listing secrets of ${namespace}`, () => this.core.listNamespacedSecret({ namespace, limit: 1 }));
    const resourceVersion = current.metadata?.resourceVersion;
    if (!resourceVersion) return;
    await this.call(`waiting for the watch cache of ${namespace}`, () =>
      this.core.listNamespacedSecret({ namespace, resourceVersion, resourceVersionMatch: 'NotOlderThan', limit: 1 }),
    );
  }

  async deleteSecret(namespace: string, name: string): Promise<void> {
    await this.tolerating(404, `deleting secret ${name} in ${namespace}`, () => this.core.deleteNamespacedSecret({ name, namespace }));
  }

  /** Names (`namespace/name`) of every Secret with `labelSelector`, in every namespace. */
  async secretNames(labelSelector: string): Promise<string[]> {
    const list = await this.call(`listing secrets ${labelSelector}`, () => this.core.listSecretForAllNamespaces({ labelSelector }));
    return list.items.map((item) => `${item.metadata?.namespace ?? ''}/${item.metadata?.name ?? ''}`);
  }

  async namespaceNames(labelSelector: string): Promise<string[]> {
    const list = await this.call(`listing namespaces ${labelSelector}`, () => this.core.listNamespace({ labelSelector }));
    return list.items.map((item) => item.metadata?.name ?? '');
  }

  async ensureServiceAccount(namespace: string, name: string): Promise<void> {
    await this.tolerating(409, `creating service account ${namespace}/${name}`, () =>
      this.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } }),
    );
  }

  /** A Role of `rules` bound to `subjects`, both named `name`, in `namespace`. */
  async ensureRoleBinding(namespace: string, name: string, rules: V1PolicyRule[], subjects: RbacV1Subject[]): Promise<void> {
    await this.tolerating(409, `creating role ${namespace}/${name}`, () =>
      this.rbac.createNamespacedRole({ namespace, body: { metadata: { name }, rules } }),
    );
    await this.tolerating(409, `creating role binding ${namespace}/${name}`, () =>
      this.rbac.createNamespacedRoleBinding({
        namespace,
        body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects },
      }),
    );
  }

  /** Binds a ClusterRole (`system:auth-delegator`, for a TokenReview caller) to `subjects`. */
  async ensureClusterRoleBinding(name: string, clusterRole: string, subjects: RbacV1Subject[]): Promise<void> {
    await this.tolerating(409, `creating cluster role binding ${name}`, () =>
      this.rbac.createClusterRoleBinding({
        body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole }, subjects },
      }),
    );
  }

  /** A token of the service account, minted by TokenRequest (what the kubelet mounts into a pod). */
  async serviceAccountToken(namespace: string, name: string, expirationSeconds: number): Promise<string> {
    const answer = await this.call(`a TokenRequest for ${namespace}/${name}`, () =>
      this.core.createNamespacedServiceAccountToken({ name, namespace, body: { spec: { audiences: [], expirationSeconds } } }),
    );
    const token = answer.status?.token;
    if (!token)
      throw new UnavailableError(`TokenRequest for ${namespace}/${name} gave no token`, {
        where: this.server.address,
        hint: 'read the kube-apiserver log',
      });
    return token;
  }
}

function statusReason(body: unknown): string {
  const parsed = typeof body === 'string' ? safeJson(body) : body;
  const message = (parsed as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : '';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
