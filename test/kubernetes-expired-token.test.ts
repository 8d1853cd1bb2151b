import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../model/errors';
import { shiftedToken } from '../backends/kubernetes/expired-token';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

function part(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

const claims = {
  iss: 'https://kubernetes.default.svc.cluster.local',
  sub: 'system:serviceaccount:ns:airflow',
  iat: 1_000_000,
  nbf: 1_000_000,
  exp: 1_003_600,
};
const token = `${part({ alg: 'RS256', kid: 'k1' })}.${part(claims)}.c2ln`;

describe('shiftedToken', () => {
  it('moves exp, iat and nbf back, keeps every other claim and the header, and signs RS256 with the key', () => {
    const shifted = shiftedToken(token, keyPem, 7_200);
    const [header, body, signature] = shifted.split('.') as [string, string, string];
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'RS256', kid: 'k1' });
    expect(JSON.parse(Buffer.from(body, 'base64url').toString())).toEqual({ ...claims, iat: 992_800, nbf: 992_800, exp: 996_400 });
    expect(verify('sha256', Buffer.from(`${header}.${body}`), publicKey, Buffer.from(signature, 'base64url'))).toBe(true);
  });

  it('refuses a token that is not a JWT with a typed error that does not repeat it', () => {
    const call = () => shiftedToken('not-a-jwt-canary-value', keyPem, 60);
    expect(call).toThrow(ConfigurationError);
    expect(call).not.toThrow(/canary/);
  });
});
