/** Connections stored as JSON (spec §6.4): extra, conn_type and port as Airflow 3.3.2 reads them, in both flavours. */
import { describe, expect, it } from 'vitest';
import { Connection } from '../model/connection/connection';
import { pyJsonDumps } from '../model/connection/python-json-dumps';
import { ConnectionFormatError } from '../model/errors';
import { BOTH, formatErrorOf } from './support/connection-parse';

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
