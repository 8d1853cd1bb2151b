/**
 * Namespaces (OpenBao has them without an enterprise licence): a child namespace is a Vault of its
 * own inside the server, with its own mounts, policies, auth methods and tokens, addressed by the
 * `X-Vault-Namespace` header (hvac's and Airflow's `namespace` kwarg, node-vault's `namespace`).
 */
import type { VaultAdmin } from './admin-client';

/** Creates `name` under the admin's namespace and hands back the operator acting inside it. */
export async function createNamespace(admin: VaultAdmin, name: string): Promise<VaultAdmin> {
  await admin.write(`sys/namespaces/${encodeURIComponent(name)}`);
  const parent = admin.namespace ? `${admin.namespace.replace(/\/+$/, '')}/` : '';
  return admin.inNamespace(`${parent}${name}`);
}
