/**
 * Auth methods on a production-mode OpenBao, each against a real identity source started here:
 * userpass; LDAP against slapd (containers/slapd.ts, a per-run directory); AWS IAM against moto
 * with IAM enforced (signed sts:GetCallerIdentity, forwarded by Vault to moto). For each: a login
 * that works and reads a connection, and the refusals (wrong password, unknown user, a principal
 * bound to another role), with the status and text Vault answers, through our TypeScript side and
 * through hvac / Airflow's VaultBackend.
 */
import { IAMClient, CreateAccessKeyCommand, CreateUserCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../backends/errors';
import { awsIamLoginBody, type AwsCredentials } from '../backends/vault-aws-iam-login';
import type { MotoIamEndpoint } from '../containers/contract';
import { MotoServer, type StartedMotoServer } from '../containers/moto';
import { SlapdServer, type StartedSlapdServer } from '../containers/slapd';
import { airflowReaderPolicy, setUpAwsAuth, setUpLdapAuth, setUpUserpass } from '../containers/vault-setup/auth-methods';
import { CaTrustingVaultBackend } from './support/ca-trusting-vault-backend';
import { kvMount, prodDbUri, startProductionVault, type ProductionVault } from './support/production-vault';
import { airflowVenvMissing, runVaultClientProbe, runVaultClientProbes } from './support/vault-client-probe';

interface IamUser {
  readonly arn: string;
  readonly credentials: AwsCredentials;
}

const serverIdHeader = 'vault.conformance.test';
const userpassUser = { username: 'airflow-worker', password: 'userpass-pw-4b7e' };

let production: ProductionVault;
let slapd: StartedSlapdServer;
let moto: StartedMotoServer;
let worker: IamUser;
let otherService: IamUser;

async function createIamUser(endpoint: MotoIamEndpoint, name: string): Promise<IamUser> {
  const iam = new IAMClient({
    endpoint: endpoint.endpoint,
    region: endpoint.region,
    credentials: { accessKeyId: endpoint.accessKeyId, secretAccessKey: endpoint.secretAccessKey },
  });
  const user = await iam.send(new CreateUserCommand({ UserName: name }));
  const key = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  iam.destroy();
  return {
    arn: user.User?.Arn ?? '',
    credentials: { accessKeyId: key.AccessKey?.AccessKeyId ?? '', secretAccessKey: key.AccessKey?.SecretAccessKey ?? '' },
  };
}

beforeAll(async () => {
  const began = performance.now();
  [production, slapd, moto] = await Promise.all([
    startProductionVault('vault-auth'),
    new SlapdServer().withLogDir(process.env.TMPDIR ?? '/tmp', 'slapd-auth').start(),
    new MotoServer()
      .withIamEnforced()
      .withLogDir(process.env.TMPDIR ?? '/tmp', 'moto-iam-auth')
      .start(),
  ]);
  const motoIam = moto.endpoint as MotoIamEndpoint;
  [worker, otherService] = await Promise.all([createIamUser(motoIam, 'airflow-worker'), createIamUser(motoIam, 'other-service')]);
  const { admin } = production;
  await admin.writePolicy('airflow-reader', airflowReaderPolicy(kvMount));
  const setupBegan = performance.now();
  await setUpUserpass(admin, [{ ...userpassUser, policies: ['airflow-reader'] }]);
  const userpassMs = Math.round(performance.now() - setupBegan);
  await setUpLdapAuth(admin, slapd.endpoint, { groupPolicies: { 'airflow-readers': ['airflow-reader'] } });
  const ldapMs = Math.round(performance.now() - setupBegan) - userpassMs;
  const roles = [
    { name: 'airflow', boundIamPrincipalArn: worker.arn, policies: ['airflow-reader'] },
    { name: 'other', boundIamPrincipalArn: otherService.arn, policies: ['default'] },
  ];
  await setUpAwsAuth(admin, motoIam, { roles });
  await setUpAwsAuth(admin, motoIam, { mount: 'aws-hardened', roles, serverIdHeader });
  console.info(
    `[figures] servers and setup ${Math.round(performance.now() - began)} ms: OpenBao ${production.vault.endpoint.startMs} ms,` +
      ` slapd ${slapd.endpoint.startMs} ms (seeding ${slapd.endpoint.seedMs} ms), moto-iam ${moto.endpoint.startMs} ms;` +
      ` userpass setup ${userpassMs} ms, ldap setup (plugin registration included) ${ldapMs} ms`,
  );
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([production?.vault.stop(), slapd?.stop(), moto?.stop()]);
});

function ourBackend(kwargs: Record<string, unknown>): CaTrustingVaultBackend {
  return new CaTrustingVaultBackend({ url: production.vault.getAddress(), ...kwargs }, { ca: production.tls.ca.certificatePem });
}

async function refusalOf(lookup: Promise<unknown>): Promise<unknown> {
  return lookup.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('userpass', () => {
  it('our VaultBackend logs in and reads the connection', async () => {
    const backend = ourBackend({ auth_type: 'userpass', ...userpassUser });
    expect(await backend.getConnValue('prod_db')).toBe(prodDbUri);
  });

  it('wrong password and unknown user: HTTP 400 "invalid username or password", the same text for both', async () => {
    for (const body of [
      { user: userpassUser.username, password: 'wrong' },
      { user: 'nobody', password: 'wrong' },
    ]) {
      const answer = await production.admin.send('POST', `auth/userpass/login/${body.user}`, { password: body.password });
      expect({ status: answer.status, errors: answer.errors }).toEqual({ status: 400, errors: ['invalid username or password'] });
      const failure = await refusalOf(ourBackend({ auth_type: 'userpass', username: body.user, password: body.password }).getConnValue('prod_db'));
      expect(failure).toBeInstanceOf(UnauthorizedError);
      expect((failure as UnauthorizedError).oneLine()).not.toContain(body.password);
    }
  });
});

describe('ldap (slapd)', () => {
  it('alice (group airflow-readers) logs in: the group policy, the LDAP username as metadata', async () => {
    const answer = await production.admin.send('POST', 'auth/ldap/login/alice', { password: slapd.user('alice').password });
    expect(answer.status).toBe(200);
    expect(answer.body.auth).toMatchObject({ policies: ['airflow-reader', 'default'], metadata: { username: 'alice' } });
  });

  it('our VaultBackend reads through LDAP with its userpass code path: same request, auth_mount_point "ldap"', async () => {
    const backend = ourBackend({ auth_type: 'userpass', auth_mount_point: 'ldap', username: 'alice', password: slapd.user('alice').password });
    expect(await backend.getConnValue('prod_db')).toBe(prodDbUri);
  });

  it('bob (another group) logs in but holds only "default": reading is Forbidden, not Unauthorized', async () => {
    const answer = await production.admin.send('POST', 'auth/ldap/login/bob', { password: slapd.user('bob').password });
    expect(answer.body.auth).toMatchObject({ policies: ['default'] });
    const backend = ourBackend({ auth_type: 'userpass', auth_mount_point: 'ldap', username: 'bob', password: slapd.user('bob').password });
    expect((await refusalOf(backend.getConnValue('prod_db'))) as Error).toHaveProperty('kind', 'forbidden');
  });

  it('wrong password and unknown user: HTTP 400 "ldap operation failed: failed to bind as user", the same text for both', async () => {
    for (const body of [
      { user: 'alice', password: 'wrong' },
      { user: 'nobody', password: 'wrong' },
    ]) {
      const answer = await production.admin.send('POST', `auth/ldap/login/${body.user}`, { password: body.password });
      expect({ status: answer.status, errors: answer.errors }).toEqual({ status: 400, errors: ['ldap operation failed: failed to bind as user'] });
    }
  });
});

describe('aws (IAM principal, moto STS)', () => {
  it("a signed GetCallerIdentity of the bound user logs in with the role's policies and the account in metadata", async () => {
    const answer = await production.admin.send('POST', 'auth/aws/login', await awsIamLoginBody({ credentials: worker.credentials, role: 'airflow' }));
    expect(answer.status).toBe(200);
    expect(answer.body.auth).toMatchObject({ policies: ['airflow-reader', 'default'], metadata: { account_id: '123456789012', auth_type: 'iam' } });
    const token = (answer.body.auth as { client_token: string }).client_token;
    expect(await ourBackend({ token }).getConnValue('prod_db')).toBe(prodDbUri);
  });

  it('another principal on this role: HTTP 400 naming the ARN and the role', async () => {
    const answer = await production.admin.send(
      'POST',
      'auth/aws/login',
      await awsIamLoginBody({ credentials: otherService.credentials, role: 'airflow' }),
    );
    expect({ status: answer.status, errors: answer.errors }).toEqual({
      status: 400,
      errors: [`IAM Principal "${otherService.arn}" does not belong to the role "airflow"`],
    });
  });

  it('a wrong secret key and an unknown key id: STS refuses the signature, Vault answers HTTP 400', async () => {
    for (const credentials of [
      { ...worker.credentials, secretAccessKey: 'not-the-secret-key' },
      { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'unknown' },
    ]) {
      const answer = await production.admin.send('POST', 'auth/aws/login', await awsIamLoginBody({ credentials, role: 'airflow' }));
      expect({ status: answer.status, errors: answer.errors }).toEqual({
        status: 400,
        errors: ['error making upstream request: body of GetCallerIdentity is invalid'],
      });
    }
  });

  it('iam_server_id_header_value: without the signed header refused, with it accepted', async () => {
    const without = await production.admin.send(
      'POST',
      'auth/aws-hardened/login',
      await awsIamLoginBody({ credentials: worker.credentials, role: 'airflow' }),
    );
    expect(without.status).toBe(400);
    expect(without.errors.join(' ')).toContain('missing header "X-Vault-AWS-IAM-Server-ID"');
    const withHeader = await production.admin.send(
      'POST',
      'auth/aws-hardened/login',
      await awsIamLoginBody({ credentials: worker.credentials, role: 'airflow', serverIdHeader }),
    );
    expect(withHeader.status).toBe(200);
  });
});

describe.skipIf(airflowVenvMissing())('hvac and Airflow VaultBackend', () => {
  const airflowKwargs = (extra: Record<string, unknown>) => ({
    url: production.vault.getAddress(),
    verify: production.tls.ca.certificateFile,
    mount_point: kvMount,
    ...extra,
  });
  const lookup = { kind: 'connection', key: 'prod_db' };

  it('Airflow VaultBackend: auth_type userpass, ldap and aws_iam each read the connection', async () => {
    const logins = [
      { auth_type: 'userpass', ...userpassUser },
      { auth_type: 'ldap', username: 'alice', password: slapd.user('alice').password },
      {
        auth_type: 'aws_iam',
        key_id: worker.credentials.accessKeyId,
        secret_id: worker.credentials.secretAccessKey,
        role_id: 'airflow',
        region: 'us-east-1',
      },
    ];
    const answers = await runVaultClientProbes(logins.map((login) => ({ client: 'airflow', kwargs: airflowKwargs(login), lookup })));
    logins.forEach((login, index) =>
      expect(answers[index], login.auth_type).toMatchObject({ ok: true, value: { login: 'airflow', host: 'db.internal' } }),
    );
  }, 120_000);

  it("Airflow VaultBackend refusals are hvac.exceptions.InvalidRequest (HTTP 400) carrying Vault's text", async () => {
    const refusals = [
      { login: { auth_type: 'userpass', username: userpassUser.username, password: 'wrong' }, text: 'invalid username or password' },
      { login: { auth_type: 'ldap', username: 'nobody', password: 'wrong' }, text: 'ldap operation failed: failed to bind as user' },
      {
        login: {
          auth_type: 'aws_iam',
          key_id: otherService.credentials.accessKeyId,
          secret_id: otherService.credentials.secretAccessKey,
          role_id: 'airflow',
        },
        text: 'does not belong to the role "airflow"',
      },
    ];
    const answers = await runVaultClientProbes(refusals.map(({ login }) => ({ client: 'airflow', kwargs: airflowKwargs(login), lookup })));
    refusals.forEach(({ login, text }, index) => {
      const answer = answers[index];
      expect(answer, login.auth_type).toMatchObject({ ok: false, error: { type: 'hvac.exceptions.InvalidRequest' } });
      expect(answer?.ok ? '' : answer?.error.message).toContain(text);
    });
  }, 120_000);

  it('finding: Airflow aws_iam cannot send X-Vault-AWS-IAM-Server-ID (no header_value kwarg), hvac itself can', async () => {
    const kwargs = airflowKwargs({
      auth_type: 'aws_iam',
      auth_mount_point: 'aws-hardened',
      key_id: worker.credentials.accessKeyId,
      secret_id: worker.credentials.secretAccessKey,
      role_id: 'airflow',
    });
    const airflow = await runVaultClientProbe({ client: 'airflow', kwargs, lookup });
    expect(airflow).toMatchObject({ ok: false, error: { type: 'hvac.exceptions.InvalidRequest' } });
    expect(airflow.ok ? '' : airflow.error.message).toContain('X-Vault-AWS-IAM-Server-ID');
    const hvac = await runVaultClientProbe({
      client: 'hvac',
      url: production.vault.getAddress(),
      verify: production.tls.ca.certificateFile,
      login: {
        method: 'aws_iam',
        access_key: worker.credentials.accessKeyId,
        secret_key: worker.credentials.secretAccessKey,
        role: 'airflow',
        header_value: serverIdHeader,
        mount_point: 'aws-hardened',
      },
      action: { kind: 'read', path: 'connections/prod_db' },
    });
    expect(hvac).toMatchObject({ ok: true, value: { read: { conn_uri: prodDbUri } } });
  }, 120_000);
});

// Last: it stops the directory.
describe('ldap with its directory down', () => {
  it('a login while slapd is stopped is HTTP 400 too (not 5xx): only the text tells an outage from bad credentials', async () => {
    await slapd.stop();
    const answer = await production.admin.send('POST', 'auth/ldap/login/alice', { password: slapd.user('alice').password });
    expect(answer.status).toBe(400);
    // The plugin's own message is mis-formatted ("{{err}}%!(EXTRA ...)"): Vault 1.14.1's ldaputil.
    expect(answer.errors.join(' ')).toMatch(/error connecting to host "ldap:\/\/127\.0\.0\.1:\d+".*connection refused/s);
    // Our backend reads any 400 at login as Unauthorized: an LDAP outage looks like a wrong password.
    const backend = ourBackend({ auth_type: 'userpass', auth_mount_point: 'ldap', username: 'alice', password: slapd.user('alice').password });
    const failure = await refusalOf(backend.getConnValue('prod_db'));
    expect(failure).toBeInstanceOf(UnauthorizedError);
    expect((failure as UnauthorizedError).message).toContain('error connecting to host');
  });
});
