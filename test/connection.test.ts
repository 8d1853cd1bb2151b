/**
 * Unit tests of the connection model: the cases of spec §6, Airflow's own test tables
 * (test_from_uri_params, test_connection_from_with_auth_info, from_json), round trips, and the
 * places where Airflow 3.3.2 differs from the spec. Expected values were checked against the
 * installed Airflow 3.3.2; the differential test covers the rest.
 */
import { describe, expect, it } from 'vitest';
import { Connection, deserializeConnection, type ParserFlavour } from '../model/connection/connection';
import { redactConnectionText } from '../model/connection/connection-errors';
import { sanitizeConnId } from '../model/connection/connection-fields';
import { pyFloatRepr } from '../model/connection/python-values';
import { pyJsonDumps } from '../model/connection/python-json-dumps';
import { pyJsonLoads, PythonJsonError } from '../model/connection/python-json-loads';
import { parseQsl, quote, quotePlus, unquote, urlencode, urlsplit } from '../model/connection/python-url';
import { ConnectionFormatError } from '../model/errors';

const BOTH: readonly ParserFlavour[] = ['sdk', 'core'];

function parse(uri: string, parser: ParserFlavour = 'sdk'): Connection {
  return Connection.fromUri(uri, { connId: 'test_conn', parser });
}

function formatErrorOf(action: () => unknown): ConnectionFormatError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConnectionFormatError) return error;
    throw error;
  }
  throw new Error('expected a ConnectionFormatError, nothing was thrown');
}

interface UriCase {
  description: string;
  uri: string;
  expected: Partial<{
    conn_type: string | null;
    host: string | null;
    schema: string | null;
    login: string | null;
    password: string | null;
    port: number | null;
    extra: Record<string, unknown> | null;
  }>;
  /** Expected extra where core's typed query values differ from the SDK's strings. */
  coreExtra?: Record<string, unknown>;
}

// Airflow's test_from_uri_params (airflow-core/tests/unit/always/test_connection.py).
const FROM_URI_PARAMS: UriCase[] = [
  {
    description: 'without extras',
    uri: 'scheme://user:password@host%2Flocation:1234/schema',
    expected: { conn_type: 'scheme', host: 'host/location', schema: 'schema', login: 'user', password: 'password', port: 1234, extra: null },
  },
  {
    description: 'with extras',
    uri: 'scheme://user:password@host%2Flocation:1234/schema?extra1=a%20value&extra2=%2Fpath%2F',
    expected: { host: 'host/location', port: 1234, extra: { extra1: 'a value', extra2: '/path/' } },
  },
  {
    description: 'with nested json',
    uri: 'scheme://user:password@host%2Flocation:1234/schema?__extra__=%7B%22my_val%22%3A+%5B%22list%22%2C+%22of%22%2C+%22values%22%5D%2C+%22extra%22%3A+%7B%22nested%22%3A+%7B%22json%22%3A+%22val%22%7D%7D%7D',
    expected: { extra: { my_val: ['list', 'of', 'values'], extra: { nested: { json: 'val' } } } },
  },
  {
    description: 'with empty extras',
    uri: 'scheme://user:password@host%2Flocation:1234/schema?extra1=a%20value&extra2=',
    expected: { extra: { extra1: 'a value', extra2: '' } },
  },
  {
    description: 'with colon in hostname',
    uri: 'scheme://user:password@host%2Flocation%3Ax%3Ay:1234/schema?extra1=a%20value&extra2=%2Fpath%2F',
    expected: { host: 'host/location:x:y', port: 1234, extra: { extra1: 'a value', extra2: '/path/' } },
  },
  {
    description: 'with encoded password',
    uri: 'scheme://user:password%20with%20space@host%2Flocation%3Ax%3Ay:1234/schema',
    expected: { host: 'host/location:x:y', password: 'password with space', port: 1234 },
  },
  {
    description: 'with encoded user',
    uri: 'scheme://domain%2Fuser:password@host%2Flocation%3Ax%3Ay:1234/schema',
    expected: { login: 'domain/user', password: 'password' },
  },
  {
    description: 'with encoded schema',
    uri: 'scheme://user:password%20with%20space@host:1234/schema%2Ftest',
    expected: { host: 'host', schema: 'schema/test', password: 'password with space' },
  },
  {
    description: 'no schema',
    uri: 'scheme://user:password%20with%20space@host:1234',
    expected: { host: 'host', schema: '', port: 1234 },
  },
  {
    description: 'with underscore',
    uri: 'google-cloud-platform://?key_path=%2Fkeys%2Fkey.json&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcloud-platform&project=airflow',
    expected: {
      conn_type: 'google_cloud_platform',
      host: '',
      schema: '',
      login: null,
      password: null,
      port: null,
      extra: { key_path: '/keys/key.json', scope: 'https://www.googleapis.com/auth/cloud-platform', project: 'airflow' },
    },
  },
  {
    description: 'without auth info',
    uri: 'scheme://host:1234',
    expected: { host: 'host', schema: '', login: null, password: null, port: 1234 },
  },
  { description: 'with path', uri: 'scheme://%2FTmP%2F:1234', expected: { host: '/TmP/', schema: '', port: 1234 } },
  { description: 'schema only', uri: 'scheme:///airflow', expected: { conn_type: 'scheme', schema: 'airflow', host: '' } },
  { description: 'port only', uri: 'scheme://@:1234', expected: { conn_type: 'scheme', port: 1234, login: '', password: null } },
  {
    description: 'password only',
    uri: 'scheme://:password%2F%21%40%23%24%25%5E%26%2A%28%29%7B%7D@',
    expected: { password: 'password/!@#$%^&*(){}', login: '' },
  },
  {
    description: 'login only',
    uri: 'scheme://login%2F%21%40%23%24%25%5E%26%2A%28%29%7B%7D@',
    expected: { login: 'login/!@#$%^&*(){}', password: null },
  },
  {
    description: 'with valid json, invalid json fallback, and empty strings in extras',
    uri: 'scheme://host/schema?valid_json=%7B%22key%22%3A%22val%22%7D&invalid_json=just_a_string&empty_val=',
    expected: { extra: { valid_json: '{"key":"val"}', invalid_json: 'just_a_string', empty_val: '' } },
    coreExtra: { valid_json: { key: 'val' }, invalid_json: 'just_a_string', empty_val: '' },
  },
];

