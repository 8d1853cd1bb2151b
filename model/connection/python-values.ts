/**
 * Python's view of the values `json.loads`, YAML and a caller's kwargs produce: the types as Python
 * names them, `repr()`/`str()` as Airflow's messages print them, truth, equality, and the exact
 * conversion to and from plain JavaScript. Values are modelled so that nothing is lost: an `int` is
 * a `bigint`, a `float` is a `number`, a `dict` is a `Map` (a plain object would move integer-like
 * keys to the front).
 */
export type PyDict = Map<string, PyValue>;
export type PyValue = null | boolean | bigint | number | string | PyValue[] | PyDict;

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
