/** The bench's floor for a Vault lookup: one `node-vault` read with the session's own credentials. */
import NodeVault from 'node-vault';
import { kwargText, type RawClient } from '../../targets/family';
import type { TargetDefinition, TargetSession } from '../../suites/target';

export async function vaultRawClient(_target: TargetDefinition, session: TargetSession, key: string): Promise<RawClient> {
  const kwargs = session.kwargs ?? {};
  const client = NodeVault({ endpoint: kwargText(kwargs, 'url') });
  (client as { pathPrefix?: string }).pathPrefix = '';
  if (kwargs.auth_type === 'approle') {
    const mount = kwargText(kwargs, 'auth_mount_point');
    const login = (await client.write(`auth/${mount}/login`, {
      role_id: kwargText(kwargs, 'role_id'),
      secret_id: kwargText(kwargs, 'secret_id'),
    })) as {
      auth: { client_token: string };
    };
    client.token = login.auth.client_token;
  } else {
    client.token = kwargText(kwargs, 'token');
  }
  const mount = kwargText(kwargs, 'mount_point');
  const v2 = kwargs.kv_engine_version !== 1;
  const path = v2 ? `${mount}/data/variables/${key}` : `${mount}/variables/${key}`;
  return {
    what: 'node-vault read',
    synchronous: false,
    read: async () => {
      const answer = (await client.read(path)) as { data: { data?: { value?: unknown }; value?: unknown } };
      return v2 ? answer.data.data?.value : answer.data.value;
    },
    close: () => {},
  };
}