describe('Connection.fromUri: Airflow test_from_uri_params', () => {
  for (const parser of BOTH) {
    describe(parser, () => {
      it.each(FROM_URI_PARAMS)('$description', ({ uri, expected, coreExtra }) => {
        const view = parse(uri, parser).toView();
        const want = { ...expected, ...(parser === 'core' && coreExtra ? { extra: coreExtra } : {}) };
        expect(view).toMatchObject(want);
      });

      it.each(FROM_URI_PARAMS)('$description survives parse -> getUri -> parse', ({ uri }) => {
        const first = parse(uri, parser);
        const second = parse(first.getUri(), parser);
        expect(second.toView()).toEqual(first.toView());
      });

      it.each(FROM_URI_PARAMS)('$description survives fields -> getUri -> parse', ({ expected, coreExtra }) => {
        const { extra, ...fields } = { ...expected, ...(parser === 'core' && coreExtra ? { extra: coreExtra } : {}) };
        const built = Connection.fromFields({ ...fields, ...(extra ? { extra } : {}) }, { parser });
        const reparsed = parse(built.getUri(), parser).toView();
        expect(reparsed).toMatchObject(fields);
        if (extra) expect(reparsed.extra).toEqual(extra);
      });
    });
  }
});

describe('Connection.fromUri: Airflow test_connection_from_with_auth_info', () => {
  const cases: Array<[string, [string, string | null, string | null, string, number | null, string]]> = [
    ['http://:password@host:80/database', ['http', '', 'password', 'host', 80, 'database']],
    ['http://user:@host:80/database', ['http', 'user', null, 'host', 80, 'database']],
    ['http://user:password@/database', ['http', 'user', 'password', '', null, 'database']],
    ['http://user:password@host:80/', ['http', 'user', 'password', 'host', 80, '']],
    ['http://user:password@/', ['http', 'user', 'password', '', null, '']],
    [
      'postgresql://user:password@%2Ftmp%2Fz6rqdzqh%2Fexample%3Awest1%3Atestdb/testdb',
      ['postgres', 'user', 'password', '/tmp/z6rqdzqh/example:west1:testdb', null, 'testdb'],
    ],
    [
      'postgresql://user@%2Ftmp%2Fz6rqdzqh%2Fexample%3Aeurope-west1%3Atestdb/testdb',
      ['postgres', 'user', null, '/tmp/z6rqdzqh/example:europe-west1:testdb', null, 'testdb'],
    ],
    [
      'postgresql://%2Ftmp%2Fz6rqdzqh%2Fexample%3Aeurope-west1%3Atestdb',
      ['postgres', null, null, '/tmp/z6rqdzqh/example:europe-west1:testdb', null, ''],
    ],
    ['spark://k8s%3a%2F%2F100.68.0.1:443?deploy-mode=cluster', ['spark', null, null, 'k8s://100.68.0.1', 443, '']],
    ['spark://user:password@k8s%3a%2F%2F100.68.0.1:443?deploy-mode=cluster', ['spark', 'user', 'password', 'k8s://100.68.0.1', 443, '']],
    ['spark://user@k8s%3a%2F%2F100.68.0.1:443?deploy-mode=cluster', ['spark', 'user', null, 'k8s://100.68.0.1', 443, '']],
    ['spark://k8s%3a%2F%2Fno.port.com?deploy-mode=cluster', ['spark', null, null, 'k8s://no.port.com', null, '']],
  ];
  it.each(cases)('core parses %s', (uri, [conn_type, login, password, host, port, schema]) => {
    expect(parse(uri, 'core').toView()).toMatchObject({ conn_type, login, password, host, port, schema });
  });
});

