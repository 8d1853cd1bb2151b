/**
 * Python's `json.loads` (3.11, default arguments) where Airflow relies on it: a connection's
 * `extra` and a local secrets file are read by it. `1` and `1.0` differ, big integers stay exact,
 * `NaN`/`Infinity` are accepted, the last duplicate key wins but keeps the first key's position,
 * and key order is the document's.
 *
 * Errors are those of CPython's C scanner (`_json.c`), which `json.loads` uses when the extension
 * is built, as it is under Airflow: its messages carry no text from the document, only a position,
 * so a secret never reaches a message through them.
 */
import { MalformedSecretError } from '../errors';
import type { PyDict, PyValue } from './python-values';

/** Python refuses to convert longer digit strings to `int` (sys.get_int_max_str_digits()). */
const INT_MAX_STR_DIGITS = 4300;

/**
 * CPython 3.11 counts the C scanner's and encoder's nesting against the interpreter's recursion
 * limit (1000), less the Python frames already on the stack, so Airflow gives up a few dozen
 * levels earlier, by an amount that depends on the caller. This is the bound it cannot exceed.
 */
export const MAX_NESTING = 1000;

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
