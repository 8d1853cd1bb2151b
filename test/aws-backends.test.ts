/**
 * The AWS reference backends: their pure logic (names, lookup patterns, JSON re-keying, kwargs,
 * failure classes) without a server, the same logic against the installed amazon provider
 * 9.39.0 (differential, when the Airflow venv is there), and what only a real moto shows: request
 * counts, moto-iam's XML refusals, a dead or closed port, and a session leaving nothing behind.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import {
  AwsRawErrorResponse,
  classifyAwsFailure,
  compilePythonMatch,
  pythonReMatch,
  pythonRstrip,
  readClientSettings,
  requestsSentBy,
  sdkClientConfig,
  type LookupContext,
} from '../backends/aws/aws-client';
import { SECRETS_MANAGER_NOT_FOUND_CODES, SecretsManagerBackend, standardizeSecretKeys } from '../backends/aws/secrets-manager-backend';
import { PARAMETER_STORE_NOT_FOUND_CODES, SystemsManagerParameterStoreBackend } from '../backends/aws/parameter-store-backend';
import { pyJsonDumps } from '../model/connection/python-json-dumps';
import { pyJsonLoads } from '../model/connection/python-json-loads';
import type { PyDict } from '../model/connection/python-values';
import {
  ConfigurationError,
  ConnectionFormatError,
  ForbiddenError,
  InvalidNameError,
  ThrottledError,
  TimeoutError,
  UnauthorizedError,
  UnavailableError,
} from '../model/errors';
import { endpointOf } from '../containers/contract';
import { motoIamServer, motoServer, nativeMotoExecutable } from '../containers/moto';
import { startServers, type StartedServers } from '../containers/servers';
import { awsParameterStoreTarget, awsSecretsManagerTarget } from '../backends/aws/targets';
import { runRoot } from '../backends/aws/stores';
import type { TargetEnvironment } from '../suites/target';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const airflowPython = process.env.ASC_AIRFLOW_PYTHON ?? resolve(repoRoot, '.cache/airflow-venv/bin/python');

function rekey(secret: string, words: Record<string, unknown> = {}): string {
  return pyJsonDumps(standardizeSecretKeys(pyJsonLoads(secret) as PyDict, words));
}

describe('Python semantics', () => {
  it('rstrip takes a set of characters, not a suffix', () => {
    expect(pythonRstrip('airflow/connections//', '/')).toBe('airflow/connections');
    expect(pythonRstrip('team=+=', '+=')).toBe('team');
    expect(pythonRstrip('a--b--', '--')).toBe('a--b');
    expect(pythonRstrip('keep', '')).toBe('keep');
    expect(pythonRstrip('///', '/')).toBe('');
    expect(pythonRstrip('x🔑🔑', '🔑')).toBe('x');
  });

  it('re.match with IGNORECASE: anchored at the start only, in any case', () => {
    const match = (pattern: string, text: string) => pythonReMatch(compilePythonMatch(pattern), text);
    expect(match('T.*', 'test')).toBe(true);
    expect(match('test', 'test_more')).toBe(true);
    expect(match('est', 'test')).toBe(false);
    expect(match('ASC_[0-9a-f]+_', 'asc_1f_x')).toBe(true);
    expect(match('(?P<team>[a-z]+)_(?P=team)', 'ab_AB')).toBe(true);
    expect(match('\\Aprod\\Z', 'prod')).toBe(true);
    expect(match('\\Aprod\\Z', 'prod\n')).toBe(false);
    // The same compiled pattern, twice: the sticky index must not carry over.
    const compiled = compilePythonMatch('a');
    expect([pythonReMatch(compiled, 'ab'), pythonReMatch(compiled, 'ab')]).toEqual([true, true]);
  });
});

describe('SecretsManagerBackend naming', () => {
  it('defaults to airflow/<kind>/<id>', () => {
    const backend = new SecretsManagerBackend();
    expect(backend.nameFor('connection', 'my_db')).toBe('airflow/connections/my_db');
    expect(backend.nameFor('variable', 'k')).toBe('airflow/variables/k');
    expect(backend.nameFor('config', 'sql_alchemy_conn')).toBe('airflow/config/sql_alchemy_conn');
  });

  it('strips the prefix of its trailing sep characters, joins with sep, and reads "" as no prefix', () => {
    expect(new SecretsManagerBackend({ connections_prefix: 'p//' }).nameFor('connection', 'x')).toBe('p/x');
    expect(new SecretsManagerBackend({ variables_prefix: 'team=+=', sep: '+=' }).nameFor('variable', 'x')).toBe('team+=x');
    expect(new SecretsManagerBackend({ variables_prefix: '' }).nameFor('variable', 'a/b')).toBe('a/b');
    expect(new SecretsManagerBackend({ variables_prefix: '/' }).nameFor('variable', 'x')).toBe('x');
    expect(new SecretsManagerBackend({ config_prefix: null }).nameFor('config', 'x')).toBeNull();
  });

  it('skips ids the lookup pattern does not match at their start', () => {
    const backend = new SecretsManagerBackend({ connections_lookup_pattern: 'PROD_', variables_lookup_pattern: '' });
    expect(backend.nameFor('connection', 'prod_db')).toBe('airflow/connections/prod_db');
    expect(backend.nameFor('connection', 'my_prod_db')).toBeNull();
    expect(backend.nameFor('variable', 'anything')).toBe('airflow/variables/anything');
  });

  it('refuses kwargs of the wrong type and credentials it does not model, in one line without values', () => {
    expect(() => new SecretsManagerBackend({ connections_prefix: 5 })).toThrow(ConfigurationError);
    expect(() => new SecretsManagerBackend({ sep: null })).toThrow(ConfigurationError);
    expect(() => new SecretsManagerBackend({ extra_conn_words: ['user'] })).toThrow(ConfigurationError);
    const error = (() => {
      try {
        new SecretsManagerBackend({ role_arn: 'arn:aws:iam::1:role/secret-role-name' });
      } catch (caught) {
        return caught as ConfigurationError;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error?.oneLine()).toMatch(/^ConfigurationError: role_arn is not supported/);
    expect(error?.oneLine()).not.toContain('secret-role-name');
  });
});

describe('SystemsManagerParameterStoreBackend naming', () => {
  it('forces a leading slash and strips trailing ones', () => {
    expect(new SystemsManagerParameterStoreBackend().nameFor('connection', 'my_db')).toBe('/airflow/connections/my_db');
    expect(new SystemsManagerParameterStoreBackend({ variables_prefix: 'no/slash/' }).nameFor('variable', 'k')).toBe('/no/slash/k');
    expect(new SystemsManagerParameterStoreBackend({ variables_prefix: '' }).nameFor('variable', 'k')).toBe('/k');
    expect(new SystemsManagerParameterStoreBackend({ variables_prefix: '//' }).nameFor('variable', 'k')).toBe('/k');
    expect(new SystemsManagerParameterStoreBackend({ variables_prefix: null }).nameFor('variable', 'k')).toBeNull();
    expect(new SystemsManagerParameterStoreBackend({ config_lookup_pattern: 'core' }).nameFor('config', 'x_core')).toBeNull();
  });
});

describe('Secrets Manager JSON re-keying', () => {
  it('maps aliases to the seven fields, in field order, first key in the secret winning', () => {
    expect(
      rekey(
        '{"user": "a", "login": "b", "key": "k", "engine": "postgresql", "database": "d", "port": "5432", "extra": {"x": 1}, "description": "dd"}',
      ),
    ).toBe('{"login": "a", "password": "k", "host": null, "port": "5432", "schema": "d", "conn_type": "postgresql", "extra": {"x": 1}}');
    expect(rekey('{"conn_type": "http"}')).toBe(
      '{"login": null, "password": null, "host": null, "port": null, "schema": null, "conn_type": "http", "extra": null}',
    );
  });

  it('extends the aliases with extra_conn_words, "user" meaning login, a string by its characters', () => {
    expect(rekey('{"usr": "u", "pw": "p", "conn_id": "mysql"}', { user: ['usr'], password: ['pw'] })).toBe(
      '{"login": "u", "password": "p", "host": null, "port": null, "schema": null, "conn_type": "mysql", "extra": null}',
    );
    expect(rekey('{"h": "x"}', { host: 'hq' })).toContain('"host": "x"');
    expect(() => rekey('{}', { bogus: ['x'] })).toThrow(ConfigurationError);
    expect(() => rekey('{}', { host: 5 })).toThrow(ConfigurationError);
  });

  it('turns a "{" secret that is not JSON into a ConnectionFormatError naming the connection, not the value', async () => {
    const backend = new SecretsManagerBackend();
    const stored = '{"password": "hunter2-secret", ';
    // A stand-in for the service: the read path is what is under test here.
    (backend as unknown as { read: () => Promise<{ SecretString: string }> }).read = async () => ({ SecretString: stored });
    const error = await backend.getConnValue('my_db').then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConnectionFormatError);
    expect((error as ConnectionFormatError).oneLine()).toContain('connection "my_db"');
    expect((error as ConnectionFormatError).oneLine()).not.toContain('hunter2');
  });
});

describe('client settings', () => {
  it('uses static keys only when both halves are given, and bounds every call', () => {
    const both = sdkClientConfig(
      readClientSettings({ aws_access_key_id: 'AK', aws_secret_access_key: 'SK', aws_session_token: 'T', region_name: 'eu-west-1' }, 'X'),
    );
    expect(both.credentials).toEqual({ accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'T' });
    expect(both.region).toBe('eu-west-1');
    expect(sdkClientConfig(readClientSettings({ aws_access_key_id: 'AK' }, 'X')).credentials).toBeUndefined();
    const bounded = sdkClientConfig(readClientSettings({ config_kwargs: { connect_timeout: 0.25, read_timeout: 2 }, use_ssl: false }, 'X'));
    expect(bounded.requestHandler).toMatchObject({ connectionTimeout: 250, socketTimeout: 2000 });
    expect(bounded.tls).toBe(false);
    expect(() => readClientSettings({ config_kwargs: { read_timeout: 0 } }, 'X')).toThrow(ConfigurationError);
    // The old millisecond kwarg is no provider kwarg: refused with the botocore spelling as the hint.
    expect(() => readClientSettings({ timeout: 250 }, 'X')).toThrow(/timeout is not a kwarg/);
    expect(() => readClientSettings({ verify: 3 }, 'X')).toThrow(ConfigurationError);
    expect(readClientSettings({ api_version: '2017-10-17' }, 'X').apiVersion).toBe('2017-10-17');
  });
});

describe('failure classes', () => {
  const context: LookupContext = {
    operation: 'Secrets Manager GetSecretValue',
    what: 'variable "k"',
    name: 'airflow/variables/k',
    where: 'http://127.0.0.1:1',
    timedOut: false,
    timeoutMs: 1000,
  };
  const sdkError = (name: string, status: number, message = 'User arn:aws:iam::123:user/alice-SECRETISH is not authorized') =>
    Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
  const classify = (error: unknown, codes = SECRETS_MANAGER_NOT_FOUND_CODES, overrides: Partial<LookupContext> = {}) =>
    classifyAwsFailure(error, { ...context, ...overrides }, codes);

  it("reads the provider's not-found codes as null, and only those", () => {
    for (const code of [
      'ResourceNotFoundException',
      'InvalidParameterException',
      'InvalidRequestException',
      'DecryptionFailure',
      'InternalServiceError',
    ]) {
      expect(classify(sdkError(code, 400))).toBeNull();
    }
    expect(classify(sdkError('ParameterNotFound', 400), PARAMETER_STORE_NOT_FOUND_CODES)).toBeNull();
    expect(classify(sdkError('ResourceNotFoundException', 400), PARAMETER_STORE_NOT_FOUND_CODES)).toBeInstanceOf(UnavailableError);
  });

  it('maps auth, policy, throttling, names, timeouts and the network onto the closed set', () => {
    expect(classify(sdkError('UnrecognizedClientException', 400))).toBeInstanceOf(UnauthorizedError);
    expect(classify(sdkError('ExpiredTokenException', 400))).toBeInstanceOf(UnauthorizedError);
    expect(classify(new AwsRawErrorResponse('InvalidClientTokenId', 403))).toBeInstanceOf(UnauthorizedError);
    expect(classify(new AwsRawErrorResponse('SignatureDoesNotMatch', 403))).toBeInstanceOf(UnauthorizedError);
    expect(classify(sdkError('AccessDeniedException', 400))).toBeInstanceOf(ForbiddenError);
    expect(classify(new AwsRawErrorResponse('AccessDenied', 403))).toBeInstanceOf(ForbiddenError);
    expect(classify(sdkError('ThrottlingException', 400))).toBeInstanceOf(ThrottledError);
    expect(classify(sdkError('Whatever', 429))).toBeInstanceOf(ThrottledError);
    expect(classify(sdkError('ValidationException', 400), PARAMETER_STORE_NOT_FOUND_CODES)).toBeInstanceOf(InvalidNameError);
    expect(classify(sdkError('InternalServerError', 500), PARAMETER_STORE_NOT_FOUND_CODES)).toBeInstanceOf(UnavailableError);
    expect(classify(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBeInstanceOf(UnavailableError);
    expect(classify(Object.assign(new Error('socket'), { name: 'TimeoutError', code: 'ETIMEDOUT' }))).toBeInstanceOf(TimeoutError);
    // The SDK's handler names a reset "TimeoutError" so that it is retried; a reset is no timeout.
    expect(classify(Object.assign(new Error('read ECONNRESET'), { name: 'TimeoutError', code: 'ECONNRESET' }))).toBeInstanceOf(UnavailableError);
    expect(classify(Object.assign(new Error('aborted'), { name: 'AbortError' }), SECRETS_MANAGER_NOT_FOUND_CODES, { timedOut: true })).toBeInstanceOf(
      TimeoutError,
    );
    expect(classify(new Error('Region is missing'))).toBeInstanceOf(ConfigurationError);
    // The SDK's bare SyntaxError for a body it could not parse: the status decides.
    expect(classify(sdkError('SyntaxError', 403))).toBeInstanceOf(ForbiddenError);
    expect(classify(sdkError('SyntaxError', 401))).toBeInstanceOf(UnauthorizedError);
  });

  it("never repeats the server's message, which can name users and keys", () => {
    const error = classify(sdkError('AccessDeniedException', 400));
    expect(error?.oneLine()).toContain('AccessDeniedException');
    expect(error?.oneLine()).toContain('variable "k"');
    expect(error?.oneLine()).not.toContain('SECRETISH');
  });
});

// ---------------------------------------------------------------------------------------------
// The same logic against the installed provider.

const PROVIDER_ORACLE = `
import json, sys
from airflow.providers.amazon.aws.secrets.secrets_manager import SecretsManagerBackend
from airflow.providers.amazon.aws.secrets.systems_manager import SystemsManagerParameterStoreBackend
cases = json.load(sys.stdin)
out = {"rekey": [], "sm": [], "ssm": []}
for case in cases["rekey"]:
    try:
        backend = SecretsManagerBackend(extra_conn_words=case["words"])
        out["rekey"].append(json.dumps(backend._standardize_secret_keys(json.loads(case["secret"]))))
    except Exception as error:
        out["rekey"].append("error " + type(error).__name__)
for case in cases["sm"]:
    backend = SecretsManagerBackend(**case["kwargs"])
    backend._get_secret_value = lambda secret_id, path: path
    out["sm"].append(backend.get_variable(case["id"]))
for case in cases["ssm"]:
    backend = SystemsManagerParameterStoreBackend(**case["kwargs"])
    backend._get_parameter_value = lambda ssm_path: ssm_path
    out["ssm"].append(backend.get_variable(case["id"]))
print(json.dumps(out))
`;

const REKEY_CASES: Array<{ secret: string; words: Record<string, unknown> }> = [
  { secret: '{"user": "a", "login": "b", "key": "k", "engine": "postgresql", "database": "d", "port": "5432", "extra": {"x": 1}}', words: {} },
  {
    secret: '{"username": "u", "user_name": "v", "pass": "p", "password": "q", "server": "s", "remote_host": "r", "schema": "sc", "database": "db"}',
    words: {},
  },
  { secret: '{"connection_type": "mysql", "conn_id": "x", "extra": "{\\"a\\": 1}", "port": 5432.0, "host": "H", "1": "digit key"}', words: {} },
  {
    secret: '{"principal": "p", "token": "t", "where": "w", "kind": "k", "db": "d", "opts": {"o": true}}',
    words: { user: ['principal'], password: ['token'], host: ['where'], conn_type: ['kind'], schema: ['db'], extra: ['opts'] },
  },
  { secret: '{"login": "both", "usr": "second"}', words: { user: ['usr'], login: ['usr'] } },
  { secret: '{"hq": "characters"}', words: { host: 'hq' } },
  { secret: '{"x": 1}', words: { bogus: ['x'] } },
  { secret: '{"password": "pässwörd 🔑", "login": "\\u00e9\\ud83d\\udd11", "port": 1e2, "extra": [1, 2.5, null, true]}', words: {} },
  { secret: '{"login": "dup1", "login": "dup2", "host": "h"}', words: {} },
];

const NAME_IDS = ['my_db', 'Prod_DB', 'x', 'a/b', 'team--id'];
const SM_KWARGS: Array<Record<string, unknown>> = [
  {},
  { variables_prefix: 'p//' },
  { variables_prefix: '' },
  { variables_prefix: '/' },
  { variables_prefix: null },
  { variables_prefix: 'team=+=', sep: '+=' },
  { variables_prefix: 'a--b--', sep: '--' },
  { variables_prefix: 'x', sep: '' },
  { variables_lookup_pattern: 'PROD' },
  { variables_lookup_pattern: 'b' },
  { variables_lookup_pattern: '' },
  { variables_lookup_pattern: '(?P<t>[a-z])_' },
];
const SSM_KWARGS: Array<Record<string, unknown>> = [
  {},
  { variables_prefix: 'no/slash/' },
  { variables_prefix: '' },
  { variables_prefix: '//' },
  { variables_prefix: null },
  { variables_prefix: '/with/slash' },
  { variables_lookup_pattern: 'my' },
  { variables_lookup_pattern: 'DB' },
];

async function askProvider(input: unknown): Promise<{ rekey: string[]; sm: Array<string | null>; ssm: Array<string | null> }> {
  const home = mkdtempSync(join(tmpdir(), 'asc-aws-oracle-'));
  try {
    const child = spawn(airflowPython, ['-c', PROVIDER_ORACLE], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        AIRFLOW_HOME: home,
        AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${home}/airflow.db`,
      },
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const code = await new Promise<number | null>((resolveExit, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error('the provider oracle did not finish within 120 s'));
      }, 120_000);
      child.on('error', reject);
      child.on('close', (exitCode) => {
        clearTimeout(timer);
        resolveExit(exitCode);
      });
      child.stdin.end(JSON.stringify(input));
    });
    if (code !== 0) throw new Error(`the provider oracle exited with ${code}: ${Buffer.concat(stderr).toString().slice(-1500)}`);
    return JSON.parse(Buffer.concat(stdout).toString('utf8').trim().split('\n').at(-1) ?? '{}');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function ours(make: () => string): string {
  try {
    return make();
  } catch (error) {
    return `error ${(error as Error).name}`;
  }
}

describe('against the installed amazon provider 9.39.0', () => {
  it('re-keys JSON secrets and names secrets and parameters exactly as the provider does', { timeout: 150_000 }, async (ctx) => {
    if (!existsSync(airflowPython)) {
      const note = `not run: Airflow venv missing at ${airflowPython}; run bash install/airflow.sh`;
      if (process.env.CI === 'true') throw new Error(note);
      ctx.skip(note);
    }
    const sm = SM_KWARGS.flatMap((kwargs) => NAME_IDS.map((id) => ({ kwargs, id })));
    const ssm = SSM_KWARGS.flatMap((kwargs) => NAME_IDS.map((id) => ({ kwargs, id })));
    const theirs = await askProvider({ rekey: REKEY_CASES, sm, ssm });
    const mine = {
      rekey: REKEY_CASES.map(({ secret, words }) => ours(() => rekey(secret, words)).replace('ConfigurationError', 'KeyError')),
      sm: sm.map(({ kwargs, id }) => new SecretsManagerBackend(kwargs).nameFor('variable', id)),
      ssm: ssm.map(({ kwargs, id }) => new SystemsManagerParameterStoreBackend(kwargs).nameFor('variable', id)),
    };
    // Python's TypeError for a non-list extra_conn_words entry is our ConfigurationError too.
    expect(mine.rekey).toEqual(theirs.rekey.map((text) => text.replace('TypeError', 'KeyError')));
    expect(mine.sm).toEqual(theirs.sm);
    expect(mine.ssm).toEqual(theirs.ssm);
  });
});

// ---------------------------------------------------------------------------------------------
// Against a real moto.

function requireMoto(ctx: TestContext): void {
  if (existsSync(nativeMotoExecutable)) return;
  const note = `not run: moto_server not installed at ${nativeMotoExecutable}; run npm run servers:install`;
  if (process.env.CI === 'true') throw new Error(note);
  ctx.skip(note);
}

describe('against moto', () => {
  let servers: StartedServers | undefined;
  let environment: TargetEnvironment;
  const logDir = mkdtempSync(join(tmpdir(), 'asc-aws-backends-'));

  beforeAll(async () => {
    if (!existsSync(nativeMotoExecutable)) return;
    servers = await startServers([motoServer, motoIamServer], { provisioning: 'native', logDir });
    environment = { runId: `aws-backends-${process.pid}`, canary: 'cnryawsbackends', scratchDir: logDir, servers: servers.endpoints };
  }, 120_000);

  afterAll(async () => {
    await servers?.stop();
    rmSync(logDir, { recursive: true, force: true });
  });

  function motoKwargs(name: 'moto' | 'moto-iam', extra: Record<string, unknown> = {}): Record<string, unknown> {
    const endpoint = servers && endpointOf(servers.endpoints, name === 'moto' ? motoServer : motoIamServer);
    if (!endpoint) throw new Error(`${name} did not start`);
    return {
      endpoint_url: endpoint.endpoint,
      region_name: endpoint.region,
      aws_access_key_id: endpoint.accessKeyId,
      aws_secret_access_key: endpoint.secretAccessKey,
      ...extra,
    };
  }

  it('sends one request per lookup, none for a disabled kind, and reads "not found" as null', async (ctx) => {
    requireMoto(ctx);
    const backend = new SecretsManagerBackend(motoKwargs('moto', { connections_prefix: null }));
    try {
      expect(await backend.getVariable('asc_missing_variable')).toBeNull();
      expect(requestsSentBy(backend)).toBe(1);
      expect(await backend.getConnection('asc_missing_connection')).toBeNull();
      expect(requestsSentBy(backend)).toBe(1);
    } finally {
      await backend.close();
    }
    expect(() => requestsSentBy({ kind: 'Other' })).toThrow(/not an AWS provider backend/);
  });

  it("reads moto-iam's XML refusal of unknown keys as Unauthorized, sent once, without the keys", async (ctx) => {
    requireMoto(ctx);
    const secretKey = 'wrong-secret-key-for-the-test';
    for (const make of [
      (kwargs: Record<string, unknown>) => new SecretsManagerBackend(kwargs),
      (kwargs: Record<string, unknown>) => new SystemsManagerParameterStoreBackend(kwargs),
    ]) {
      const backend = make(motoKwargs('moto-iam', { aws_access_key_id: 'ASCUNKNOWNKEY', aws_secret_access_key: secretKey }));
      try {
        const error = await backend.getVariable('k').then(
          () => null,
          (caught: unknown) => caught,
        );
        expect(error).toBeInstanceOf(UnauthorizedError);
        expect((error as UnauthorizedError).oneLine()).toMatch(/InvalidClientTokenId, HTTP 403/);
        expect((error as UnauthorizedError).oneLine()).not.toContain('ASCUNKNOWNKEY');
        expect((error as UnauthorizedError).oneLine()).not.toContain(secretKey);
        expect(requestsSentBy(backend)).toBe(1);
      } finally {
        await backend.close?.();
      }
    }
  });

  it('is Unavailable on a closed port and Timeout on a port that never answers', async (ctx) => {
    requireMoto(ctx);
    const closed = new SecretsManagerBackend(
      motoKwargs('moto', { endpoint_url: 'http://127.0.0.1:9', config_kwargs: { connect_timeout: 5, read_timeout: 5 } }),
    );
    await expect(closed.getVariable('k')).rejects.toBeInstanceOf(UnavailableError);
    await closed.close();
    // Accepts connections and never answers.
    const accepted = new Set<Socket>();
    const silentServer = createServer((socket) => accepted.add(socket));
    await new Promise<void>((listening) => silentServer.listen(0, '127.0.0.1', () => listening()));
    const address = silentServer.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const silent = new SystemsManagerParameterStoreBackend(
      motoKwargs('moto', { endpoint_url: `http://127.0.0.1:${port}`, config_kwargs: { read_timeout: 0.3, retries: { total_max_attempts: 1 } } }),
    );
    try {
      await expect(silent.getVariable('k')).rejects.toBeInstanceOf(TimeoutError);
    } finally {
      await silent.close();
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((closed) => silentServer.close(() => closed()));
    }
  });

  it('leaves nothing behind: a session removes its secrets, its moto-iam seeds and users', async (ctx) => {
    requireMoto(ctx);
    for (const target of [awsSecretsManagerTarget, awsParameterStoreTarget]) {
      const session = await target.open(environment);
      await session.fixtures.putVariable('asc_left', 'value-1');
      await session.fixtures.putConnection('asc_left', { fields: { conn_type: 'http', user: 'svc' } });
      await session.fixtures.storeNames?.put(`${session.fixtures.storeNames.root}/named/x`, 'value-2');
      await expect(session.fixtures.storeNames?.put('outside/root', 'v')).rejects.toBeInstanceOf(ConfigurationError);
      const denied = await session.auth?.deniedRead?.({ connId: 'asc_left', key: 'asc_left' });
      await expect(denied?.backend.getVariable('asc_left')).rejects.toBeInstanceOf(ForbiddenError);
      // Two fixtures and one named secret in moto, the two denied-read seeds in moto-iam.
      expect(await target.residue?.(environment)).toBe(5);
      await session.close();
      expect(await target.residue?.(environment)).toBe(0);
    }
    expect(runRoot('ssm', environment.runId)).toMatch(/^\/asc\/[0-9a-f]{10}$/);
  });
});