describe('spec §6.1: the odd parts of URI parsing', () => {
  it('replaces every "<scheme>://", so http://http://host loses its host', () => {
    for (const parser of BOTH) {
      expect(parse('http://http://host', parser).toView()).toMatchObject({ conn_type: 'http', host: '', schema: 'ost' });
    }
  });

  it('keeps a protocol in front of the host', () => {
    const view = parse('spark://k8s://100.68.0.1:443/schema').toView();
    expect(view).toMatchObject({ conn_type: 'spark', host: 'k8s://100.68.0.1', port: 443, schema: 'schema' });
  });

  it('refuses a user or port before the protocol, without echoing the password', () => {
    const error = formatErrorOf(() => parse('type://user:s3cret-pw@protocol://host:1234'));
    expect(error.message).toContain('Invalid connection string');
    expect(error.oneLine()).not.toContain('s3cret-pw');
  });

  it('refuses more than two "://" and redacts the echoed URI', () => {
    const error = formatErrorOf(() => parse('postgres://admin:hunter2@a://b://c'));
    expect(error.message).toBe('Invalid connection string: more than two "://" in postgres://***@a://b://c');
  });

  it('lower-cases the host unless it decodes to something with a "/"', () => {
    expect(parse('x://HoSt.Example.COM/Db').toView()).toMatchObject({ host: 'host.example.com', schema: 'Db' });
    expect(parse('x://%2FTmP%2FSock').host).toBe('/TmP/Sock');
  });

  it('normalises conn_type: postgresql -> postgres, "-" -> "_", and lower-cases the scheme', () => {
    expect(parse('postgresql://h').connType).toBe('postgres');
    expect(parse('google-cloud-platform://h').connType).toBe('google_cloud_platform');
    expect(parse('MySQL://h').connType).toBe('mysql');
  });

  it('tells an empty login or password from a missing one; core drops an empty password', () => {
    expect(parse('x://:@h', 'sdk').toView()).toMatchObject({ login: '', password: '' });
    expect(parse('x://:@h', 'core').toView()).toMatchObject({ login: '', password: null });
    expect(parse('x://h').toView()).toMatchObject({ login: null, password: null, host: 'h', schema: '' });
  });

  it('keeps "+" in a password and decodes %xx leniently', () => {
    expect(parse('x://u:a+b%2Fc%zz%E2%82@h').password).toBe('a+b/c%zz\ufffd');
  });

  it('lets the last duplicate query key win and keeps blank values', () => {
    expect(parse('x://h?a=1&b=&a=2&c').toView().extra).toEqual({ a: '2', b: '', c: '' });
  });

  it('types query values in core only (PR #59339); the SDK keeps strings', () => {
    const uri = 'x://h?int_param=123&bool_param=true&float=1.5&null=null&text=abc&nan=NaN';
    expect(parse(uri, 'sdk').extra).toBe('{"int_param": "123", "bool_param": "true", "float": "1.5", "null": "null", "text": "abc", "nan": "NaN"}');
    expect(parse(uri, 'core').extra).toBe('{"int_param": 123, "bool_param": true, "float": 1.5, "null": null, "text": "abc", "nan": NaN}');
  });

  it('lets __extra__ win over every other parameter', () => {
    const uri = `x://h?a=1&__extra__=${encodeURIComponent('{"z": [1, 2.0]}')}&b=2`;
    for (const parser of BOTH) expect(parse(uri, parser).extra).toBe('{"z": [1, 2.0]}');
  });

  it('validates __extra__ in core only', () => {
    expect(parse('x://h?__extra__=not-json', 'sdk').extraDejson).toEqual({});
    expect(parse('x://h?__extra__=5', 'sdk').toView().extra).toBe(5);
    expect(formatErrorOf(() => parse('x://h?__extra__=not-json', 'core')).message).toBe('extra is not valid JSON');
    expect(formatErrorOf(() => parse('x://h?__extra__=5', 'core')).message).toContain('not an object');
  });

  it.each([
    ['x://h:abc', 'Port could not be cast to integer value'],
    ['x://h:-1', 'Port could not be cast to integer value'],
    ['x://h:٣٣', 'Port could not be cast to integer value'],
    ['x://h:65536', 'Port out of range 0-65535'],
    ['x://[::1', 'Invalid IPv6 URL'],
    ['x://[10.0.0.1]', 'An IPv4 address cannot be in brackets'],
    ['x://\u2100', 'NFKC'],
  ])('rejects %s', (uri, message) => {
    for (const parser of BOTH) expect(formatErrorOf(() => parse(uri, parser)).message).toContain(message);
  });

  it('accepts port 0 and 65535 and IPv6 hosts with a zone', () => {
    expect(parse('x://h:0').port).toBe(0);
    expect(parse('x://h:65535').port).toBe(65535);
    expect(parse('x://[FE80::1%25eTh0]:5').toView()).toMatchObject({ host: 'fe80::1%eTh0', port: 5 });
  });

  it('core treats uri="" as no URI at all; the SDK parses it', () => {
    expect(parse('', 'core').toView()).toMatchObject({ conn_type: null, host: null, schema: null });
    expect(parse('', 'sdk').toView()).toMatchObject({ conn_type: '', host: '', schema: '' });
  });
});

