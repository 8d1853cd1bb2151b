/**
 * One parse, as the differential compares it: our model's and Airflow's (bridge/connection_oracle.py)
 * in the same shape, and the difference between two of them in words.
 */
import { Connection, deserializeConnection, type ParserFlavour } from '../../model/connection/connection';
import { pyJsonDumps } from '../../model/connection/python-json-dumps';
import { pyJsonLoads } from '../../model/connection/python-json-loads';
import type { PyDict, PyValue } from '../../model/connection/python-values';
import { ConnectionFormatError } from '../../model/errors';
import type { ConnectionInput } from '../generators/connection-inputs';

export const DIFFERENTIAL_CONN_ID = 'conformance_conn';

export interface Outcome {
  /** The parse failed: `ConnectionFormatError`, or for Airflow the Python class; `crash ...` is a bug of ours. */
  error?: string;
  /** conn_type, host, login, password, schema, port, and extra as extra_dejson gives it. */
  view?: PyDict;
  /** The stored extra text. */
  extraText?: string | null;
  uri?: string;
  uriError?: string;
}

function errorName(error: unknown): string {
  // Anything but ConnectionFormatError is a bug in the model, never an acceptable answer.
  return error instanceof ConnectionFormatError ? 'ConnectionFormatError' : `crash ${String(error)}`;
}

function parseOurs(request: ConnectionInput, parser: ParserFlavour): Connection {
  const options = { connId: DIFFERENTIAL_CONN_ID, parser };
  if (request.format === 'json') return Connection.fromJson(request.input, options);
  if (request.format === 'value') return deserializeConnection(DIFFERENTIAL_CONN_ID, request.input, parser);
  return Connection.fromUri(request.input, options);
}

export function ourOutcome(request: ConnectionInput, parser: ParserFlavour): Outcome {
  let connection: Connection;
  let view: PyDict;
  try {
    connection = parseOurs(request, parser);
    // Reading extra_dejson can fail after a parse that did not (the SDK stores any text): the
    // oracle reads the view inside its parse step too.
    view = connection.toPythonView();
  } catch (error) {
    return { error: errorName(error) };
  }
  const outcome: Outcome = { view, extraText: connection.extra };
  try {
    outcome.uri = connection.getUri();
  } catch (error) {
    outcome.uriError = errorName(error);
  }
  return outcome;
}

function pythonError(value: PyValue | undefined): string | undefined {
  return value instanceof Map ? String(value.get('type')) : undefined;
}

/** One oracle reply. Its `view.extra` is JSON text (see the oracle), read back into a value here. */
export function airflowOutcome(reply: PyDict): Outcome {
  const error = pythonError(reply.get('error'));
  if (error !== undefined) return { error };
  const view = new Map(reply.get('view') as PyDict);
  const extra = view.get('extra');
  view.set('extra', typeof extra === 'string' ? pyJsonLoads(extra) : null);
  const outcome: Outcome = { view, extraText: (reply.get('extra_text') ?? null) as string | null };
  const uri = reply.get('uri');
  const uriError = pythonError(reply.get('uri_error'));
  if (typeof uri === 'string') outcome.uri = uri;
  if (uriError !== undefined) outcome.uriError = uriError;
  return outcome;
}

/**
 * The view as text. `extra` is written on its own: a value json.loads accepted nests at most as
 * deep as pyJsonDumps writes, and one level more (inside the view) could not be written.
 */
export function viewText(view: PyDict): string {
  const fields = new Map(view);
  fields.delete('extra');
  return `${pyJsonDumps(fields)} extra ${pyJsonDumps(view.get('extra') ?? null)}`;
}

const isCrash = (error: string | undefined): boolean => error?.startsWith('crash') ?? false;

/** Where two outcomes differ, or null. Errors agree when both raise (Airflow's class is not ours). */
export function difference(ours: Outcome, theirs: Outcome): string | null {
  if (ours.error !== undefined || theirs.error !== undefined) {
    if (ours.error !== undefined && theirs.error !== undefined && !isCrash(ours.error)) return null;
    return `parse: ours ${ours.error ?? 'ok'}, Airflow ${theirs.error ?? 'ok'}`;
  }
  const ourView = viewText(ours.view as PyDict);
  const theirView = viewText(theirs.view as PyDict);
  if (ourView !== theirView) return `view: ours ${ourView}, Airflow ${theirView}`;
  if (ours.extraText !== theirs.extraText)
    return `extra text: ours ${pyJsonDumps(ours.extraText ?? null)}, Airflow ${pyJsonDumps(theirs.extraText ?? null)}`;
  if (ours.uriError !== undefined || theirs.uriError !== undefined) {
    if (ours.uriError !== undefined && theirs.uriError !== undefined && !isCrash(ours.uriError)) return null;
    return `get_uri: ours ${ours.uriError ?? ours.uri}, Airflow ${theirs.uriError ?? theirs.uri}`;
  }
  if (ours.uri !== theirs.uri) return `get_uri: ours ${ours.uri}, Airflow ${theirs.uri}`;
  return null;
}
