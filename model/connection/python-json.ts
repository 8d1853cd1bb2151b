/**
 * Python's `json.loads` / `json.dumps` (3.11, default arguments) where Airflow relies on them: a
 * connection's `extra` and a local secrets file are read by `json.loads`, and `extra` is stored as
 * JSON *text* that Python wrote and re-emitted in URIs (`__extra__`), so the exact bytes matter.
 * `1` and `1.0` differ, big integers stay exact, `NaN`/`Infinity` are accepted, the last duplicate
 * key wins but keeps the first key's position, and key order is the document's.
 *
 * Errors are those of CPython's C scanner (`_json.c`), which `json.loads` uses when the extension
 * is built, as it is under Airflow: its messages carry no text from the document, only a position,
 * so a secret never reaches a message through them.
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
 * CPython 3.11 counts the C scanner's and encoder's nesting against the interpreter's recursion
 * limit (1000), less the Python frames already on the stack, so Airflow gives up a few dozen
 * levels earlier, by an amount that depends on the caller. This is the bound it cannot exceed.
 */
const MAX_NESTING = 1000;

/**
 * json.loads failed. `decodeError` is true for Python's JSONDecodeError (the one Airflow catches in
 * `extra_dejson` and in the file loader); false for the ValueError an over-long integer raises and
 * the RecursionError of a too-deep document, which propagate. `msg`, `position`, `lineno` and
 * `colno` are the JSONDecodeError attributes; `message` is its `str()`. Positions count code points,
 * as Python's do, so an emoji before the error moves them by one, not two.
 */
export class PythonJsonError extends MalformedSecretError {
  readonly decodeError: boolean;
  readonly msg: string;
  readonly position: number;
  readonly lineno: number;
  readonly colno: number;

  private constructor(msg: string, text: string, index: number, decodeError: boolean, hint: string) {
    const before = text.slice(0, index);
    const position = codePointCount(before);
    const lineno = countNewlines(before) + 1;
    const colno = codePointCount(before.slice(before.lastIndexOf('\n') + 1)) + 1;
    super(decodeError ? `${msg}: line ${lineno} column ${colno} (char ${position})` : msg, { hint });
    this.decodeError = decodeError;
    this.msg = msg;
    this.position = position;
    this.lineno = lineno;
    this.colno = colno;
  }

  /** `index` is a JavaScript (UTF-16) index into `text`. */
  static decode(msg: string, text: string, index: number): PythonJsonError {
    return new PythonJsonError(msg, text, index, true, 'write valid JSON: double-quoted keys and strings, no trailing commas');
  }

  static refused(msg: string, text: string, index: number, hint: string): PythonJsonError {
    return new PythonJsonError(msg, text, index, false, hint);
  }
}

function countNewlines(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count += 1;
  return count;
}