describe('spec §6.2: getUri', () => {
  it('builds the URIs of the spec examples', () => {
    expect(Connection.fromFields({}).getUri()).toBe('//');
    expect(Connection.fromFields({ conn_type: 'scheme', port: 1234 }).getUri()).toBe('scheme://@:1234');
    expect(Connection.fromFields({ conn_type: 'mysql', host: 'host_1', extra: { a: 'b' } }).getUri()).toBe('mysql://host_1/?a=b');
    expect(parse('google-cloud-platform://?a=b').getUri()).toBe('google-cloud-platform:///?a=b');
    expect(Connection.fromFields({ conn_type: 'foo', login: '', password: 'p@$$' }).getUri()).toBe('foo://:p%40%24%24@');
    expect(Connection.fromFields({ conn_type: 'foo', login: '' }).getUri()).toBe('foo://');
  });

  it('quotes a host whose protocol is the conn_type, and writes any other protocol out', () => {
    expect(Connection.fromFields({ conn_type: 'http', host: 'http://host' }).getUri()).toBe('http://http%3A%2F%2Fhost');
    expect(Connection.fromFields({ conn_type: 'spark', host: 'k8s://100.68.0.1:443' }).getUri()).toBe('spark://k8s://100.68.0.1%3A443');
  });

  it('drops port 0 in both flavours (SDK 1.3.2 tests the port for truth, unlike spec §6.2.5)', () => {
    for (const parser of BOTH) expect(parse('x://h:0', parser).getUri()).toBe('x://h');
  });

  it('writes __extra__ when the extra does not survive urlencode/parse_qsl', () => {
    for (const parser of BOTH) {
      const connection = Connection.fromJson('{"conn_type": "type", "host": "host", "extra": {"a": 1, "b": true}}', { parser });
      expect(connection.getUri()).toBe('type://host/?__extra__=%7B%22a%22%3A+1%2C+%22b%22%3A+true%7D');
    }
    expect(Connection.fromJson('{"extra": {}}').getUri()).toBe('//');
    expect(Connection.fromJson('{"extra": "[]"}').getUri()).toBe('///?__extra__=%5B%5D');
  });

  it('quotes login, password, host and schema with safe=""', () => {
    const connection = Connection.fromFields({
      conn_type: 'my_type',
      login: 'us er/@',
      password: 'p:w~d',
      host: 'h/ö',
      schema: 'a b',
      extra: { 'k k': 'v/v+' },
    });
    expect(connection.getUri()).toBe('my-type://us%20er%2F%40:p%3Aw~d@h%2F%C3%B6/a%20b?k+k=v%2Fv%2B');
  });

  it('fails where Airflow fails: a lone surrogate cannot be UTF-8 encoded', () => {
    expect(() => Connection.fromJson('{"host": "\\ud800"}').getUri()).toThrow(ConnectionFormatError);
  });
});

