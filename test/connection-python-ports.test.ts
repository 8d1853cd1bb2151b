/** The ports of Python's json and urllib.parse the connection model parses with: Python's answers, byte for byte. */
import { describe, expect, it } from 'vitest';
import { pyFloatRepr } from '../model/connection/python-values';
import { pyJsonDumps } from '../model/connection/python-json-dumps';
import { pyJsonLoads, PythonJsonError } from '../model/connection/python-json-loads';
import { parseQsl, quote, quotePlus, unquote, urlencode, urlsplit } from '../model/connection/python-url';

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
