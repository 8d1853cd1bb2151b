/**
 * The auth methods of the provider's `_VaultClient` as requests: the token a `token` login uses,
 * and the path and body every other method posts. Sending them (with the session's retries) and
 * keeping the token Vault answers with stay with the backend, which owns the session.
 */
import { readFile } from 'node:fs/promises';
import { pythonStrip } from '../../model/connection/python-builtins';
import { UnauthorizedError } from '../../model/errors';
import { awsIamLoginBody } from './aws-iam-login';
import { kwargError, type VaultAuth } from './vault-kwargs';
import { quoteVaultPath } from './vault-paths';

export interface VaultLoginRequest {
  /** The API path (after `/v1/`) the login is posted to. */
  readonly path: string;
  readonly body: Record<string, unknown>;
}

/** The token a `token` login presents: the token file's, read at each login, else the kwarg's or VAULT_TOKEN. */
export async function vaultToken(auth: Extract<VaultAuth, { type: 'token' }>, backendKind: string): Promise<string> {
  let token = auth.token;
  if (auth.tokenPath) {
    try {
      token = pythonStrip(await readFile(auth.tokenPath, 'utf8'));
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw kwargError(
        `cannot read the token file (${typeof code === 'string' ? code : 'unreadable'})`,
        'token_path',
        `check that ${auth.tokenPath} exists and is readable`,
      );
    }
  }
  if (!token) {
    // The provider's "Vault Authentication Error!": the auth method produced no token.
    throw new UnauthorizedError('no Vault token to authenticate with', {
      what: `${backendKind} token`,
      where: auth.tokenPath ? `token_path ${auth.tokenPath}` : 'token / VAULT_TOKEN',
      hint: 'set a non-empty token, token_path or VAULT_TOKEN',
    });
  }
  return token;
}

/** The login request of every auth method but `token`; a credential it needs and lacks is refused here, before a request. */
export async function vaultLoginRequest(auth: Exclude<VaultAuth, { type: 'token' }>): Promise<VaultLoginRequest> {
  if (auth.type === 'approle') {
    return {
      path: `auth/${quoteVaultPath(auth.mountPoint)}/login`,
      body: { role_id: auth.roleId, ...(auth.secretId === null ? {} : { secret_id: auth.secretId }) },
    };
  }
  if (auth.type === 'aws_iam') {
    if (!auth.keyId || !auth.secretId) {
      throw kwargError('aws_iam authentication needs key_id and secret_id here', 'key_id', 'set key_id and secret_id (the IAM access key)');
    }
    return {
      path: `auth/${quoteVaultPath(auth.mountPoint)}/login`,
      body: await awsIamLoginBody({
        credentials: { accessKeyId: auth.keyId, secretAccessKey: auth.secretId },
        ...(auth.region ? { region: auth.region } : {}),
        ...(auth.role ? { role: auth.role } : {}),
      }),
    };
  }
  if (auth.type === 'kubernetes') {
    // `open(kubernetes_jwt_path).read().strip()`, read at each login as the provider does.
    return {
      path: `auth/${quoteVaultPath(auth.mountPoint)}/login`,
      body: { role: auth.role, jwt: pythonStrip(await readFile(auth.jwtPath, 'utf8')) },
    };
  }
  if (!auth.username || auth.password === null) {
    throw kwargError(`${auth.type} authentication needs username and password`, 'username', 'set both username and password');
  }
  return { path: `auth/${quoteVaultPath(auth.mountPoint)}/login/${quoteVaultPath(auth.username)}`, body: { password: auth.password } };
}
