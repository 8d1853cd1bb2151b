/**
 * A service-account token that has expired, made as the API server makes tokens: the claims of one
 * TokenRequest issued, its times moved into the past, signed RS256 with the run's service-account
 * key. TokenRequest cannot make it (its shortest lifetime is 10 minutes). So that the expiry is the
 * one thing the API server may refuse, the same claims re-signed with times still valid must list
 * Secrets first (`expiredTwinOf`); a setup where they do not is an error, never a passing case.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { httpsJson } from '../../containers/https-json';
import type { KubeApiServerEndpoint } from '../../containers/kube-apiserver';
import { ConfigurationError } from '../../model/errors';

/** How far past its expiry the token is: far beyond any clock skew the API server allows. */
const EXPIRED_FOR_SECONDS = 3600;
/** The control token's times move back this much too, so it differs from the original yet is valid. */
const CONTROL_SHIFT_SECONDS = 60;

interface TokenClaims {
  exp?: number;
  iat?: number;
  nbf?: number;
  [claim: string]: unknown;
}

function decodePart(part: string, what: string): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new ConfigurationError(`the service-account token's ${what} is not base64url JSON`, {
      what: 'a TokenRequest token',
      where: 'the run setup',
      hint: 'TokenRequest answers a JWT (header.claims.signature)',
    });
  }
}

/** The token with every time claim moved `seconds` into the past, signed again with `keyPem`. */
export function shiftedToken(token: string, keyPem: string, seconds: number): string {
  const [header, claims] = token.split('.');
  if (header === undefined || claims === undefined) {
    throw new ConfigurationError('the service-account token is not a JWT', {
      what: 'a TokenRequest token',
      where: 'the run setup',
      hint: 'TokenRequest answers a JWT (header.claims.signature)',
    });
  }
  const parsedHeader = decodePart(header, 'header');
  const parsed = decodePart(claims, 'claims') as TokenClaims;
  const moved: TokenClaims = { ...parsed };
  for (const name of ['exp', 'iat', 'nbf'] as const) {
    const value = parsed[name];
    if (typeof value === 'number') moved[name] = value - seconds;
  }
  const signed = `${Buffer.from(JSON.stringify(parsedHeader)).toString('base64url')}.${Buffer.from(JSON.stringify(moved)).toString('base64url')}`;
  const signature = sign('sha256', Buffer.from(signed), createPrivateKey(keyPem)).toString('base64url');
  return `${signed}.${signature}`;
}

/** Seconds from the token's issue to its expiry. */
function lifetimeOf(token: string): number {
  const claims = decodePart(token.split('.')[1] ?? '', 'claims') as TokenClaims;
  if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number') {
    throw new ConfigurationError('the service-account token carries no exp or iat', {
      what: 'a TokenRequest token',
      where: 'the run setup',
      hint: 'a bound token always carries both',
    });
  }
  return claims.exp - claims.iat;
}

/**
 * An expired twin of `token`, after proving that the API server accepts the same claims re-signed
 * with valid times (a list of Secrets in `namespace` answers 200).
 */
export async function expiredTwinOf(
  server: Pick<KubeApiServerEndpoint, 'address' | 'caPem' | 'signingKeyFile'>,
  token: string,
  namespace: string,
): Promise<string> {
  const keyPem = readFileSync(server.signingKeyFile, 'utf8');
  const control = shiftedToken(token, keyPem, CONTROL_SHIFT_SECONDS);
  const answer = await httpsJson(`${server.address}/api/v1/namespaces/${namespace}/secrets?limit=1`, {
    ca: server.caPem,
    headers: { authorization: `Bearer ${control}` },
  });
  if (answer.status !== 200) {
    throw new ConfigurationError(`a re-signed service-account token with valid times was refused (HTTP ${answer.status})`, {
      what: 'the expired-token scenario',
      where: server.address,
      hint: 'the harness signs with --service-account-signing-key-file; check the API server started with the run state',
    });
  }
  return shiftedToken(token, keyPem, lifetimeOf(token) + EXPIRED_FOR_SECONDS);
}
