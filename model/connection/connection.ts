/**
 * Airflow's connection model in its two flavours (spec §6), matched to Airflow 3.3.2:
 *   - `sdk`  = task SDK 1.3.2 `airflow/sdk/definitions/connection.py` (workers, provider backends);
 *   - `core` = `airflow/models/connection.py`, the ORM class (API server, LocalFilesystemBackend).
 * They differ in small ways that decide what a task sees: core turns URI query values into JSON
 * types, validates `extra`, drops an empty password and sanitises the conn_id; the SDK does none
 * of that. `test/connection-differential.test.ts` checks this file against the installed Airflow.
 *
 * One deliberate difference: Airflow does not type-check JSON field values, so `{"host": 5}` gives
 * a connection whose host is the number 5. Mostly its `get_uri()` then raises TypeError, which every
 * lookup path treats as a failed backend; but a falsy host or schema (`0`, `[]`) or any description
 * is served as it is. Here the text fields are strings, so such a value is a ConnectionFormatError
 * at parse time. `test/connection-known-divergences.ts` declares both cases, with the two other
 * differences no port can avoid: Python's recursion budget for nested JSON, and Unicode versions.
 */
import { ConnectionFormatError, MalformedSecretError } from '../errors';
import {
  PythonJsonError,
  plainToPy,
  pyEquals,
  pyJsonDumps,
  pyJsonLoads,
  pyToPlain,
  pyTruthy,
  pyTypeName,
  type PyDict,
  type PyValue,
} from './python-json';
import { hasLoneSurrogate, parseQsl, quote, quotePlus, unquote, urlencode, urlsplit, type SplitResult } from './python-url';

export type ParserFlavour = 'sdk' | 'core';

/**
 * `extra` as Airflow's `extra_dejson` returns it. Usually an object; the SDK hands back whatever
 * JSON the text holds (`?__extra__=5` gives 5, `"null"` gives null), so the view can too.
 */
export type ExtraView = Record<string, unknown> | unknown[] | string | number | boolean | null;

/**
 * A port as Airflow holds it: a Python int, which JSON and YAML values can make arbitrarily large or
 * negative. A number while it is exact (every safe integer, so every port a socket takes), a bigint
 * beyond 2^53, where a number would round to a neighbouring value.
 */
export type ConnectionPort = number | bigint;

/** `value` as a ConnectionPort: a number when that is exact, else the bigint itself. */
function exactPort(value: bigint): ConnectionPort {
  const asNumber = Number(value);
  return Number.isSafeInteger(asNumber) ? asNumber : value;
}

export interface ConnectionView {
  conn_type: string | null;
  host: string | null;
  login: string | null;
  password: string | null;
  schema: string | null;
  port: ConnectionPort | null;
  extra: ExtraView;
}

interface ParseOptions {
  connId?: string;
  parser?: ParserFlavour;
}

const EXTRA_KEY = '__extra__';
const SDK_FIELD_NAMES = ['conn_type', 'description', 'host', 'schema', 'login', 'password', 'port', 'extra'];
const CORE_FIELD_NAMES = [...SDK_FIELD_NAMES, 'team_name'];
type TextField = 'conn_type' | 'description' | 'host' | 'login' | 'password' | 'schema';

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

class PythonIntError extends Error {
  constructor(readonly failure: IntFailure) {
    super(failure);
  }
}

