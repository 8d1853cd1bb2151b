/**
 * Python's `json.loads` / `json.dumps` (3.11, C scanner, default arguments) where Airflow relies
 * on them. A connection's `extra` is stored as JSON *text* that Python wrote, and that text is
 * re-emitted in URIs (`__extra__`), so the exact bytes matter: `1` and `1.0` differ, big integers
 * stay exact, `NaN`/`Infinity` are accepted, the last duplicate key wins but keeps the first key's
 * position, and key order is the document's.
 *
 * Values are modelled so that nothing is lost: an `int` is a `bigint`, a `float` is a `number`, a
 * `dict` is a `Map` (a plain object would move integer-like keys to the front).
 */
import { MalformedSecretError } from '../errors';

export type PyDict = Map<string, PyValue>;
export type PyValue = null | boolean | bigint | number | string | PyValue[] | PyDict;

/** Python refuses to convert longer digit strings to `int` (sys.get_int_max_str_digits()). */
const INT_MAX_STR_DIGITS = 4300;

/**
 * json.loads failed. `decodeError` is true for Python's JSONDecodeError (the case Airflow catches
 * in `extra_dejson`); false for the ValueError an over-long integer raises, which it does not.
 */
export class PythonJsonError extends MalformedSecretError {
  readonly decodeError: boolean;
  readonly position: number;

  constructor(message: string, position: number, decodeError = true) {
    super(message);
    this.decodeError = decodeError;
    this.position = position;
  }
}

const JSON_WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

function isAsciiDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `line ${line} column ${column} (char ${position})`;
}

class Scanner {
  private readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  fail(message: string, position: number): never {
    throw new PythonJsonError(`${message}: ${lineAndColumn(this.text, position)}`, position);
  }

  skipWhitespace(index: number): number {
    let i = index;
    while (i < this.text.length && JSON_WHITESPACE.has(this.text[i] as string)) i += 1;
    return i;
  }

  /** Returns [value, indexAfter]; `null` when no value starts here (Python's StopIteration). */
  scanValue(index: number): [PyValue, number] | null {
    const text = this.text;
    const ch = text[index];
    if (ch === undefined) return null;
    switch (ch) {
      case '"':
        return this.scanString(index + 1);
      case '{':
        return this.scanObject(index + 1);
      case '[':
        return this.scanArray(index + 1);
      case 'n':
        return text.startsWith('null', index) ? [null, index + 4] : null;
      case 't':
        return text.startsWith('true', index) ? [true, index + 4] : null;
      case 'f':
        return text.startsWith('false', index) ? [false, index + 5] : null;
      case 'N':
        return text.startsWith('NaN', index) ? [Number.NaN, index + 3] : null;
      case 'I':
        return text.startsWith('Infinity', index) ? [Number.POSITIVE_INFINITY, index + 8] : null;
      case '-':
        if (text.startsWith('-Infinity', index)) return [Number.NEGATIVE_INFINITY, index + 9];
        return this.scanNumber(index);
      default:
        return this.scanNumber(index);
    }
  }

  private scanNumber(start: number): [PyValue, number] | null {
    const text = this.text;
    let i = start;
    if (text[i] === '-') i += 1;
    const first = text[i];
    if (first !== undefined && first >= '1' && first <= '9') {
      i += 1;
      while (isAsciiDigit(text[i])) i += 1;
    } else if (first === '0') {
      i += 1;
    } else {
      return null;
    }
    let isFloat = false;
    if (text[i] === '.' && isAsciiDigit(text[i + 1])) {
      isFloat = true;
      i += 2;
      while (isAsciiDigit(text[i])) i += 1;
    }
    if ((text[i] === 'e' || text[i] === 'E') && i < text.length - 1) {
      const exponentStart = i;
      i += 1;
      if ((text[i] === '-' || text[i] === '+') && i < text.length - 1) i += 1;
      while (isAsciiDigit(text[i])) i += 1;
      if (isAsciiDigit(text[i - 1])) isFloat = true;
      else i = exponentStart;
    }
    const literal = text.slice(start, i);
    if (isFloat) return [Number(literal), i];
    const digits = literal.startsWith('-') ? literal.length - 1 : literal.length;
    if (digits > INT_MAX_STR_DIGITS) {
      throw new PythonJsonError(
        `Exceeds the limit (${INT_MAX_STR_DIGITS} digits) for integer string conversion: value has ${digits} digits`,
        start,
        false,
      );
    }
    return [BigInt(literal), i];
  }