/** Python's `len()`: a surrogate pair is one character, a lone surrogate is one too. */
function codePointCount(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

const JSON_WHITESPACE = ' \t\n\r';
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const LITERALS: ReadonlyArray<readonly [string, PyValue]> = [
  ['null', null],
  ['true', true],
  ['false', false],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
];

function isAsciiDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

/** The C scanner (`scan_once_unicode` and its helpers), position for position. */
class Scanner {
  constructor(private readonly text: string) {}

  fail(msg: string, position: number): never {
    throw PythonJsonError.decode(msg, this.text, position);
  }

  skipWhitespace(index: number): number {
    let i = index;
    while (i < this.text.length && JSON_WHITESPACE.includes(this.text[i] as string)) i += 1;
    return i;
  }

  /** [value, indexAfter], or `null` when no value starts here (the C scanner's StopIteration). */
  scanValue(index: number, depth: number): [PyValue, number] | null {
    const text = this.text;
    const ch = text[index];
    if (ch === undefined) return null;
    if (ch === '"') return this.scanString(index + 1);
    if (ch === '{' || ch === '[') {
      const kind = ch === '{' ? 'object' : 'array';
      if (depth >= MAX_NESTING) {
        throw PythonJsonError.refused(
          `maximum recursion depth exceeded while decoding a JSON ${kind} from a unicode string`,
          text,
          index,
          `Python's json module stops with RecursionError before ${MAX_NESTING} nested levels; flatten the document`,
        );
      }
      return kind === 'object' ? this.scanObject(index + 1, depth + 1) : this.scanArray(index + 1, depth + 1);
    }
    for (const [word, value] of LITERALS) {
      if (text.startsWith(word, index)) return [value, index + word.length];
    }
    return this.scanNumber(index);
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
    if (text[i] === 'e' || text[i] === 'E') {
      // An exponent without digits is not part of the number: the scanner backs up to the `e`.
      const exponentStart = i;
      i += 1;
      if (text[i] === '-' || text[i] === '+') i += 1;
      const digitsStart = i;
      while (isAsciiDigit(text[i])) i += 1;
      if (i === digitsStart) i = exponentStart;
      else isFloat = true;
    }
    const literal = text.slice(start, i);
    if (isFloat) return [Number(literal), i];
    const digits = literal.startsWith('-') ? literal.length - 1 : literal.length;
    if (digits > INT_MAX_STR_DIGITS) {
      throw PythonJsonError.refused(
        `Exceeds the limit (${INT_MAX_STR_DIGITS} digits) for integer string conversion: value has ${digits} digits`,
        text,
        start,
        "Python's int() refuses longer digit strings (sys.set_int_max_str_digits() raises the limit)",
      );
    }
    return [BigInt(literal), i];
  }

  private scanString(afterQuote: number): [string, number] {
    const text = this.text;
    const begin = afterQuote - 1;
    let out = '';
    let i = afterQuote;
    for (;;) {
      let chunkEnd = i;
      while (chunkEnd < text.length) {
        const code = text.charCodeAt(chunkEnd);
        if (code === 0x22 || code === 0x5c || code < 0x20) break;
        chunkEnd += 1;
      }
      if (chunkEnd >= text.length) this.fail('Unterminated string starting at', begin);
      out += text.slice(i, chunkEnd);
      const terminator = text[chunkEnd];
      if (terminator === '"') return [out, chunkEnd + 1];
      if (terminator !== '\\') this.fail('Invalid control character at', chunkEnd);
      const escapeAt = chunkEnd + 1;
      const escape = text[escapeAt];
      if (escape === undefined) this.fail('Unterminated string starting at', begin);
      if (escape !== 'u') {
        const replacement = SIMPLE_ESCAPES[escape];
        if (replacement === undefined) this.fail('Invalid \\escape', chunkEnd);
        out += replacement;
        i = escapeAt + 1;
        continue;
      }
      const unit = this.readHex4(escapeAt + 1);
      i = escapeAt + 5;
      if (unit >= 0xd800 && unit <= 0xdbff && i + 6 < text.length && text[i] === '\\' && text[i + 1] === 'u') {
        const low = this.readHex4(i + 2);
        if (low >= 0xdc00 && low <= 0xdfff) {
          out += String.fromCharCode(unit, low);
          i += 6;
          continue;
        }
      }
      out += String.fromCharCode(unit);
    }
  }

  /**
   * Four hex digits at `start`. The C scanner wants at least one character after them (the
   * closing quote), and points its error at the `u`.
   */
  private readHex4(start: number): number {
    const hex = this.text.slice(start, start + 4);
    if (start + 4 >= this.text.length || !/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('Invalid \\uXXXX escape', start - 1);
    return Number.parseInt(hex, 16);
  }

  private scanObject(afterBrace: number, depth: number): [PyDict, number] {
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
      const scanned = this.scanValue(i, depth);
      if (scanned === null) this.fail('Expecting value', i);
      // Map.set keeps the first position of a repeated key and the last value: dict(pairs).
      result.set(key, scanned[0]);
      i = this.skipWhitespace(scanned[1]);
      if (text[i] === '}') return [result, i + 1];
      if (text[i] !== ',') this.fail("Expecting ',' delimiter", i);
      i = this.skipWhitespace(i + 1);
    }
  }

  private scanArray(afterBracket: number, depth: number): [PyValue[], number] {
    const text = this.text;
    const result: PyValue[] = [];
    let i = this.skipWhitespace(afterBracket);
    if (text[i] === ']') return [result, i + 1];
    for (;;) {
      const scanned = this.scanValue(i, depth);
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
  const scanner = new Scanner(text);
  if (text.startsWith('\ufeff')) scanner.fail('Unexpected UTF-8 BOM (decode using utf-8-sig)', 0);
  const start = scanner.skipWhitespace(0);
  const scanned = scanner.scanValue(start, 0);
  if (scanned === null) return scanner.fail('Expecting value', start);
  const end = scanner.skipWhitespace(scanned[1]);
  if (end !== text.length) scanner.fail('Extra data', end);
  return scanned[0];
}

/**
 * Python's `repr()` of what `json.loads` or a kwarg can hold (None, bool, int, float, str, list,
 * dict), as Airflow's messages print it.
 */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) < 2 ** 53 ? String(value) : pyFloatRepr(value);
  if (typeof value === 'string') return pyStrRepr(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value as Record<string, unknown>);
  return `{${entries.map(([key, item]) => `${pyRepr(key)}: ${pyRepr(item)}`).join(', ')}}`;
}

/** Python's `str()`: a string as it is, anything else its `repr()`. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

/** `repr(str)`: single quotes unless the text has `'` and no `"`; non-printable characters escaped. */
function pyStrRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let repr = quote;
  for (const character of text) {
    if (character === quote || character === '\\') repr += `\\${character}`;
    else if (character === '\n') repr += '\\n';
    else if (character === '\r') repr += '\\r';
    else if (character === '\t') repr += '\\t';
    else if (/^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]$/u.test(character) || (/^\p{Zs}$/u.test(character) && character !== ' ')) {
      const code = character.codePointAt(0) ?? 0;
      repr += code <= 0xff ? `\\x${hex(code, 2)}` : code <= 0xffff ? `\\u${hex(code, 4)}` : `\\U${hex(code, 8)}`;
    } else repr += character;
  }
  return repr + quote;
}

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
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

function dumpFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return pyFloatRepr(value);
}

/** Where a value came from, for the errors of `pyJsonDumps`; never the value itself. */
export interface DumpsContext {
  what?: string;
  where?: string | undefined;
}

/**
 * Python `json.dumps(value)` with default arguments (ensure_ascii, `", "` and `": "`). Takes a
 * `PyValue` or what a YAML or JavaScript caller holds: a `Map` with non-string keys, a plain object,
 * `undefined` as None. Anything else fails as Python does ("is not JSON serializable").
 */
export function pyJsonDumps(value: unknown, context: DumpsContext = {}): string {
  const dump = (item: unknown, depth: number): string => {
    if (item === null || item === undefined) return 'null';
    if (item === true) return 'true';
    if (item === false) return 'false';
    if (typeof item === 'bigint') return item.toString();
    if (typeof item === 'number') return dumpFloat(item);
    if (typeof item === 'string') return escapeAscii(item);
    const isArray = Array.isArray(item);
    if (!isArray && !(item instanceof Map) && !isPlainObject(item)) {
      throw new MalformedSecretError(`Object of type ${pyTypeName(item)} is not JSON serializable`, {
        ...context,
        hint: 'use strings, numbers, booleans, lists and mappings only',
      });
    }
    if (depth >= MAX_NESTING) {
      throw new MalformedSecretError('maximum recursion depth exceeded while encoding a JSON object', {
        ...context,
        hint: `Python's json module stops with RecursionError before ${MAX_NESTING} nested levels; flatten the value`,
      });
    }
    if (isArray) return `[${(item as unknown[]).map((element) => dump(element, depth + 1)).join(', ')}]`;
    const entries = item instanceof Map ? [...item] : Object.entries(item as Record<string, unknown>);
    return `{${entries.map(([key, element]) => `${escapeAscii(dictKey(key))}: ${dump(element, depth + 1)}`).join(', ')}}`;
  };
  const dictKey = (key: unknown): string => {
    if (typeof key === 'string') return key;
    if (typeof key === 'bigint') return key.toString();
    if (typeof key === 'number') return dumpFloat(key);
    if (typeof key === 'boolean' || key === null) return String(key);
    throw new MalformedSecretError(`keys must be str, int, float, bool or None, not ${pyClassName(key)}`, {
      ...context,
      hint: 'use text or numbers as mapping keys',
    });
  };
  return dump(value, 0);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Python's truth value of a JSON- or YAML-born object. */
export function pyTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return false;
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'number') return value !== 0; // NaN is truthy in Python too
  if (typeof value === 'string' || Array.isArray(value)) return value.length > 0;
  if (value instanceof Map || value instanceof Set) return value.size > 0;
  return true;
}

/** Python's `type(value).__name__`, for messages. A YAML timestamp is a `Date` here. */
export function pyTypeName(value: unknown): string {
  return pyClassName(value).replace(/^.*\./, '');
}

/** The class's `tp_name`, as `<class '...'>` and the C encoder print it: module-qualified outside builtins. */
export function pyClassName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'float';
  if (typeof value === 'string') return 'str';
  if (Array.isArray(value)) return 'list';
  if (value instanceof Map) return 'dict';
  if (value instanceof Set) return 'set';
  if (value instanceof Date) return 'datetime.datetime';
  if (value instanceof Uint8Array) return 'bytes';
  return 'object';
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
