/**
 * What went wrong talking to Vault, in the closed error set and without a secret: the error a
 * failed node-vault call becomes for each kind of request, and what urllib3's retry sees in it.
 * Shared by the backend, the admin client of the harness and the lease-backed example.
 */
import type { AttemptFailure } from '../../model/retry';
import {
  ConfigurationError,
  ForbiddenError,
  ThrottledError,
  TimeoutError,
  UnauthorizedError,
  UnavailableError,
  type SecretsError,
} from '../../model/errors';

/** What a failed node-vault call tells: the HTTP status, or the socket error code. */
export interface VaultFailure {
  readonly status: number | null;
  readonly code: string | null;
  /** Vault's first error line, when it sent one. */
  readonly detail: string | null;
}

export function describeVaultFailure(error: unknown): VaultFailure {
  const record = (typeof error === 'object' && error !== null ? error : {}) as {
    response?: { statusCode?: unknown };
    code?: unknown;
    message?: unknown;
  };
  const status = typeof record.response?.statusCode === 'number' ? record.response.statusCode : null;
  const code = typeof record.code === 'string' ? record.code : null;
  const message = typeof record.message === 'string' ? record.message : null;
  // node-vault puts Vault's `errors[0]` in the message; a socket error's message is Node's own.
  const detail = status !== null && message && !/^Status \d+$/.test(message) ? message : null;
  return { status, code, detail };
}

/** What the request was for: the error class of a status depends on it. */
export type VaultRequestPhase = 'read' | 'login' | 'token-check' | 'admin';

export interface VaultRequestContext {
  readonly phase: VaultRequestPhase;
  /** `connection "my_db"`, `the AppRole login`. */
  readonly what: string;
  /** Server address and API path, never a credential. */
  readonly where: string;
  /** Texts to blank out of Vault's own message (credentials sent in the request). */
  readonly hidden?: readonly string[];
  readonly timeoutMs?: number;
}

const TIMEOUT_CODES = ['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT'];

/** Node's codes for a server certificate the client refuses, and what each means. */
const TLS_REFUSALS: Readonly<Record<string, string>> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate is not signed by a CA the client trusts',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the certificate is not signed by a CA the client trusts',
  SELF_SIGNED_CERT_IN_CHAIN: 'the certificate chain ends in a CA the client does not trust',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate is issued for another host name',
};

function vaultSaid(failure: VaultFailure, hidden: readonly string[]): string {
  if (!failure.detail) return `HTTP ${failure.status}`;
  let detail = failure.detail.replace(/\s+/g, ' ').trim();
  for (const secret of hidden) if (secret) detail = detail.split(secret).join('***');
  if (detail.length > 160) detail = `${detail.slice(0, 157)}...`;
  return `HTTP ${failure.status}: ${detail}`;
}

/**
 * The error a failed request becomes. Status first (hvac's `VaultError.from_status`), then the
 * socket: a refused, reset or unresolvable connection is unavailable, no answer in time a timeout.
 */