  private readHex4(at: number, errorAt: number): number {
    const hex = this.text.slice(at, at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('Invalid \\uXXXX escape', errorAt);
    return Number.parseInt(hex, 16);
  }

  private scanString(afterQuote: number): [string, number] {
    const text = this.text;
    const begin = afterQuote - 1;
    let out = '';
    let i = afterQuote;
    for (;;) {
      const ch = text[i];
      if (ch === undefined) this.fail('Unterminated string starting at', begin);
      if (ch === '"') return [out, i + 1];
      if (ch === '\\') {
        const escape = text[i + 1];
        if (escape === undefined) this.fail('Unterminated string starting at', begin);
        if (escape !== 'u') {
          const replacement = SIMPLE_ESCAPES[escape];
          if (replacement === undefined) this.fail(`Invalid \\escape: ${JSON.stringify(escape)}`, i + 1);
          out += replacement;
          i += 2;
          continue;
        }
        const unit = this.readHex4(i + 2, i + 1);
        i += 6;
        if (unit >= 0xd800 && unit <= 0xdbff && text[i] === '\\' && text[i + 1] === 'u') {
          const low = this.readHex4(i + 2, i + 1);
          if (low >= 0xdc00 && low <= 0xdfff) {
            out += String.fromCharCode(unit, low);
            i += 6;
            continue;
          }
        }
        out += String.fromCharCode(unit);
        continue;
      }
      if (ch < ' ') this.fail(`Invalid control character ${JSON.stringify(ch)} at`, i);
      out += ch;
      i += 1;
    }
  }

  private scanObject(afterBrace: number): [PyDict, number] {
    const text = this.text;
    const result: PyDict = new Map();
    let i = this.skipWhitespace(afterBrace);
    if (text[i] === '}') return [result, i + 1];
    for (;;) {
      if (text[i] !== '"') this.fail('Expecting property name enclosed in double quotes', i);
      const [key, afterKey] = this.scanString(i + 1);
      i = this.skipWhitespace(afterKey);
      if (text[i] !== ':') this.fail("Expecting ':' delimiter", i);
      i = this.skipWhitespace(i + 1);
      const scanned = this.scanValue(i);
      if (scanned === null) this.fail('Expecting value', i);
      // Map.set keeps the first position of a repeated key and the last value: dict(pairs).
      result.set(key, scanned[0]);
      i = this.skipWhitespace(scanned[1]);
      if (text[i] === '}') return [result, i + 1];
      if (text[i] !== ',') this.fail("Expecting ',' delimiter", i);
      i = this.skipWhitespace(i + 1);
    }
  }

  private scanArray(afterBracket: number): [PyValue[], number] {
    const text = this.text;
    const result: PyValue[] = [];
    let i = this.skipWhitespace(afterBracket);
    if (text[i] === ']') return [result, i + 1];
    for (;;) {
      const scanned = this.scanValue(i);
      if (scanned === null) this.fail('Expecting value', i);
      result.push(scanned[0]);
      i = this.skipWhitespace(scanned[1]);
      if (text[i] === ']') return [result, i + 1];
      if (text[i] !== ',') this.fail("Expecting ',' delimiter", i);
      i = this.skipWhitespace(i + 1);
    }
  }
}

/** Python `json.loads(text)` with default arguments. Throws `PythonJsonError`. */
export function pyJsonLoads(text: string): PyValue {
  if (text.startsWith('\ufeff')) throw new PythonJsonError('Unexpected UTF-8 BOM (decode using utf-8-sig)', 0);
  const scanner: Scanner = new Scanner(text);
  const start = scanner.skipWhitespace(0);
  const scanned = scanner.scanValue(start);
  if (scanned === null) return scanner.fail('Expecting value', start);
  const end = scanner.skipWhitespace(scanned[1]);
  if (end !== text.length) scanner.fail('Extra data', end);
  return scanned[0];
}

/** Python's `repr(float)`: shortest round-trip digits, exponent form outside 1e-4 <= |x| < 1e16. */
export function pyFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Number.POSITIVE_INFINITY) return 'inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  const [mantissa = '', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number.parseInt(exponentText, 10);
  const pointPosition = exponent + 1;
  if (pointPosition <= -4 || pointPosition > 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const exponentDigits = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? '-' : '+'}${exponentDigits}`;
  }
  if (pointPosition <= 0) return `${sign}0.${'0'.repeat(-pointPosition)}${digits}`;
  if (pointPosition >= digits.length) return `${sign}${digits}${'0'.repeat(pointPosition - digits.length)}.0`;
  return `${sign}${digits.slice(0, pointPosition)}.${digits.slice(pointPosition)}`;
}

function escapeAscii(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i] as string;
    const code = ch.charCodeAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (code >= 0x20 && code <= 0x7e) out += ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    // UTF-16 units are exactly the surrogate-pair escapes Python writes for astral characters.
    else out += `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

