/**
 * The connection model around the parsers: Connection(**kwargs) from a file, the core model's own
 * rules, BaseSecretsBackend's choice between JSON and URI, and redaction of a value for messages.
 */
import { describe, expect, it } from 'vitest';
import { Connection, deserializeConnection } from '../model/connection/connection';
import { redactConnectionText } from '../model/connection/connection-errors';
import { sanitizeConnId } from '../model/connection/connection-fields';
import { ConnectionFormatError } from '../model/errors';
import { BOTH, formatErrorOf } from './support/connection-parse';

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