/** Python `int(value)` for JSON-born values: truncates floats, parses Unicode digits and `_`. */
function pythonInt(value: PyValue): bigint {
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

/** Airflow's `_normalize_conn_type`: `postgresql` becomes `postgres`, else every `-` becomes `_`. */
export function normalizeConnType(connType: string): string {
  if (connType === 'postgresql') return 'postgres';
  return connType.includes('-') ? connType.split('-').join('_') : connType;
}

const CONN_ID_PATTERN = /^[\p{L}\p{N}_#!()\-.:/\\]+(?=\n?$)/u;

/** Core `sanitize_conn_id`: Python's `re.match` with `\w` and a `$` that allows one final newline. */
export function sanitizeConnId(connId: string | null): string | null {
  if (connId === null || [...connId].length > 250) return null;
  const match = CONN_ID_PATTERN.exec(connId);
  return match ? match[0] : null;
}

function clip(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

/**
 * A connection value made safe for messages. URIs keep scheme, host, port, path and query keys;
 * userinfo, query values and fragments become `***`. JSON keeps its keys; every string value
 * becomes `"***"`.
 */
export function redactConnectionText(value: string): string {
  const text = pythonStrip(value);
  if (text.startsWith('{')) {
    return text.replace(/"(?:[^"\\]|\\.)*"(\s*:)?/g, (literal, colon: string | undefined) => (colon ? literal : '"***"'));
  }
  const schemeMatch = /^[^:/?#@]*:\/\//.exec(text);
  const head = schemeMatch ? schemeMatch[0] : '';
  let rest = text.slice(head.length);
  // The last "@" ends the userinfo even when a raw "/", "?" or "#" sits in the password.
  const at = rest.lastIndexOf('@');
  if (at >= 0) rest = `***${rest.slice(at)}`;
  const fragmentAt = rest.indexOf('#');
  const fragment = fragmentAt >= 0 ? '#***' : '';
  if (fragmentAt >= 0) rest = rest.slice(0, fragmentAt);
  const queryAt = rest.indexOf('?');
  let query = '';
  if (queryAt >= 0) {
    query = `?${rest
      .slice(queryAt + 1)
      .split('&')
      .map((field) => (field.includes('=') ? `${field.slice(0, field.indexOf('='))}=***` : field))
      .join('&')}`;
    rest = rest.slice(0, queryAt);
  }
  // With no "@", text after a ":" that is not a port may be a password typed without its user.
  rest = rest.replace(/:([^/:@]*)/g, (whole, after: string) => (/^[0-9]*$/.test(after) ? whole : ':***'));
  return `${head}${rest}${query}${fragment}`;
}

function formatError(message: string, hint?: string, where?: string): ConnectionFormatError {
  return new ConnectionFormatError(message, {
    ...(hint === undefined ? {} : { hint }),
    ...(where === undefined ? {} : { where }),
  });
}

function invalidConnectionString(uri: string, why: string): ConnectionFormatError {
  return formatError(
    `Invalid connection string: ${why} in ${clip(redactConnectionText(uri))}`,
    'a URI has one "scheme://", plus at most one "protocol://" in front of the host; percent-encode the rest',
  );
}

function dropFirstCodePoint(text: string): string {
  if (!text) return text;
  return text.slice((text.codePointAt(0) as number) > 0xffff ? 2 : 1);
}

/** `_parse_netloc_to_hostname`: lower-cased host, unless it decodes to something with a `/`. */
function hostnameOf(parts: SplitResult): string {
  let hostname = unquote(parts.hostname ?? '');
  if (hostname.includes('/')) {
    hostname = parts.netloc;
    if (hostname.includes('@')) hostname = hostname.slice(hostname.lastIndexOf('@') + 1);
    if (hostname.includes(':')) hostname = hostname.slice(0, hostname.indexOf(':'));
    hostname = unquote(hostname);
  }
  return hostname;
}

interface ParsedFields {
  connType: string | null;
  host: string | null;
  schema: string | null;
  login: string | null;
  password: string | null;
  port: number | null;
  extra: string | null;
}

function parseJsonOrNull(text: string): PyValue | undefined {
  try {
    return pyJsonLoads(text);
  } catch (error) {
    if (!(error instanceof PythonJsonError)) throw error;
    if (error.decodeError) return undefined;
    // Airflow catches only JSONDecodeError here: an over-long integer or a too-deep document raises.
    throw formatError(`a JSON value in the connection cannot be read: ${error.message}`, error.hint);
  }
}

/**
 * `json.dumps` while parsing a connection value. What fails there (a document nested past the bound
 * of pyJsonDumps, once the query's own level is added) is a fault of the stored value, reported as
 * the connection's format error like every other.
 */
function dumpsStoredValue(value: PyValue): string {
  try {
    return pyJsonDumps(value);
  } catch (error) {
    if (!(error instanceof MalformedSecretError) || error instanceof ConnectionFormatError) throw error;
    throw formatError(`a JSON value in the connection cannot be written back as JSON: ${error.message}`, error.hint);
  }
}

/** `from_uri` (SDK) / `_parse_from_uri` (core): the same steps, except the query's value types. */
function parseUri(uri: string, parser: ParserFlavour): ParsedFields {
  const schemeCount = uri.split('://').length - 1;
  if (schemeCount > 2) throw invalidConnectionString(uri, 'more than two "://"');
  const hostWithProtocol = schemeCount === 2;
  const rawConnType = urlsplit(uri).scheme;
  // str.replace is global: every "<scheme>://" goes, not only the first (spec §6.1 step 4).
  const rest = uri.split(`${rawConnType}://`).join(hostWithProtocol ? '' : '//');
  if (hostWithProtocol) {
    const beforeProtocol = rest.split('://')[0] as string;
    if (beforeProtocol.includes('@') || beforeProtocol.includes(':')) {
      throw invalidConnectionString(uri, 'user or port before the protocol of a "protocol://host"');
    }
  }
  const parts = urlsplit(rest);
  const protocol = hostWithProtocol ? parts.scheme : null;
  const hostname = hostnameOf(parts);
  const host = hostname && protocol ? `${protocol}://${hostname}` : hostname;
  const quotedSchema = dropFirstCodePoint(parts.path);
  const schema = quotedSchema ? unquote(quotedSchema) : quotedSchema;
  const login = parts.username ? unquote(parts.username) : parts.username;
  const password = parts.password ? unquote(parts.password) : parts.password;
  const port = parts.port;
  let extra: string | null = null;
  if (parts.query) {
    const query: PyDict = new Map(parseQsl(parts.query));
    if (query.has(EXTRA_KEY)) {
      extra = query.get(EXTRA_KEY) as string;
    } else {
      if (parser === 'core') {
        // Core only (PR #59339): each non-empty value that is JSON becomes its JSON type.
        for (const [key, value] of query) {
          if (typeof value !== 'string' || !value) continue;
          const typed = parseJsonOrNull(value);
          if (typed !== undefined) query.set(key, typed);
        }
      }
      extra = dumpsStoredValue(query);
    }
  }
  return { connType: normalizeConnType(rawConnType), host, schema, login, password, port, extra };
}

function notTextError(name: TextField, value: PyValue): ConnectionFormatError {
  return formatError(
    `${name} must be a string or null, got ${pyTypeName(value)}`,
    `quote the value; Airflow would keep the ${pyTypeName(value)} and fail later when it builds the URI`,
  );
}

function textField(name: TextField, value: PyValue | undefined): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  throw notTextError(name, value);
}

function portFromJson(value: PyValue): bigint {
  try {
    return pythonInt(value);
  } catch (error) {
    const failure = error instanceof PythonIntError ? error.failure : 'value';
    const shown = typeof value === 'string' ? clip(JSON.stringify(value), 24) : pyTypeName(value);
    if (failure === 'type') throw formatError(`port must be an integer or a string of digits, got ${shown}`);
    if (failure === 'overflow') throw formatError('port is infinite and cannot be converted to an integer');
    throw formatError(`Expected integer value for port, but got ${shown} instead`, 'write the port as digits, e.g. 5432');
  }
}

function unknownKeysError(keys: string[], allowed: readonly string[]): ConnectionFormatError {
  const listed = keys.map((key) => JSON.stringify(clip(key, 40))).join(', ');
  return formatError(`unknown key(s) in connection JSON: ${listed}`, `allowed keys: ${allowed.join(', ')}, uri`);
}

const MIXED_URI_AND_FIELDS =
  'a connection is created from "uri" or from individual fields (conn_type, host, login, password, schema, port or extra), not both';

export class Connection {
  readonly connId: string | null;
  readonly parser: ParserFlavour;
  connType: string | null = null;
  host: string | null = null;
  login: string | null = null;
  schema: string | null = null;
  port: ConnectionPort | null = null;
  description: string | null = null;
  private storedPassword: string | null = null;
  private storedExtra: string | null = null;

  private constructor(parser: ParserFlavour, connId: string | null) {
    this.parser = parser;
    // Core sanitises (an invalid id is left unset); the SDK keeps whatever it is given.
    this.connId = parser === 'core' ? sanitizeConnId(connId) : connId;
  }

  get password(): string | null {
    return this.storedPassword;
  }

  /** Core's setter ignores a falsy value (the previous password stays); the SDK stores it. */
  set password(value: string | null) {
    if (this.parser === 'core') {
      if (!value) return;
      if (hasLoneSurrogate(value)) {
        throw formatError('password contains a lone UTF-16 surrogate, which UTF-8 cannot encode');
      }
    }
    this.storedPassword = value;
  }

  /** The JSON text, as Airflow stores it. */
  get extra(): string | null {
    return this.storedExtra;
  }

  /** Core validates on every write: JSON, and an object. The SDK stores any text. */
  set extra(value: string | null) {
    if (this.parser === 'core' && value) {
      const where = this.connId === null ? undefined : `connection ${JSON.stringify(this.connId)}`;
      const hint = 'extra must be a JSON object, e.g. {"key": "value"}';
      const parsed = parseJsonOrNull(value);
      if (parsed === undefined) throw formatError('extra is not valid JSON', hint, where);
      if (!(parsed instanceof Map)) throw formatError(`extra is JSON but not an object (got ${pyTypeName(parsed)})`, hint, where);
      if (hasLoneSurrogate(value)) throw formatError('extra contains a lone UTF-16 surrogate, which UTF-8 cannot encode', undefined, where);
    }
    this.storedExtra = value;
  }

  static fromUri(uri: string, options: ParseOptions = {}): Connection {
    const parser = options.parser ?? 'sdk';
    const connection = new Connection(parser, options.connId ?? null);
    // Core's `Connection(uri="")` takes the field path: everything stays None.
    if (parser === 'core' && !uri) return connection;
    connection.assignParsed(parseUri(uri, parser));
    return connection;
  }

  static fromJson(json: string, options: ParseOptions = {}): Connection {
    const parser = options.parser ?? 'sdk';
    let document: PyValue;
    try {
      document = pyJsonLoads(json);
    } catch (error) {
      const detail = error instanceof PythonJsonError ? error.message : String(error);
      throw formatError(`connection JSON is not valid JSON: ${detail}`, 'check quotes, commas and braces');
    }
    if (!(document instanceof Map)) {
      throw formatError(`connection JSON must be an object, got ${pyTypeName(document)}`, 'write {"conn_type": ..., "host": ...}');
    }
    const fields: PyDict = new Map(document);
    const take = (key: string): PyValue | undefined => {
      const value = fields.get(key);
      fields.delete(key);
      return value;
    };
    const extra = take('extra');
    if (extra !== undefined && pyTruthy(extra)) fields.set('extra', typeof extra === 'string' ? extra : dumpsStoredValue(extra));
    const connType = take('conn_type');
    if (connType !== undefined && pyTruthy(connType)) {
      if (typeof connType !== 'string') throw notTextError('conn_type', connType);
      fields.set('conn_type', normalizeConnType(connType));
    }
    const port = take('port');
    if (port !== undefined && pyTruthy(port)) fields.set('port', portFromJson(port));
    return Connection.construct(fields, parser, options.connId ?? null);
  }

  /**
   * Airflow's `Connection(**fields)`: what LocalFilesystemBackend builds from a file object. No
   * conn_type normalisation; an `extra` that is not text is `json.dumps`-ed; core validates extra.
   * A port written as digits is read as a number (Airflow keeps the text, which prints the same).
   */
  static fromFields(fields: Record<string, unknown>, options: ParseOptions = {}): Connection {
    const parser = options.parser ?? 'sdk';
    const kwargs: PyDict = new Map(Object.entries(fields).map(([key, value]) => [key, plainToPy(value)]));
    let connId = options.connId ?? null;
    if (kwargs.has('conn_id')) {
      const own = kwargs.get('conn_id');
      kwargs.delete('conn_id');
      if (own !== null && typeof own !== 'string') throw formatError('conn_id must be a string');
      if (connId !== null && own !== connId) throw formatError(`conn_id ${JSON.stringify(own)} differs from ${JSON.stringify(connId)}`);
      connId = own ?? connId;
    }
    if (kwargs.has('extra_dejson')) {
      if (kwargs.has('extra')) throw formatError('extra and extra_dejson are mutually exclusive; give only one');
      kwargs.set('extra', pyJsonDumps(kwargs.get('extra_dejson') as PyValue));
      kwargs.delete('extra_dejson');
    }
    const extra = kwargs.get('extra');
    if (extra !== undefined && extra !== null && typeof extra !== 'string') {
      if (pyTruthy(extra)) kwargs.set('extra', pyJsonDumps(extra));
      else kwargs.delete('extra');
    }
    const port = kwargs.get('port');
    if (port !== undefined && port !== null) {
      if (port === '') kwargs.delete('port');
      else if (typeof port === 'bigint' || typeof port === 'string') kwargs.set('port', portFromJson(port));
      else if (Number.isInteger(fields.port)) {
        // plainToPy made it a float: past 2^53, a JavaScript number no longer tells the port exactly.
        throw formatError(
          'port is an integer past 2^53 held as a JavaScript number, which has rounded it',
          'pass it as a bigint or a string of digits',
        );
      } else throw formatError(`port must be an integer, got ${pyTypeName(port)}`);
    }
    return Connection.construct(kwargs, parser, connId);
  }

  /** `cls(conn_id=..., **kwargs)` after from_json/fromFields prepared the values. */
  private static construct(kwargs: PyDict, parser: ParserFlavour, connId: string | null): Connection {
    if (kwargs.has('conn_id')) {
      throw formatError('connection JSON must not contain "conn_id": the id comes from where the secret is stored');
    }
    const allowed = parser === 'core' ? CORE_FIELD_NAMES : SDK_FIELD_NAMES;
    const unknown = [...kwargs.keys()].filter((key) => key !== 'uri' && !allowed.includes(key));
    const uri = kwargs.get('uri');
    const connection = new Connection(parser, connId);
    if (parser === 'sdk') {
      if (uri !== undefined && uri !== null) {
        if (kwargs.size > 1) throw formatError(MIXED_URI_AND_FIELDS);
        if (typeof uri !== 'string') throw formatError(`uri must be a string, got ${pyTypeName(uri)}`);
        connection.assignParsed(parseUri(uri, parser));
        return connection;
      }
      if (unknown.length > 0) throw unknownKeysError(unknown, allowed);
      connection.assignFields(kwargs);
      return connection;
    }
    if (unknown.length > 0) throw unknownKeysError(unknown, allowed);
    connection.description = textField('description', kwargs.get('description'));
    const uriIsSet = uri !== undefined && pyTruthy(uri);
    const fieldsAreSet = ['conn_type', 'host', 'login', 'password', 'schema', 'port', 'extra'].some((key) => {
      const value = kwargs.get(key);
      return value !== undefined && pyTruthy(value);
    });
    if (uriIsSet && fieldsAreSet) throw formatError(MIXED_URI_AND_FIELDS);
    if (uriIsSet) {
      if (typeof uri !== 'string') throw formatError(`uri must be a string, got ${pyTypeName(uri as PyValue)}`);
      connection.assignParsed(parseUri(uri, parser));
    } else {
      connection.assignFields(kwargs);
    }
    return connection;
  }

  private assignParsed(fields: ParsedFields): void {
    this.connType = fields.connType;
    this.host = fields.host;
    this.schema = fields.schema;
    this.login = fields.login;
    this.password = fields.password;
    this.port = fields.port;
    this.extra = fields.extra;
  }

  private assignFields(kwargs: PyDict): void {
    if (this.parser === 'sdk') this.description = textField('description', kwargs.get('description'));
    this.connType = textField('conn_type', kwargs.get('conn_type'));
    this.host = textField('host', kwargs.get('host'));
    this.login = textField('login', kwargs.get('login'));
    const password = kwargs.get('password');
    // Core's setter only acts on a truthy value, so 0, false, [] and {} leave the password unset.
    if (this.parser === 'sdk' || (password !== undefined && pyTruthy(password))) {
      this.password = textField('password', password);
    }
    this.schema = textField('schema', kwargs.get('schema'));
    const port = kwargs.get('port');
    // construct() is handed ints only: from_json and fromFields have passed the port through int().
    this.port = port === undefined || port === null ? null : exactPort(port as bigint);
    const extra = kwargs.get('extra');
    this.extra = extra === undefined || extra === null ? null : (extra as string);
  }

  /** Airflow's `extra_dejson` exactly: `{}` with no extra or text that is not JSON. */
  private extraAsPython(): PyValue {
    const empty: PyDict = new Map();
    if (!this.extra) return empty;
    const parsed = parseJsonOrNull(this.extra);
    return parsed === undefined ? empty : parsed;
  }

  /**
   * The parsed extra as a mapping, `{}` when there is none or it is not JSON (as Airflow). Where
   * Airflow's SDK would hand back a JSON value that is not an object, this gives `{}`: hooks read
   * extra as a mapping. `toView().extra` shows the value itself.
   */
  get extraDejson(): Record<string, unknown> {
    const parsed = this.extraAsPython();
    return parsed instanceof Map ? (pyToPlain(parsed) as Record<string, unknown>) : {};
  }

  toView(): ConnectionView {
    return {
      conn_type: this.connType,
      host: this.host,
      login: this.login,
      password: this.password,
      schema: this.schema,
      port: this.port,
      extra: this.extra ? (pyToPlain(this.extraAsPython()) as ExtraView) : null,
    };
  }

  /** The view as Python objects (int vs float, key order kept): what a comparison with Airflow needs. */
  toPythonView(): PyDict {
    return new Map<string, PyValue>([
      ['conn_type', this.connType],
      ['host', this.host],
      ['login', this.login],
      ['password', this.password],
      ['schema', this.schema],
      ['port', this.port === null ? null : BigInt(this.port)],
      ['extra', this.extra ? this.extraAsPython() : null],
    ]);
  }

  /** `get_uri()` of this flavour. Throws ConnectionFormatError where Airflow's raises. */
  getUri(): string {
    let uri = this.connType ? `${this.connType.toLowerCase().split('_').join('-')}://` : '//';
    let hostToUse = this.host;
    let protocolToAdd: string | null = null;
    if (this.host && this.host.includes('://')) {
      const at = this.host.indexOf('://');
      const protocol = this.host.slice(0, at);
      // A host whose protocol is the conn_type is quoted whole (http + http://h -> http://http%3A%2F%2Fh).
      if (protocol !== this.connType) {
        hostToUse = this.host.slice(at + 3);
        protocolToAdd = protocol;
      }
    }
    if (protocolToAdd) uri += `${protocolToAdd}://`;
    let authority = '';
    if (this.login !== null) authority += quote(this.login);
    if (this.password !== null) authority += `:${quote(this.password)}`;
    if (authority) {
      authority += '@';
      uri += authority;
    }
    let hostBlock = hostToUse ? quote(hostToUse) : '';
    // Both flavours test the port for truth: port 0 is not written.
    if (this.port) hostBlock += `${hostBlock === '' && authority === '' ? '@' : ''}:${BigInt(this.port)}`;
    if (this.schema) hostBlock += `/${quote(this.schema)}`;
    uri += hostBlock;
    if (this.extra) {
      const separator = this.schema ? '?' : '/?';
      const query = this.flattenedExtra();
      uri += separator + (query ?? urlencode([[EXTRA_KEY, this.extra]]));
    }
    return uri;
  }

  /**
   * The extra as `key=value` pairs when it survives `urlencode` then `parse_qsl` unchanged (only a
   * non-empty object of strings does); else null, and the caller writes `__extra__`.
   */
  private flattenedExtra(): string | null {
    const extra = this.extraAsPython();
    // urlencode() raises TypeError on anything that is not a mapping; Airflow catches that.
    if (!(extra instanceof Map)) return null;
    const pairs: Array<[string, string]> = [];
    let onlyStrings = true;
    for (const [key, value] of extra) {
      // urlencode str()-s and UTF-8-encodes every key and text value first; a lone surrogate fails
      // there (UnicodeEncodeError, which Airflow does not catch) whatever the value types are.
      quotePlus(key);
      if (typeof value === 'string') {
        quotePlus(value);
        pairs.push([key, value]);
      } else {
        onlyStrings = false;
      }
    }
    // A non-text value comes back from parse_qsl as text, so the round trip cannot hold.
    if (!onlyStrings) return null;
    const query = urlencode(pairs);
    if (!query) return null;
    return pyEquals(extra, new Map(parseQsl(query))) ? query : null;
  }
}

/**
 * BaseSecretsBackend.deserialize_connection: Python `str.strip()`, then `{` means JSON, else URI.
 * A blank value is an IndexError in Airflow (a failed backend); here a ConnectionFormatError.
 */
export function deserializeConnection(connId: string, value: string, parser: ParserFlavour): Connection {
  return parseConnectionValue(value, { connId, parser });
}

/** `deserializeConnection` without a conn_id (the CLI's `connection parse`). */
export function parseConnectionValue(value: string, options: ParseOptions = {}): Connection {
  const text = pythonStrip(value);
  const where = options.connId === undefined ? undefined : `connection ${JSON.stringify(options.connId)}`;
  if (!text) throw formatError('the connection value is blank', 'store a URI or a JSON object', where);
  try {
    return text.startsWith('{') ? Connection.fromJson(text, options) : Connection.fromUri(text, options);
  } catch (error) {
    // Name the connection in the message, so a user with many secrets knows which one to fix.
    if (!(error instanceof ConnectionFormatError) || error.where !== undefined || where === undefined) throw error;
    throw new ConnectionFormatError(error.message, { where, ...(error.hint === undefined ? {} : { hint: error.hint }), cause: error });
  }
}

const TEXT_FIELD_NAMES = ['conn_type', 'host', 'login', 'password', 'schema', 'description'] as const;

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'an object (dict)';
  if (typeof value === 'number' && !Number.isInteger(value)) return `a float`;
  return `a ${typeof value === 'string' ? 'str' : typeof value}`;
}

/**
 * Holds the fields of a connection a backend built itself (a command's answer, a module's object) to
 * Airflow's types: text fields are str or None, `port` an int (or its digits, past 2^53), `extra` the
 * JSON text. Airflow's own code breaks on anything else (`extra_dejson` json.loads the extra), so a
 * field of another type is the backend's error, named here.
 */
export function checkConnectionFields(fields: Readonly<Record<string, unknown>>, what: string): void {
  const wrong = (field: string, expected: string) =>
    new ConnectionFormatError(
      `${what}: the backend's connection has ${field} as ${typeName(fields[field])}; Airflow's Connection.${field} is ${expected}`,
      {
        what,
        hint: field === 'extra' ? 'serialise extra with json.dumps (JSON.stringify): it is text' : `give ${field} as ${expected}`,
      },
    );
  // A port past 2^53 travels as its digits (bridge/PROTOCOL.md); any other str is a str.
  for (const field of TEXT_FIELD_NAMES) {
    const value = fields[field];
    if (value !== undefined && value !== null && typeof value !== 'string') throw wrong(field, 'str or None');
  }
  const extra = fields.extra;
  if (extra !== undefined && extra !== null && typeof extra !== 'string') throw wrong('extra', 'JSON text (str) or None');
  const port = fields.port;
  const integral =
    port === undefined ||
    port === null ||
    typeof port === 'bigint' ||
    (typeof port === 'number' && Number.isSafeInteger(port)) ||
    (typeof port === 'string' && /^-?\d+$/.test(port) && !Number.isSafeInteger(Number(port)));
  if (!integral) throw wrong('port', typeof port === 'string' ? 'an int (this str is not one)' : 'an int or None');
}