/** Python `json.dumps(value)` with default arguments (ensure_ascii, `", "` and `": "`). */
export function pyJsonDumps(value: PyValue): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (value === Number.POSITIVE_INFINITY) return 'Infinity';
    if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
    return pyFloatRepr(value);
  }
  if (typeof value === 'string') return escapeAscii(value);
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(', ')}]`;
  const members = [...value].map(([key, member]) => `${escapeAscii(key)}: ${pyJsonDumps(member)}`);
  return `{${members.join(', ')}}`;
}

/** Python's truth value of a JSON-born object. */
export function pyTruthy(value: PyValue): boolean {
  if (value === null || value === false) return false;
  if (value === true) return true;
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'number') return value !== 0; // NaN is truthy in Python too
  if (typeof value === 'string' || Array.isArray(value)) return value.length > 0;
  return value.size > 0;
}

/** Python's `type(value).__name__`, for messages. */
export function pyTypeName(value: PyValue): string {
  if (value === null) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'float';
  if (typeof value === 'string') return 'str';
  return Array.isArray(value) ? 'list' : 'dict';
}

/** Python `a == b` for JSON-born values (`1 == 1.0 == True`, NaN unequal to itself). */
export function pyEquals(a: PyValue, b: PyValue): boolean {
  const numeric = (v: PyValue): number | bigint | null =>
    typeof v === 'boolean' ? BigInt(v) : typeof v === 'bigint' || typeof v === 'number' ? v : null;
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== null || nb !== null) {
    if (na === null || nb === null) return false;
    if (typeof na === 'bigint' && typeof nb === 'bigint') return na === nb;
    // Mixed int/float: compare exactly, as Python does (no rounding of big ints).
    const asFloat = typeof na === 'number' ? na : (nb as number);
    const asInt = typeof na === 'bigint' ? na : typeof nb === 'bigint' ? nb : null;
    if (asInt === null) return na === nb;
    return Number.isInteger(asFloat) && BigInt(asFloat) === asInt;
  }
  if (a === null || b === null) return a === b;
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => pyEquals(item, b[i] as PyValue));
  }
  if (!(a instanceof Map) || !(b instanceof Map) || a.size !== b.size) return false;
  for (const [key, value] of a) {
    if (!b.has(key) || !pyEquals(value, b.get(key) as PyValue)) return false;
  }
  return true;
}

/**
 * The value as plain JavaScript: `int` becomes `number` (exact up to 2^53), `dict` a plain object.
 * Integer-like keys move to the front of a plain object; callers that need Python's order keep the
 * `PyValue`.
 */
export function pyToPlain(value: PyValue): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(pyToPlain);
  return Object.fromEntries([...value].map(([key, member]) => [key, pyToPlain(member)]));
}

/**
 * A plain JavaScript value (from YAML, JSON.parse, a caller) as the Python object the same document
 * would have produced. A number with no fraction becomes an `int`: JavaScript cannot tell `1.0` from
 * `1`, so a YAML `1.0` is written back as `1`.
 */
export function plainToPy(value: unknown): PyValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean' || typeof value === 'string' || typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(plainToPy);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [String(k), plainToPy(v)]));
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    return new Map(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, plainToPy(v)]));
  }
  return String(value);
}