describe('spec §6.4: fromJson', () => {
  it.each([
    ['{"extra": null}', null],
    ['{"extra": {"yo": "hi"}}', '{"yo": "hi"}'],
    ['{"extra": "{\\"yo\\": \\"hi\\"}"}', '{"yo": "hi"}'],
    ['{"extra": ""}', null],
    ['{"extra": {}}', null],
    ['{"extra": {"f": 1.0, "big": 123456789012345678901234567890, "e": 1e16}}', '{"f": 1.0, "big": 123456789012345678901234567890, "e": 1e+16}'],
  ])('stores extra of %s as %s', (json, extra) => {
    for (const parser of BOTH) expect(Connection.fromJson(json, { parser }).extra).toBe(extra);
  });

  it.each([
    ['{"conn_type": "abc-abc"}', 'abc_abc'],
    ['{"conn_type": "abc_abc"}', 'abc_abc'],
    ['{"conn_type": "postgresql"}', 'postgres'],
    ['{"conn_type": ""}', null],
  ])('normalises conn_type %s', (json, connType) => {
    for (const parser of BOTH) expect(Connection.fromJson(json, { parser }).connType).toBe(connType);
  });

  // 3.3.2: `if port: int(port)` in both flavours, no range check (spec §6.4 says otherwise).
  it.each([
    ['{"port": 0}', null],
    ['{"port": 1}', 1],
    ['{"port": "1"}', 1],
    ['{"port": "0"}', 0],
    ['{"port": ""}', null],
    ['{"port": null}', null],
    ['{"port": -1}', -1],
    ['{"port": 65536}', 65536],
    ['{"port": 1.5}', 1],
    ['{"port": true}', 1],
    ['{"port": " ٤٤٣ "}', 443],
    ['{"port": "1_000"}', 1000],
  ])('reads port %s as %s', (json, port) => {
    for (const parser of BOTH) expect(Connection.fromJson(json, { parser }).port).toBe(port);
  });

  it.each(['{"port": "1.5"}', '{"port": "abc"}', '{"port": NaN}', '{"port": Infinity}', '{"port": [1]}'])('rejects port in %s', (json) => {
    for (const parser of BOTH) expect(formatErrorOf(() => Connection.fromJson(json, { parser })).message).toMatch(/port/i);
  });

  // int() keeps any integer; a JavaScript number would round past 2^53 (9007199254740993 -> ...992).
  it.each([
    ['{"port": 9007199254740991}', 9007199254740991],
    ['{"port": 9007199254740993}', 9007199254740993n],
    ['{"port": "-18446744073709551617"}', -18446744073709551617n],
    ['{"port": 1e20}', 100000000000000000000n],
    ['{"port": "１８４４６７４４０７３７０９５５１６１７"}', 18446744073709551617n],
  ])('keeps port %s exactly as %s', (json, port) => {
    for (const parser of BOTH) {
      const connection = Connection.fromJson(json, { parser });
      expect(connection.port).toBe(port);
      expect(connection.getUri()).toBe(`//@:${port}`);
      expect(pyJsonDumps(connection.toPythonView())).toContain(`"port": ${port}`);
    }
  });

  it('keeps a fields port past 2^53 given as a bigint or digits, and names a rounded number', () => {
    expect(Connection.fromFields({ port: 9007199254740993n }).port).toBe(9007199254740993n);
    expect(Connection.fromFields({ port: '9007199254740993' }).port).toBe(9007199254740993n);
    expect(formatErrorOf(() => Connection.fromFields({ port: 2 ** 60 })).message).toContain('past 2^53');
  });

  it('reads a port of 4300 digits and refuses 4301, as int() does', () => {
    expect(Connection.fromJson(`{"port": "${'9'.repeat(4300)}"}`).port).toBe(10n ** 4300n - 1n);
    expect(formatErrorOf(() => Connection.fromJson(`{"port": "${'9'.repeat(4301)}"}`)).message).toMatch(/port/i);
  });

  // int() copies ASCII as it is and skips only C's isspace() there; str.isspace() adds U+001C-U+001F.
  it.each(['\u001c80', '80\u001f', ' \u001d80', '\u001e\u0668\u0660', '\u007f80'])('refuses the port %j', (port) => {
    for (const parser of BOTH)
      expect(formatErrorOf(() => Connection.fromJson(JSON.stringify({ port }), { parser })).message).toMatch(/Expected integer value for port/);
  });

  it.each([
    ['\t80\n', 80],
    ['\u000b\u000c\r 80', 80],
    ['\u008580\u00a0', 80],
    ['\u300080\u2029', 80],
  ])('skips the whitespace around the port %j', (port, value) => {
    for (const parser of BOTH) expect(Connection.fromJson(JSON.stringify({ port }), { parser }).port).toBe(value);
  });

  it('raises ConnectionFormatError, not a bare MalformedSecretError, for JSON too deep to write back', () => {
    // Core json.loads-es each query value, then json.dumps the dict around them: one level more.
    const deep = `x://h?a=${'['.repeat(1000)}${']'.repeat(1000)}`;
    expect(Connection.fromUri(deep, { parser: 'sdk' }).extra).toContain('[[[');
    expect(formatErrorOf(() => Connection.fromUri(deep, { parser: 'core' })).message).toContain('cannot be written back as JSON');
  });

  it('keeps special characters in passwords; core turns "" into null', () => {
    const special = 'pass :/!@#$%^&*(){}"';
    for (const parser of BOTH) expect(Connection.fromJson(JSON.stringify({ password: special }), { parser }).password).toBe(special);
    expect(Connection.fromJson('{"password": ""}', { parser: 'sdk' }).password).toBe('');
    expect(Connection.fromJson('{"password": ""}', { parser: 'core' }).password).toBeNull();
  });

  it('accepts a whole URI under "uri", and refuses mixing it with fields', () => {
    expect(Connection.fromJson('{"uri": "mysql://u:p@h:1/db"}').toView()).toMatchObject({ conn_type: 'mysql', port: 1 });
    for (const parser of BOTH) {
      const error = formatErrorOf(() => Connection.fromJson('{"uri": "mysql://", "schema": "AAA"}', { parser }));
      expect(error.message).toContain('not both');
    }
    // Core checks only truthy fields and ignores description; the SDK refuses any other key.
    expect(Connection.fromJson('{"uri": "mysql://h", "description": "d"}', { parser: 'core' }).host).toBe('h');
    expect(() => Connection.fromJson('{"uri": "mysql://h", "description": "d"}', { parser: 'sdk' })).toThrow(ConnectionFormatError);
  });

  it('refuses unknown keys, conn_id, non-objects and broken JSON with one-line messages', () => {
    expect(formatErrorOf(() => Connection.fromJson('{"hots": "h"}')).message).toBe('unknown key(s) in connection JSON: "hots"');
    expect(formatErrorOf(() => Connection.fromJson('{"team_name": "t"}', { parser: 'sdk' })).message).toContain('team_name');
    expect(Connection.fromJson('{"team_name": "t"}', { parser: 'core' }).host).toBeNull();
    expect(formatErrorOf(() => Connection.fromJson('{"conn_id": "x"}')).message).toContain('conn_id');
    expect(formatErrorOf(() => Connection.fromJson('[1]')).message).toBe('connection JSON must be an object, got list');
    const broken = formatErrorOf(() => Connection.fromJson('{"password": "hunter2",}'));
    expect(broken.message).toContain('Expecting property name enclosed in double quotes');
    expect(broken.oneLine()).not.toContain('hunter2');
  });

  it('refuses a non-string text field (a known divergence: Airflow keeps the object)', () => {
    expect(formatErrorOf(() => Connection.fromJson('{"host": 5}')).message).toBe('host must be a string or null, got int');
  });

  it('core validates extra; the SDK keeps any text', () => {
    expect(Connection.fromJson('{"extra": "[1]"}', { parser: 'sdk' }).toView().extra).toEqual([1]);
    expect(formatErrorOf(() => Connection.fromJson('{"extra": "[1]"}', { parser: 'core' })).message).toContain('not an object');
    expect(formatErrorOf(() => Connection.fromJson('{"extra": [1]}', { parser: 'core' })).message).toContain('not an object');
  });
});

