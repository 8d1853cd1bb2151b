/**
 * VaultBackend: the pure parts (kwargs as the provider validates them, Airflow's path rules, the
 * error a failed request becomes) without a server, then the backend against a real `bao` dev
 * server started here: Airflow's own test values, token files, one authentication per instance,
 * and every way of failing mapped to the right error without a credential in its message.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import NodeVault from 'node-vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, ForbiddenError, SecretsError, ThrottledError, TimeoutError, UnauthorizedError, UnavailableError } from '../model/errors';
import { VaultBackend } from '../backends/vault/vault-backend';
import { classifyVaultFailure, describeVaultFailure, type VaultRequestPhase } from '../backends/vault/vault-failures';
import { readVaultKwargs } from '../backends/vault/vault-kwargs';
import { kvReadPath, locateSecret } from '../backends/vault/vault-paths';
import { startServers, type StartedServers } from '../containers/servers';
import { endpointOf } from '../containers/contract';
import { vaultServer } from '../containers/vault';
import { expectNoSecretIn } from '../suites/expect-secret';
import { startCountingProxy } from '../containers/request-log-proxy';

const NO_ENV = {};

function refusal(run: () => unknown): SecretsError {
  try {
    run();
  } catch (error) {
    if (error instanceof SecretsError) return error;
    throw error;
  }
  throw new Error('expected the kwargs to be refused');
}

describe('kwargs, as the provider reads them at construction', () => {
  it('defaults: mount "secret", KV v2, token auth, the three paths, hvac\'s url, 10 s timeout', () => {
    const settings = readVaultKwargs({ token: 't' }, NO_ENV);
    expect(settings).toMatchObject({
      url: 'http://localhost:8200',
      mountPoint: 'secret',
      kvEngineVersion: 2,
      paths: { connections: ['connections'], variables: ['variables'], config: ['config'] },
      auth: { type: 'token', token: 't', tokenPath: null },
      timeoutMs: 10_000,
      namespace: null,
    });
  });

  it('url and token fall back to VAULT_ADDR and VAULT_TOKEN', () => {
    const settings = readVaultKwargs({}, { VAULT_ADDR: 'http://vault.example:8200', VAULT_TOKEN: 'from-env' });
    expect(settings.url).toBe('http://vault.example:8200');
    expect(settings.auth).toEqual({ type: 'token', token: 'from-env', tokenPath: null });
  });

  it.each([
    [{ kv_engine_version: 3, token: 't' }, 'The version is not supported: 3. It should be one of [1, 2]'],
    [{ kv_engine_version: '2', token: 't' }, 'The version is not supported: 2. It should be one of [1, 2]'],
    [
      { auth_type: 'oidc', token: 't' },
      "The auth_type is not supported: oidc. It should be one of ['approle', 'aws_iam', 'azure', 'github', 'gcp', 'jwt', 'kubernetes', 'ldap', 'radius', 'token', 'userpass']",
    ],
    [{}, "The 'token' authentication type requires 'token' or 'token_path'"],
    [{ auth_type: 'approle', secret_id: 's' }, "The 'approle' authentication type requires 'role_id'"],
  ])("refuses %j with Airflow's message", (kwargs, message) => {
    const error = refusal(() => readVaultKwargs(kwargs, NO_ENV));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toBe(message);
  });

  it('an Airflow auth type this reference does not implement is refused as such', () => {
    const error = refusal(() => readVaultKwargs({ auth_type: 'gcp' }, NO_ENV));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(/implements token, approle, userpass, ldap, aws_iam, kubernetes only/);
  });

  it("kubernetes needs kubernetes_role, and reads the pod's token file unless kubernetes_jwt_path says otherwise", () => {
    expect(refusal(() => readVaultKwargs({ auth_type: 'kubernetes' }, NO_ENV)).message).toMatch(/requires 'kubernetes_role'/);
    expect(readVaultKwargs({ auth_type: 'kubernetes', kubernetes_role: 'r' }, NO_ENV).auth).toEqual({
      type: 'kubernetes',
      mountPoint: 'kubernetes',
      role: 'r',
      jwtPath: '/var/run/secrets/kubernetes.io/serviceaccount/token',
    });
  });

  it('VAULT_TOKEN set, even empty, satisfies the token check (the login then finds no token)', () => {
    expect(readVaultKwargs({}, { VAULT_TOKEN: '' }).auth).toEqual({ type: 'token', token: null, tokenPath: null });
  });

  it('userpass needs nothing at construction, like the provider', () => {
    expect(readVaultKwargs({ auth_type: 'userpass' }, NO_ENV).auth).toEqual({
      type: 'userpass',
      mountPoint: 'userpass',
      username: null,
      password: null,
    });
  });

  it('a falsy kv_engine_version is the default 2, True is 1', () => {
    expect(readVaultKwargs({ token: 't', kv_engine_version: null }, NO_ENV).kvEngineVersion).toBe(2);
    expect(readVaultKwargs({ token: 't', kv_engine_version: 0 }, NO_ENV).kvEngineVersion).toBe(2);
    expect(readVaultKwargs({ token: 't', kv_engine_version: true }, NO_ENV).kvEngineVersion).toBe(1);
  });

  it('paths: rstrip("/"), a list kept in order, None disables, "" stays', () => {
    const settings = readVaultKwargs({ token: 't', connections_path: 'conns//', variables_path: ['a/', 'b'], config_path: null }, NO_ENV);
    expect(settings.paths).toEqual({ connections: ['conns'], variables: ['a', 'b'], config: null });
    expect(readVaultKwargs({ token: 't', connections_path: '' }, NO_ENV).paths.connections).toEqual(['']);
  });

  it('global_secrets_path is appended to every path, re-enabling a disabled one', () => {
    const settings = readVaultKwargs({ token: 't', global_secrets_path: 'shared/', config_path: null }, NO_ENV);
    expect(settings.paths).toEqual({ connections: ['connections', 'shared'], variables: ['variables', 'shared'], config: ['shared'] });
  });

  it('approle and userpass mount at their method names unless auth_mount_point says otherwise', () => {
    expect(readVaultKwargs({ auth_type: 'approle', role_id: 'r' }, NO_ENV).auth).toMatchObject({ mountPoint: 'approle', secretId: null });
    expect(readVaultKwargs({ auth_type: 'userpass', auth_mount_point: 'people' }, NO_ENV).auth).toMatchObject({ mountPoint: 'people' });
  });

  it('timeout is in seconds, as hvac.Client takes it', () => {
    expect(readVaultKwargs({ token: 't', timeout: 0.25 }, NO_ENV).timeoutMs).toBe(250);
    expect(refusal(() => readVaultKwargs({ token: 't', timeout: -1 }, NO_ENV))).toBeInstanceOf(ConfigurationError);
  });

  it('an unknown kwarg is refused, a mistyped one too, without echoing values', () => {
    expect(refusal(() => readVaultKwargs({ token: 't', tokn: 'x' }, NO_ENV)).message).toMatch(/unexpected keyword argument "tokn"/);
    const typed = refusal(() => readVaultKwargs({ token: 12345 }, NO_ENV));
    expect(typed).toBeInstanceOf(ConfigurationError);
    expect(typed.message).not.toContain('12345');
  });
});

describe('paths, as _get_secret_with_base and the client split them', () => {
  it.each([
    // The examples of the provider's tests (spec §7.1).
    ['airflow', 'variables', 'hello', { mount: 'airflow', path: 'variables/hello' }],
    ['airflow', '', 'path/to/variables/hello', { mount: 'airflow', path: 'path/to/variables/hello' }],
    [null, 'variables', 'airflow/hello', { mount: 'airflow', path: 'variables/hello' }],
    [null, 'connections', 'airflow/nested/id', { mount: 'airflow', path: 'connections/nested/id' }],
    [null, '', 'airflow/hello', { mount: 'airflow', path: 'hello' }],
    ['', 'variables', 'airflow/hello', { mount: 'airflow', path: 'variables/hello' }],
    // An empty first segment: the client splits the base path off instead.
    [null, 'connections', '/x', { mount: 'connections', path: 'x' }],
  ])('mount %j, path %j, id %j', (mount, base, key, expected) => {
    expect(locateSecret(mount, base, key)).toEqual(expected);
  });

  it('mount_point None and an id without "/" is answered without a location', () => {
    expect(locateSecret(null, 'connections', 'my_db')).toBeNull();
    expect(locateSecret('', 'variables', 'hello')).toBeNull();
  });

  it('KV v2 reads <mount>/data/<path>, v1 <mount>/<path>, quoted like hvac', () => {
    const location = { mount: 'kv', path: 'connections/a b?#%/ü' };
    expect(kvReadPath(2, location)).toBe('kv/data/connections/a%20b%3F%23%25/%C3%BC');
    expect(kvReadPath(1, location)).toBe('kv/connections/a%20b%3F%23%25/%C3%BC');
  });
});

describe('failures, classified by status and phase', () => {
  const where = 'http://127.0.0.1:8200/v1/kv/data/x';
  const classify = (status: number | null, phase: VaultRequestPhase, code: string | null = null) =>
    classifyVaultFailure({ status, code, detail: null }, { phase, what: 'variable "x"', where });

  it.each([
    [403, 'read', ForbiddenError],
    [401, 'read', UnauthorizedError],
    [400, 'read', ConfigurationError],
    [403, 'token-check', UnauthorizedError],
    [400, 'token-check', UnauthorizedError],
    [404, 'token-check', UnauthorizedError],
    [400, 'login', UnauthorizedError],
    [403, 'login', UnauthorizedError],
    [404, 'login', ConfigurationError],
    [429, 'read', ThrottledError],
    [500, 'read', UnavailableError],
    [503, 'login', UnavailableError],
    [412, 'read', UnavailableError],
    [302, 'read', UnavailableError],
  ] as const)('HTTP %i while %s is %o', (status, phase, errorClass) => {
    expect(classify(status, phase)).toBeInstanceOf(errorClass);
  });

  it.each([
    ['ECONNREFUSED', UnavailableError],
    ['ECONNRESET', UnavailableError],
    ['ENOTFOUND', UnavailableError],
    ['ECONNABORTED', TimeoutError],
    ['ETIMEDOUT', TimeoutError],
  ] as const)('socket error %s is %o', (code, errorClass) => {
    expect(classify(null, 'read', code)).toBeInstanceOf(errorClass);
  });

  it("reads node-vault errors: the status and Vault's message, or the socket code", () => {
    expect(describeVaultFailure({ message: 'permission denied', response: { statusCode: 403, body: {} } })).toEqual({
      status: 403,
      code: null,
      detail: 'permission denied',
    });
    expect(describeVaultFailure({ message: 'Status 404', response: { statusCode: 404 } }).detail).toBeNull();
    expect(describeVaultFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toEqual({
      status: null,
      code: 'ECONNREFUSED',
      detail: null,
    });
  });

  it("blanks credentials out of Vault's own message and names where", () => {
    const error = classifyVaultFailure(
      { status: 400, code: null, detail: 'invalid secret id sid-0123' },
      { phase: 'login', what: 'the approle login', where, hidden: ['sid-0123'] },
    );
    expect(error.message).not.toContain('sid-0123');
    expect(error.oneLine()).toContain(where);
  });
});

// ---------------------------------------------------------------------------------------------
// Against a real Vault (OpenBao dev server).

let servers: StartedServers | undefined;
let address = '';
let rootToken = '';
let admin: ReturnType<typeof NodeVault>;
const scratch = mkdtempSync(join(tmpdir(), 'vault-backend-test-'));
const secret = (hint: string) => `${hint}${randomBytes(8).toString('hex')}`;

beforeAll(async () => {
  servers = await startServers([vaultServer], { provisioning: 'native', logDir: join(scratch, 'logs') });
  const vault = endpointOf(servers.endpoints, vaultServer);
  if (!vault) throw new Error(`Vault did not start: ${servers.unavailable.vault ?? 'no reason given'}`);
  address = vault.address;
  rootToken = vault.rootToken;
  admin = NodeVault({ endpoint: address, token: rootToken });
  await admin.write('sys/mounts/kv1', { type: 'kv', options: { version: '1' } });
  await admin.write('sys/policies/acl/reader', { policy: 'path "secret/data/*" { capabilities = ["read"] }' });
  await admin.write('sys/policies/acl/elsewhere', { policy: 'path "secret/data/elsewhere/*" { capabilities = ["read"] }' });
}, 60_000);

afterAll(async () => {
  await servers?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function tokenWith(policy: string): Promise<string> {
  const answer = (await admin.write('auth/token/create', { policies: [policy], ttl: '10m' })) as { auth: { client_token: string } };
  return answer.auth.client_token;
}

async function rejection(lookup: Promise<unknown>): Promise<unknown> {
  return lookup.then(
    () => new Error('expected the lookup to fail'),
    (error: unknown) => error,
  );
}

describe('against a real Vault', () => {
  it("reads a fields secret the way Airflow's test does", async () => {
    await admin.write('secret/data/connections/test_postgres', {
      data: {
        conn_type: 'postgresql',
        login: 'airflow',
        password: 'airflow',
        host: 'host',
        port: '5432',
        schema: 'airflow',
        extra: '{"foo":"bar","baz":"taz"}',
      },
    });
    const connection = await new VaultBackend({ url: address, token: rootToken }).getConnection('test_postgres');
    expect(connection?.getUri()).toBe('postgres://airflow:airflow@host:5432/airflow?foo=bar&baz=taz');
  });

  it('reads KV v1 at <mount>/<path>, and a list of paths in order', async () => {
    const value = secret('v');
    await admin.write('kv1/team/variables/hello', { value });
    const backend = new VaultBackend({
      url: address,
      token: rootToken,
      mount_point: 'kv1',
      kv_engine_version: 1,
      variables_path: ['variables', 'team/variables'],
    });
    expect(await backend.getVariable('hello')).toBe(value);
  });

  it('reads the token from token_path, stripped of whitespace', async () => {
    const value = secret('v');
    await admin.write('secret/data/variables/from_file', { data: { value } });
    const tokenFile = join(scratch, 'token');
    writeFileSync(tokenFile, `  ${await tokenWith('reader')}\n\n`);
    expect(await new VaultBackend({ url: address, token_path: tokenFile }).getVariable('from_file')).toBe(value);
  });

  it('authenticates once per instance, lazily', async () => {
    await admin.write('secret/data/variables/counted', { data: { value: secret('v') } });
    const proxy = await startCountingProxy(address);
    try {
      const backend = new VaultBackend({ url: proxy.url, token: await tokenWith('reader') });
      expect(proxy.requests).toBe(0);
      for (let i = 0; i < 3; i += 1) await backend.getVariable('counted');
      // One lookup-self, then one read per lookup.
      expect(proxy.requests).toBe(4);
    } finally {
      await proxy.close();
    }
  });

  it('a token Vault does not know is Unauthorized; a policy without read is Forbidden', async () => {
    await admin.write('secret/data/variables/guarded', { data: { value: secret('v') } });
    const unknown = secret('s.nosuch');
    const denied = await tokenWith('elsewhere');
    const wrong = await rejection(new VaultBackend({ url: address, token: unknown }).getVariable('guarded'));
    expect(wrong).toBeInstanceOf(UnauthorizedError);
    expectNoSecretIn(wrong, [unknown], 'unknown token');
    const forbidden = await rejection(new VaultBackend({ url: address, token: denied }).getVariable('guarded'));
    expect(forbidden).toBeInstanceOf(ForbiddenError);
    expectNoSecretIn(forbidden, [denied], 'denied token');
  });

  it('a token revoked after login is Unauthorized, not Forbidden', async () => {
    await admin.write('secret/data/variables/revoked', { data: { value: secret('v') } });
    const token = await tokenWith('reader');
    const backend = new VaultBackend({ url: address, token });
    expect(await backend.getVariable('revoked')).not.toBeNull();
    await admin.write('auth/token/revoke', { token });
    const error = await rejection(backend.getVariable('revoked'));
    expect(error).toBeInstanceOf(UnauthorizedError);
    expectNoSecretIn(error, [token], 'revoked token');
  });

  it('userpass: a right password reads, a wrong one is Unauthorized, a missing username is a setup error', async () => {
    await admin.write('sys/auth/userpass', { type: 'userpass' });
    const password = secret('pw');
    await admin.write('auth/userpass/users/reader', { password, token_policies: 'reader' });
    const value = secret('v');
    await admin.write('secret/data/variables/by_user', { data: { value } });
    expect(await new VaultBackend({ url: address, auth_type: 'userpass', username: 'reader', password }).getVariable('by_user')).toBe(value);
    const wrongPassword = secret('bad');
    const wrong = await rejection(
      new VaultBackend({ url: address, auth_type: 'userpass', username: 'reader', password: wrongPassword }).getVariable('by_user'),
    );
    expect(wrong).toBeInstanceOf(UnauthorizedError);
    expectNoSecretIn(wrong, [wrongPassword, password], 'userpass login');
    expect(await rejection(new VaultBackend({ url: address, auth_type: 'userpass' }).getVariable('by_user'))).toBeInstanceOf(ConfigurationError);
  });

  it('approle without a secret-id, or at a mount with no auth method, is Unauthorized', async () => {
    await admin.write('sys/auth/approle', { type: 'approle' });
    await admin.write('auth/approle/role/reader', { token_policies: ['reader'] });
    const { data } = (await admin.read('auth/approle/role/reader/role-id')) as { data: { role_id: string } };
    const noSecret = await rejection(new VaultBackend({ url: address, auth_type: 'approle', role_id: data.role_id }).getVariable('x'));
    expect(noSecret).toBeInstanceOf(UnauthorizedError);
    // Vault answers an unauthenticated request for a path it does not route with 403, not 404.
    const noMount = new VaultBackend({ url: address, auth_type: 'approle', role_id: data.role_id, secret_id: 's', auth_mount_point: 'nothing-here' });
    expect(await rejection(noMount.getVariable('x'))).toBeInstanceOf(UnauthorizedError);
  });
});

// ---------------------------------------------------------------------------------------------
// Servers that misbehave, on 127.0.0.1.

describe('a server that does not answer as Vault does', () => {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const close of closers) await close();
  });

  async function listen(server: HttpServer | TcpServer, sockets: Set<Socket> = new Set()): Promise<string> {
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    );
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('a refused connection is Unavailable', async () => {
    const closed = createTcpServer();
    const url = await listen(closed);
    await closers.pop()?.();
    const error = await rejection(new VaultBackend({ url, token: secret('t') }).getVariable('x'));
    expect(error).toBeInstanceOf(UnavailableError);
  });

  it('a server that accepts and never answers is a Timeout, bounded by the timeout kwarg', async () => {
    const url = await listen(createTcpServer(() => {}));
    const error = await rejection(new VaultBackend({ url, token: secret('t'), timeout: 0.2 }).getVariable('x'));
    expect(error).toBeInstanceOf(TimeoutError);
  });

  it.each([
    [503, UnavailableError],
    [429, ThrottledError],
  ] as const)('HTTP %i is %o', async (status, errorClass) => {
    const url = await listen(
      createHttpServer((_request, response) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end('{"errors":["busy"]}');
      }),
    );
    const token = secret('t');
    const error = await rejection(new VaultBackend({ url, token }).getVariable('x'));
    expect(error).toBeInstanceOf(errorClass);
    expectNoSecretIn(error, [token], `HTTP ${status}`);
  });
});
