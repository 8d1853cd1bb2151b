/** How a Vault target is reached over the network: its server, its address kwargs, and what each request is for. */
import { endpointOf } from '../../containers/contract';
import { vaultServer } from '../../containers/vault';
import type { ObservedRequest, TargetNetwork } from '../../suites/target';
import { vaultLookupBudget } from './vault-backend';

/** What a request to Vault is for: `auth/...` is a login or a token check, any other GET a read. */
function vaultRequestKind(request: ObservedRequest): 'auth' | 'read' | 'other' {
  const path = request.path.split('?')[0] ?? '';
  if (path.startsWith('/v1/auth/')) return 'auth';
  return request.method === 'GET' && path.startsWith('/v1/') ? 'read' : 'other';
}

export const VAULT_NETWORK: TargetNetwork = {
  server: vaultServer,
  serverUrl: (servers) => endpointOf(servers, vaultServer)?.address ?? null,
  addressKwargs: (address) => ({ url: `http://${address}` }),
  // hvac.Client's timeout, in seconds.
  timeoutKwargs: (seconds) => ({ timeout: seconds }),
  lookupBudget: (kwargs) => vaultLookupBudget(kwargs),
  requestKind: vaultRequestKind,
};