describe('fromFields (Airflow Connection(**kwargs), the local-file path)', () => {
  it('does not normalise conn_type and dumps a dict extra the Python way', () => {
    const connection = Connection.fromFields({ conn_type: 'postgresql', port: 5432, extra: { a: 1, '2': 'b' } }, { parser: 'core' });
    expect(connection.connType).toBe('postgresql');
    expect(connection.port).toBe(5432);
    // A JavaScript object lists integer-like keys first; YAML/JSON loaders hand over such objects.
    expect(connection.extra).toBe('{"2": "b", "a": 1}');
  });

  it('accepts extra_dejson, refuses it next to extra, and checks a conn_id in the object', () => {
    expect(Connection.fromFields({ extra_dejson: { k: 'v' } }).extra).toBe('{"k": "v"}');
    expect(() => Connection.fromFields({ extra: '{}', extra_dejson: {} })).toThrow(ConnectionFormatError);
    expect(Connection.fromFields({ conn_id: 'a' }, { connId: 'a' }).connId).toBe('a');
    expect(() => Connection.fromFields({ conn_id: 'a' }, { connId: 'b' })).toThrow(ConnectionFormatError);
  });

  it('core validates extra text', () => {
    expect(() => Connection.fromFields({ extra: 'nope' }, { parser: 'core' })).toThrow(ConnectionFormatError);
    expect(Connection.fromFields({ extra: 'nope' }, { parser: 'sdk' }).extraDejson).toEqual({});
  });
});

