/**
 * Connection URIs, both ways: Airflow's own test tables (test_from_uri_params,
 * test_connection_from_with_auth_info), the odd parts of spec §6.1, and getUri (§6.2), with the
 * places where Airflow 3.3.2 differs from the spec. Expected values were checked against the
 * installed Airflow 3.3.2; the differential test covers the rest.
 */
import { describe, expect, it } from 'vitest';
import { Connection, type ParserFlavour } from '../model/connection/connection';
import { ConnectionFormatError } from '../model/errors';
import { BOTH, formatErrorOf } from './support/connection-parse';

function parse(uri: string, parser: ParserFlavour = 'sdk'): Connection {
  return Connection.fromUri(uri, { connId: 'test_conn', parser });
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
