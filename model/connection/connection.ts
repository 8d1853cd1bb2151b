/**
 * Airflow's connection model in its two flavours (spec §6), matched to Airflow 3.3.2:
 *   - `sdk`  = task SDK 1.3.2 `airflow/sdk/definitions/connection.py` (workers, provider backends);
 *   - `core` = `airflow/models/connection.py`, the ORM class (API server, LocalFilesystemBackend).
 * They differ in small ways that decide what a task sees: core turns URI query values into JSON
 * types, validates `extra`, drops an empty password and sanitises the conn_id; the SDK does none
 * of that. This file is the class; beside it, the URI parser (connection-uri.ts), the JSON form
 * (connection-json.ts) and the field rules (connection-fields.ts). `test/connection-differential.test.ts`
 * checks them together against the installed Airflow.
 *
 * One deliberate difference: Airflow does not type-check JSON field values, so `{"host": 5}` gives
 * a connection whose host is the number 5. Mostly its `get_uri()` then raises TypeError, which every
 * lookup path treats as a failed backend; but a falsy host or schema (`0`, `[]`) or any description
 * is served as it is. Here the text fields are strings, so such a value is a ConnectionFormatError
 * at parse time. `test/connection-known-divergences.ts` declares both cases, with the two other
 * differences no port can avoid: Python's recursion budget for nested JSON, and Unicode versions.
 */
import { ConnectionFormatError } from '../errors';
import { clip, formatError } from './connection-errors';
import { sanitizeConnId, textField } from './connection-fields';
import { kwargsFromFields, kwargsFromJson, parseJsonOrNull } from './connection-json';
import { EXTRA_KEY, parseUri, type ParsedFields } from './connection-uri';
import { pythonStrip } from './python-builtins';
import { hasLoneSurrogate, parseQsl, quote, quotePlus, urlencode } from './python-url';
import { pyEquals, pyToPlain, pyTruthy, pyTypeName, type PyDict, type PyValue } from './python-values';

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

const SDK_FIELD_NAMES = ['conn_type', 'description', 'host', 'schema', 'login', 'password', 'port', 'extra'];
const CORE_FIELD_NAMES = [...SDK_FIELD_NAMES, 'team_name'];

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
    connection.assignParsed(parseUri(uri, { jsonQueryValues: parser === 'core' }));
    return connection;
  }

  static fromJson(json: string, options: ParseOptions = {}): Connection {
    return Connection.construct(kwargsFromJson(json), options.parser ?? 'sdk', options.connId ?? null);
  }

  /**
   * Airflow's `Connection(**fields)`: what LocalFilesystemBackend builds from a file object (see
   * kwargsFromFields); core validates extra.
   */
  static fromFields(fields: Record<string, unknown>, options: ParseOptions = {}): Connection {
    const parser = options.parser ?? 'sdk';
    const { kwargs, connId } = kwargsFromFields(fields, options.connId ?? null);
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
        connection.assignParsed(parseUri(uri, { jsonQueryValues: false }));
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
      connection.assignParsed(parseUri(uri, { jsonQueryValues: true }));
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