describe('core model details', () => {
  it('ignores a falsy password assignment, as the ORM setter does', () => {
    const core = Connection.fromFields({ password: 'secret' }, { parser: 'core' });
    core.password = '';
    core.password = null;
    expect(core.password).toBe('secret');
    const sdk = Connection.fromFields({ password: 'secret' }, { parser: 'sdk' });
    sdk.password = '';
    expect(sdk.password).toBe('');
  });

  it('sanitises conn_id in core only', () => {
    expect(sanitizeConnId('my_conn-1.a:b/c\\d(e)#!')).toBe('my_conn-1.a:b/c\\d(e)#!');
    expect(sanitizeConnId('<script>')).toBeNull();
    expect(sanitizeConnId('x'.repeat(251))).toBeNull();
    expect(sanitizeConnId('ok\n')).toBe('ok');
    expect(Connection.fromUri('x://h', { connId: '<script>', parser: 'core' }).connId).toBeNull();
    expect(Connection.fromUri('x://h', { connId: '<script>', parser: 'sdk' }).connId).toBe('<script>');
  });
});

describe('deserializeConnection (BaseSecretsBackend dispatch)', () => {
  it('strips Python whitespace (incl. U+00A0, U+3000, U+001C) then picks JSON or URI', () => {
    expect(deserializeConnection('c', '\u00a0\u3000 {"host": "h"}\u001c\n', 'sdk').host).toBe('h');
    expect(deserializeConnection('c', ' \tmysql://h ', 'sdk').host).toBe('h');
  });

  it('refuses a blank value (Airflow: IndexError, a failed backend)', () => {
    const error = formatErrorOf(() => deserializeConnection('my_db', ' \n\u2003', 'core'));
    expect(error.oneLine()).toBe('ConnectionFormatError: the connection value is blank (connection "my_db"); hint: store a URI or a JSON object');
  });

  it('never puts the password in a message', () => {
    const inputs = [
      'x://user:Sup3rS3cret@h:notaport',
      'x://user:Sup3rS3cret@[nope]',
      '{"password": "Sup3rS3cret", "port": "x"}',
      'x://user:Sup3rS3cret@a://b://c',
    ];
    for (const value of inputs) {
      for (const parser of BOTH) {
        const error = formatErrorOf(() => deserializeConnection('c', value, parser));
        expect(error.oneLine()).not.toContain('Sup3rS3cret');
      }
    }
  });
});

