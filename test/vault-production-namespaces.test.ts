/**
 * Namespaces on a production-mode OpenBao 2.7.2 (no licence needed): `bao namespace create` works;
 * a connection stored in the child namespace `team-a` is read with the namespace set (header
 * X-Vault-Namespace) and is not found at the same path in the root namespace; a token of team-a
 * is refused (403) in the root namespace and in team-b. Through our VaultBackend (`namespace`
 * kwarg, node-vault's header), hvac (`namespace=`) and Airflow's VaultBackend (`namespace` kwarg).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForbiddenError, UnauthorizedError } from '../backends/errors';
import { nativeVaultExecutable } from '../containers/vault';
import { airflowReaderPolicy, setUpUserpass } from '../containers/vault-setup/auth-methods';
import { mountKvV2, writeKvV2 } from '../containers/vault-setup/kv';
import { createNamespace } from '../containers/vault-setup/namespaces';
import type { VaultAdmin } from '../containers/vault-setup/admin-client';
import { CaTrustingVaultBackend } from './support/ca-trusting-vault-backend';
import { kvMount, startProductionVault, type ProductionVault } from './support/production-vault';
import { airflowVenvMissing, runVaultClientProbes } from './support/vault-client-probe';

const teamUser = { username: 'team-a-worker', password: 'team-a-pw-51d0' };
const teamDbUri = 'postgresql://team:team-pw@team-a.internal:5432/warehouse';

let production: ProductionVault;
let teamA: VaultAdmin;
let teamAToken: string;

beforeAll(async () => {
  production = await startProductionVault('vault-namespaces');
  const began = performance.now();
  teamA = await createNamespace(production.admin, 'team-a');
  await mountKvV2(teamA, kvMount);
  await writeKvV2(teamA, kvMount, 'connections/team_db', { conn_uri: teamDbUri });
  await teamA.writePolicy('airflow-reader', airflowReaderPolicy(kvMount));
  await setUpUserpass(teamA, [{ ...teamUser, policies: ['airflow-reader'] }]);
  const teamB = await createNamespace(production.admin, 'team-b');
  await mountKvV2(teamB, kvMount);
  console.info(`[figures] two namespaces with KV, policy and userpass set up in ${Math.round(performance.now() - began)} ms`);
  const login = await teamA.write(`auth/userpass/login/${teamUser.username}`, { password: teamUser.password });
  teamAToken = (login.auth as { client_token: string }).client_token;
}, 120_000);

afterAll(async () => {
  await production?.vault.stop();
});

function ourBackend(kwargs: Record<string, unknown>): CaTrustingVaultBackend {
  return new CaTrustingVaultBackend({ url: production.vault.getAddress(), ...kwargs }, { ca: production.tls.ca.certificatePem });
}

async function failureOf(lookup: Promise<unknown>): Promise<unknown> {
  return lookup.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('the server', () => {
  it('bao namespace create / list work against the production-mode server (OpenBao 2.7.2, no licence)', async () => {
    const env = {
      ...process.env,
      BAO_ADDR: production.vault.getAddress(),
      BAO_CACERT: production.tls.ca.certificateFile,
      BAO_TOKEN: production.vault.getRootToken(),
    };
    await promisify(execFile)(nativeVaultExecutable, ['namespace', 'create', 'made-by-cli'], { env });
    const { stdout } = await promisify(execFile)(nativeVaultExecutable, ['namespace', 'list', '-format=json'], { env });
    expect(JSON.parse(stdout)).toEqual(expect.arrayContaining(['made-by-cli/', 'team-a/', 'team-b/']));
  });

  it('the same path: 200 in team-a (header or path prefix), 404 in the root namespace', async () => {
    expect((await teamA.send('GET', `${kvMount}/data/connections/team_db`)).status).toBe(200);
    expect((await production.admin.send('GET', `team-a/${kvMount}/data/connections/team_db`)).status).toBe(200);
    expect((await production.admin.send('GET', `${kvMount}/data/connections/team_db`)).status).toBe(404);
  });

  it('a team-a token: 403 "permission denied" in root and in team-b, although lookup-self answers in root', async () => {
    const inRoot = await production.admin.withToken(teamAToken).send('GET', `${kvMount}/data/connections/prod_db`);
    expect({ status: inRoot.status, errors: inRoot.errors }).toEqual({ status: 403, errors: ['1 error occurred:\n\t* permission denied\n\n'] });
    const inTeamB = await production.admin.inNamespace('team-b').withToken(teamAToken).send('GET', `${kvMount}/data/connections/prod_db`);
    expect(inTeamB.status).toBe(403);
    expect((await production.admin.withToken(teamAToken).send('GET', 'auth/token/lookup-self')).status).toBe(200);
  });
});

describe('our VaultBackend (namespace kwarg)', () => {
  it('namespace "team-a" with team-a userpass reads the connection', async () => {
    const backend = ourBackend({ namespace: 'team-a', auth_type: 'userpass', ...teamUser });
    expect(await backend.getConnValue('team_db')).toBe(teamDbUri);
  });

  it('no namespace: the connection is not found (null) with a root token; the team-a login is refused', async () => {
    expect(await ourBackend({ token: production.vault.getRootToken() }).getConnValue('team_db')).toBeNull();
    // A login sent without a token to a mount the namespace does not have is 403 "permission
    // denied" (with a token it would be 404 "no handler for route"): the namespace left out looks
    // exactly like a wrong password.
    const unauthenticated = await production.admin
      .withToken('')
      .send('POST', `auth/userpass/login/${teamUser.username}`, { password: teamUser.password });
    expect({ status: unauthenticated.status, errors: unauthenticated.errors }).toEqual({ status: 403, errors: ['permission denied'] });
    const failure = await failureOf(ourBackend({ auth_type: 'userpass', ...teamUser }).getConnValue('team_db'));
    expect(failure).toBeInstanceOf(UnauthorizedError);
    expect((failure as UnauthorizedError).message).toContain('HTTP 403: permission denied');
  });

  it('a team-a token in the root namespace and in team-b: ForbiddenError (the token is valid, the policy is not there)', async () => {
    for (const namespace of [undefined, 'team-b']) {
      const failure = await failureOf(ourBackend({ token: teamAToken, ...(namespace ? { namespace } : {}) }).getConnValue('prod_db'));
      expect(failure, namespace ?? 'root').toBeInstanceOf(ForbiddenError);
    }
  });
});

describe.skipIf(airflowVenvMissing())('hvac and Airflow VaultBackend (namespace kwarg)', () => {
  it('namespace reaches hvac.Client: found in team-a, None without it, "Vault Authentication Error!" for the missing namespace and in team-b', async () => {
    const common = { url: production.vault.getAddress(), verify: production.tls.ca.certificateFile, mount_point: kvMount };
    const lookup = { kind: 'connection', key: 'team_db' };
    const [withNamespace, rootToken, withoutNamespace, tokenInTeamB] = await runVaultClientProbes([
      { client: 'airflow', kwargs: { ...common, namespace: 'team-a', auth_type: 'userpass', ...teamUser }, lookup },
      { client: 'airflow', kwargs: { ...common, token: production.vault.getRootToken() }, lookup },
      { client: 'airflow', kwargs: { ...common, auth_type: 'userpass', ...teamUser }, lookup },
      { client: 'airflow', kwargs: { ...common, namespace: 'team-b', token: teamAToken }, lookup },
    ]);
    expect(withNamespace).toMatchObject({ ok: true, value: { host: 'team-a.internal', login: 'team' } });
    expect(rootToken).toEqual({ ok: true, value: null });
    // The provider answers every 403 with a fresh login, then VaultError("Vault Authentication
    // Error!"): a missing namespace and a token of another namespace read as bad credentials.
    for (const refused of [withoutNamespace, tokenInTeamB]) {
      expect(refused).toMatchObject({
        ok: false,
        error: { type: 'hvac.exceptions.VaultError', message: 'Vault Authentication Error!, on None None', root_type: 'hvac.exceptions.Forbidden' },
      });
    }
  }, 120_000);
});