export function classifyVaultFailure(failure: VaultFailure, context: VaultRequestContext): SecretsError {
  const details = { what: context.what, where: context.where };
  const said = () => vaultSaid(failure, context.hidden ?? []);
  const { status } = failure;
  if (status === null) {
    const tlsRefusal = failure.code === null ? undefined : TLS_REFUSALS[failure.code];
    if (tlsRefusal) {
      return new UnavailableError(`TLS verification of the Vault server failed for ${context.what}: ${tlsRefusal} (${failure.code})`, {
        ...details,
        hint: 'set verify to the CA file that signed the server certificate, and url to a host name the certificate names; verify=False trusts anyone',
      });
    }
    if (failure.code !== null && TIMEOUT_CODES.includes(failure.code)) {
      const limit = context.timeoutMs === undefined ? '' : ` within ${context.timeoutMs / 1000} s`;
      return new TimeoutError(`no answer from Vault${limit} for ${context.what}`, {
        ...details,
        hint: 'check that the server is responsive, or raise the timeout kwarg (seconds)',
      });
    }
    return new UnavailableError(`cannot reach Vault for ${context.what} (${failure.code ?? 'no connection'})`, {
      ...details,
      hint: 'check that Vault runs at the configured url and is reachable',
    });
  }
  if (status === 429) {
    return new ThrottledError(`Vault asked to slow down for ${context.what} (${said()})`, {
      ...details,
      hint: 'retry later, or lower the request rate',
    });
  }
  if (status >= 500 || status === 412) {
    return new UnavailableError(`Vault failed to answer for ${context.what} (${said()})`, {
      ...details,
      hint: 'check that Vault is unsealed and healthy (sys/health)',
    });
  }
  switch (context.phase) {
    case 'login':
      if (status === 404) {
        return new ConfigurationError(`no auth method answers at the login path for ${context.what} (${said()})`, {
          ...details,
          hint: 'check auth_mount_point: it must name the mount of the auth method',
        });
      }
      // Vault answers 400 for an identity source it cannot reach, as for bad credentials: the text tells them apart.
      if (status === 400 && /error connecting to host|connection refused|i\/o timeout/i.test(failure.detail ?? '')) {
        return new UnavailableError(`the auth method could not reach its identity source for ${context.what} (${said()})`, {
          ...details,
          hint: 'the directory (LDAP) or STS the auth method checks with is down or unreachable from Vault',
        });
      }
      if (status === 400 || status === 401 || status === 403) {
        return new UnauthorizedError(`Vault refused ${context.what} (${said()})`, {
          ...details,
          hint:
            status === 403
              ? 'no auth method at this mount in this namespace (check auth_mount_point and namespace), or the credentials are refused'
              : 'check the credentials: role_id/secret_id, username/password, or the IAM principal bound to the role',
        });
      }
      break;
    case 'token-check':
      // hvac's is_authenticated(): Forbidden, InvalidPath and InvalidRequest all mean "not authenticated".
      if ([400, 401, 403, 404].includes(status)) {
        return new UnauthorizedError(`Vault does not accept ${context.what} (${said()})`, {
          ...details,
          hint: 'check token, token_path or VAULT_TOKEN; the token may have expired or been revoked',
        });
      }
      break;
    case 'read':
    case 'admin':
      if (status === 401) {
        return new UnauthorizedError(`Vault did not authenticate the request for ${context.what} (${said()})`, {
          ...details,
          hint: 'check the credentials of the backend',
        });
      }
      if (status === 403) {
        return new ForbiddenError(`the token's policy does not allow reading ${context.what} (${said()})`, {
          ...details,
          hint: 'grant read on this path in the policy, or check mount_point and the *_path kwargs',
        });
      }
      if (status === 400) {
        return new ConfigurationError(`Vault refused the request for ${context.what} as invalid (${said()})`, {
          ...details,
          hint: 'check mount_point, kv_engine_version and the *_path kwargs',
        });
      }
      break;
  }
  return new UnavailableError(`unexpected answer from Vault for ${context.what} (${said()})`, {
    ...details,
    hint: 'check that the url points at a Vault server',
  });
}

/** Socket errors before the request reached Vault: urllib3 retries them whatever the method. */
const CONNECT_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/**
 * A failed node-vault call in urllib3's terms. axios cannot tell a connect timeout from a read
 * timeout (both ECONNABORTED), so every timeout counts as a read error; through a proxy on this
 * machine the connection itself never times out, so nothing here depends on the difference.
 */
export function vaultAttemptFailure(error: unknown): AttemptFailure | null {
  const failure = describeVaultFailure(error);
  if (failure.status !== null) return { kind: 'status', status: failure.status };
  if (failure.code === null) return null;
  return CONNECT_CODES.has(failure.code) ? { kind: 'connect' } : { kind: 'read' };
}