describe('redactConnectionText', () => {
  it.each([
    ['postgres://admin:hunter2@db.example:5432/app?sslmode=require&token=abc', 'postgres://***@db.example:5432/app?sslmode=***&token=***'],
    ['x://u:p@ss@host/db', 'x://***@host/db'],
    ['x://user:pass', 'x://user:***'],
    ['x://h?__extra__=%7B%22k%22%3A+1%7D#frag', 'x://h?__extra__=***#***'],
    ['{"login": "u", "password": "hunter2", "port": 5}', '{"login": "***", "password": "***", "port": 5}'],
  ])('%s -> %s', (input, redacted) => {
    expect(redactConnectionText(input)).toBe(redacted);
  });
});

describe('Python json port', () => {
  it('keeps ints and floats apart and writes floats like repr()', () => {
    expect(pyJsonDumps(pyJsonLoads('[1, 1.0, -0.0, 1e16, 1e-5, 0.0001, 123456789012345678901234567890, 1.5e300, 2.5E3]'))).toBe(
      '[1, 1.0, -0.0, 1e+16, 1e-05, 0.0001, 123456789012345678901234567890, 1.5e+300, 2500.0]',
    );
    expect(pyFloatRepr(1e15)).toBe('1000000000000000.0');
    expect(pyFloatRepr(0.1 + 0.2)).toBe('0.30000000000000004');
  });

  it('accepts NaN/Infinity, keeps key order and lets the last duplicate win in the first position', () => {
    expect(pyJsonDumps(pyJsonLoads('{"b": 1, "10": NaN, "a": -Infinity, "b": 2}'))).toBe('{"b": 2, "10": NaN, "a": -Infinity}');
  });

  it('escapes like ensure_ascii=True', () => {
    expect(pyJsonDumps('é😀\u007f\u0001"\\/\n')).toBe('"\\u00e9\\ud83d\\ude00\\u007f\\u0001\\"\\\\/\\n"');
  });

  it.each(['{"a": 1,}', '[01]', '1.', '{"a" 1}', '"\u0001"', '\ufeff{}', '{} x', 'nul', '-'])('rejects %s', (text) => {
    expect(() => pyJsonLoads(text)).toThrow(PythonJsonError);
  });
});

describe('Python urllib.parse port', () => {
  it('splits like urlsplit, stripping leading C0/space and removing tab/CR/LF', () => {
    const parts = urlsplit(' \u0001HTTP://us\ter:pw@Host\n:80/p?q=1#f');
    expect([parts.scheme, parts.netloc, parts.path, parts.query, parts.fragment]).toEqual(['http', 'user:pw@Host:80', '/p', 'q=1', 'f']);
    expect([parts.username, parts.password, parts.hostname, parts.port]).toEqual(['user', 'pw', 'host', 80]);
    expect(urlsplit('1http://h').scheme).toBe('');
  });

  it('unquotes leniently and only inside ASCII runs', () => {
    expect(unquote('%41%zz%4%E2%82%AC%e2%82')).toBe('A%zz%4€\ufffd');
    expect(unquote('é%41')).toBe('éA');
    expect(unquote('%EF%BB%BFx')).toBe('\ufeffx');
  });

  it('quotes with safe="" and quote_plus turns spaces into +', () => {
    expect(quote('a b/~_.-!*')).toBe('a%20b%2F~_.-%21%2A');
    expect(quotePlus('a b+c')).toBe('a+b%2Bc');
    expect(urlencode([['k k', 'v&v']])).toBe('k+k=v%26v');
  });

  it('parses query strings with keep_blank_values=True and "&" only', () => {
    expect(parseQsl('a=1&&b&c=x+y&d=%3D;e=2')).toEqual([
      ['a', '1'],
      ['b', ''],
      ['c', 'x y'],
      ['d', '=;e=2'],
    ]);
  });
});
