/**
 * The two Python built-ins a stored connection value passes through before Airflow reads it:
 * `str.strip()` (BaseSecretsBackend.deserialize_connection) and `int()` (a JSON port). Both take
 * more than ASCII, so a port of `"٤٤٣"` or a value padded with U+3000 reads as Airflow reads it.
 */
import type { PyValue } from './python-values';

// Python's str.isspace() set (Unicode 14, as in Python 3.11): what str.strip() skips.
const PYTHON_WHITESPACE =
  '\t\n\u000b\u000c\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005' +
  '\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';
const PYTHON_STRIP = new RegExp(`^[${PYTHON_WHITESPACE}]+|[${PYTHON_WHITESPACE}]+$`, 'g');
/**
 * What int() skips is narrower: CPython copies every character below U+007F as it is and skips
 * only C's isspace() set among them, so the separators U+001C-U+001F are refused there although
 * str.isspace() counts them. Beyond ASCII, each str.isspace() character counts as a space.
 */
const INT_ASCII_WHITESPACE = '\t\n\u000b\u000c\r ';

// The code point of every "0" among Unicode 14 decimal digits (each starts a run of ten). Python's
// int() accepts any of them, so `"٤٤٣"` is port 443.
const DECIMAL_DIGIT_ZEROS = [
  0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66, 0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0,
  0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90, 0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10, 0x104a0,
  0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0,
  0x16a60, 0x16ac0, 0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
];

/** Python `str.strip()`. */
export function pythonStrip(text: string): string {
  return text.replace(PYTHON_STRIP, '');
}

function decimalDigitValue(codePoint: number): number | null {
  for (const zero of DECIMAL_DIGIT_ZEROS) {
    if (codePoint >= zero && codePoint < zero + 10) return codePoint - zero;
  }
  return null;
}

type IntFailure = 'value' | 'type' | 'overflow';

export class PythonIntError extends Error {
  constructor(readonly failure: IntFailure) {
    super(failure);
  }
}

/** Python `int(value)` for JSON-born values: truncates floats, parses Unicode digits and `_`. */
export function pythonInt(value: PyValue): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) throw new PythonIntError('value');
    if (!Number.isFinite(value)) throw new PythonIntError('overflow');
    return BigInt(Math.trunc(value));
  }
  if (typeof value !== 'string') throw new PythonIntError('type');
  let ascii = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) as number;
    const digit = decimalDigitValue(code);
    const isSpace = code < 0x7f ? INT_ASCII_WHITESPACE.includes(ch) : PYTHON_WHITESPACE.includes(ch);
    ascii += digit !== null ? String(digit) : isSpace ? ' ' : ch;
  }
  const match = /^ *([+-]?)([0-9]+(?:_[0-9]+)*) *$/.exec(ascii);
  if (!match) throw new PythonIntError('value');
  const digits = (match[2] as string).replace(/_/g, '');
  if (digits.length > 4300) throw new PythonIntError('value');
  const magnitude = BigInt(digits);
  return match[1] === '-' ? -magnitude : magnitude;
}
