/**
 * The AWS reference backends' pure logic, without a server: Python's string semantics, names and
 * lookup patterns, JSON re-keying, client kwargs, and the failure classes.
 */
import { describe, expect, it } from 'vitest';
import { AwsRawErrorResponse, classifyAwsFailure, type LookupContext } from '../backends/aws/aws-failures';
import { readClientSettings } from '../backends/aws/aws-kwargs';
import { sdkClientConfig } from '../backends/aws/aws-sdk-client';
import { compilePythonMatch, pythonReMatch, pythonRstrip } from '../backends/aws/python-semantics';
import { SECRETS_MANAGER_NOT_FOUND_CODES, SecretsManagerBackend } from '../backends/aws/secrets-manager-backend';
import { PARAMETER_STORE_NOT_FOUND_CODES, SystemsManagerParameterStoreBackend } from '../backends/aws/parameter-store-backend';
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
import { rekey } from './support/aws-rekey';

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
