/**
 * Python's `json.dumps` (3.11, default arguments): `extra` is stored as JSON text that Python wrote
 * and re-emitted in URIs (`__extra__`), so the exact bytes matter: ensure_ascii escapes, `", "` and
 * `": "` separators, floats as `repr()` writes them, `NaN`/`Infinity` as Python spells them.
 */
import { MalformedSecretError } from '../errors';
import { MAX_NESTING } from './python-json-loads';
import { pyClassName, pyFloatRepr, pyTypeName } from './python-values';

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
