/**
 * The JSON form of a connection (spec §6.2): a stored JSON document (`from_json`) or the keyword
 * arguments LocalFilesystemBackend passes (`Connection(**fields)`), prepared as Airflow prepares them
 * before `cls(conn_id=..., **kwargs)`: extra written back as JSON text, conn_type normalised, the
 * port through int(). The JSON a stored value holds is read and written by Python's rules here.
 */
import { ConnectionFormatError, MalformedSecretError } from '../errors';
import { formatError } from './connection-errors';
import { normalizeConnType, notTextError, portFromJson } from './connection-fields';
import { pyJsonDumps } from './python-json-dumps';
import { PythonJsonError, pyJsonLoads } from './python-json-loads';
import { plainToPy, pyTruthy, pyTypeName, type PyDict, type PyValue } from './python-values';

/** A JSON value held in a connection, or `undefined` where Airflow catches JSONDecodeError. */
export function parseJsonOrNull(text: string): PyValue | undefined {
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
export function dumpsStoredValue(value: PyValue): string {
  try {
    return pyJsonDumps(value);
  } catch (error) {
    if (!(error instanceof MalformedSecretError) || error instanceof ConnectionFormatError) throw error;
    throw formatError(`a JSON value in the connection cannot be written back as JSON: ${error.message}`, error.hint);
  }
}

/** `from_json`: the document's keys as the kwargs of `cls(...)`. */
export function kwargsFromJson(json: string): PyDict {
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
  return fields;
}

/**
 * `Connection(**fields)` as LocalFilesystemBackend calls it: the kwargs of `cls(...)`, and the conn_id,
 * which the fields may repeat but not contradict. No conn_type normalisation; an `extra` that is not
 * text is `json.dumps`-ed. A port written as digits is read as a number (Airflow keeps the text,
 * which prints the same).
 */
export function kwargsFromFields(fields: Record<string, unknown>, givenConnId: string | null): { kwargs: PyDict; connId: string | null } {
  const kwargs: PyDict = new Map(Object.entries(fields).map(([key, value]) => [key, plainToPy(value)]));
  let connId = givenConnId;
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
  return { kwargs, connId };
}
