/**
 * What each connection field may hold and how Airflow normalises it: conn_type and conn_id as Airflow
 * rewrites them, text fields that must be text, a port read with Python's int(), and the check of
 * the fields a backend built itself.
 */
import { ConnectionFormatError } from '../errors';
import { clip, formatError } from './connection-errors';
import { pythonInt, PythonIntError } from './python-builtins';
import { pyTypeName, type PyValue } from './python-values';

export type TextField = 'conn_type' | 'description' | 'host' | 'login' | 'password' | 'schema';

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

export function notTextError(name: TextField, value: PyValue): ConnectionFormatError {
  return formatError(
    `${name} must be a string or null, got ${pyTypeName(value)}`,
    `quote the value; Airflow would keep the ${pyTypeName(value)} and fail later when it builds the URI`,
  );
}

export function textField(name: TextField, value: PyValue | undefined): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  throw notTextError(name, value);
}

export function portFromJson(value: PyValue): bigint {
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

const TEXT_FIELD_NAMES = ['conn_type', 'host', 'login', 'password', 'schema', 'description'] as const;

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'an object (dict)';
  if (typeof value === 'number' && !Number.isInteger(value)) return `a float`;
  return `a ${typeof value === 'string' ? 'str' : typeof value}`;
}

/** How a backend hands its connection over: fields on the JSON-lines wire, or a Connection object. */
export type ConnectionCarrier = 'wire' | 'object';

/** A port Airflow's Connection holds: an int. Only the wire may carry one past 2^53 as its digits (bridge/PROTOCOL.md). */
function isIntegralPort(port: unknown, carrier: ConnectionCarrier): boolean {
  if (port === undefined || port === null || typeof port === 'bigint') return true;
  if (typeof port === 'number') return Number.isSafeInteger(port);
  return carrier === 'wire' && typeof port === 'string' && /^-?\d+$/.test(port) && !Number.isSafeInteger(Number(port));
}

/**
 * Holds the fields of a connection a backend built itself (a command's answer, a module's object) to
 * Airflow's types: text fields are str or None, `port` an int, `extra` the JSON text. Airflow's own
 * code breaks on anything else (`extra_dejson` json.loads the extra; a hook's int port), so a field
 * of another type is the backend's error, named here. The backend raised nothing: the error says so
 * (`raisedByHarness`), and a case that wants the backend to refuse a value is not met by it. A port
 * kept as the text the store held ("5432abc", "abc5432", " 5432", "5432.0") is such a field: Airflow
 * reads a port with int(), which raises on those (spec §6.4) or gives an int (spec §6.1.9).
 */
export function checkConnectionFields(fields: Readonly<Record<string, unknown>>, what: string, carrier: ConnectionCarrier = 'wire'): void {
  const wrong = (field: string, expected: string) =>
    new ConnectionFormatError(
      `${what}: the backend's connection has ${field} as ${typeName(fields[field])}; Airflow's Connection.${field} is ${expected} (spec §6.4)`,
      {
        what,
        hint:
          field === 'extra'
            ? 'serialise extra with json.dumps (JSON.stringify): it is text'
            : field === 'port'
              ? 'read the port with int() (pythonInt), and raise a ConnectionFormatError where int() fails'
              : `give ${field} as ${expected}`,
        raisedByHarness: true,
      },
    );
  for (const field of TEXT_FIELD_NAMES) {
    const value = fields[field];
    if (value !== undefined && value !== null && typeof value !== 'string') throw wrong(field, 'str or None');
  }
  const extra = fields.extra;
  if (extra !== undefined && extra !== null && typeof extra !== 'string') throw wrong('extra', 'JSON text (str) or None');
  const port = fields.port;
  if (!isIntegralPort(port, carrier)) throw wrong('port', typeof port === 'string' ? 'an int (this str is not one)' : 'an int or None');
}
