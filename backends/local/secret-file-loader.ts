/**
 * Airflow's `load_variables`, `load_connections_dict` and `load_configs_dict`: read the whole file
 * again at every lookup, pick the parser by extension, and turn its entries into variables,
 * connections and configs. A problem anywhere in a file fails every lookup in it, as in Airflow.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { Connection } from '../../model/connection/connection';
import { pyClassName, pyRepr, pyStr, pyTruthy } from '../../model/connection/python-values';
import { pyJsonDumps } from '../../model/connection/python-json-dumps';
import { PythonJsonError } from '../../model/connection/python-json-loads';
import {
  ConfigurationError,
  ConnectionFormatError,
  FileParseError,
  ForbiddenError,
  MalformedSecretError,
  NotUniqueError,
  UnavailableError,
} from '../../model/errors';
import { parseEnvText, parseJsonText, parseYamlText, type ParseResult, type ParsedSecrets } from './secret-file-parsers';

export type SecretFileKind = 'variables' | 'connections' | 'configs';

export const SUPPORTED_EXTENSIONS = ['env', 'json', 'yaml', 'yml'] as const;
type SupportedExtension = (typeof SUPPORTED_EXTENSIONS)[number];

/** The parameters of the core `Connection.__init__` in 3.3.2, plus the file loader's `extra_dejson`. */
export const CONNECTION_OBJECT_KEYS: readonly string[] = [
  'conn_id',
  'conn_type',
  'description',
  'extra',
  'extra_dejson',
  'host',
  'login',
  'password',
  'port',
  'schema',
  'team_name',
  'uri',
];

export async function loadVariables(path: string): Promise<Map<unknown, unknown>> {
  const { extension, secrets } = await parseSecretFile(path, 'variables');
  if (extension !== 'env') return secrets;
  const repeated = [...secrets].filter(([, values]) => (values as string[]).length !== 1).map(([key]) => key);
  if (repeated.length > 0) throw variableNotUnique(path, repeated);
  return new Map([...secrets].map(([key, values]) => [key, (values as string[])[0]]));
}

export async function loadConnections(path: string): Promise<Map<unknown, Connection>> {
  const { secrets } = await parseSecretFile(path, 'connections');
  const connections = new Map<unknown, Connection>();
  for (const [key, value] of secrets) {
    if (Array.isArray(value)) {
      if (value.length > 1) {
        throw new NotUniqueError(`Found multiple values for ${String(key)} in ${path}.`, {
          what: `connection "${String(key)}"`,
          where: path,
          hint: 'keep one definition per connection id',
        });
      }
      // An empty list defines nothing: Airflow's loop over it never runs.
      for (const element of value) connections.set(key, createConnection(key, element, path));
    } else {
      connections.set(key, createConnection(key, value, path));
    }
  }
  return connections;
}

export async function loadConfigs(path: string): Promise<Map<unknown, unknown>> {
  const { secrets } = await parseSecretFile(path, 'configs');
  // Unlike variables, the one-value rule applies to lists of every format here.
  const repeated = [...secrets].filter(([, values]) => Array.isArray(values) && values.length !== 1).map(([key]) => key);
  if (repeated.length > 0) throw variableNotUnique(path, repeated);
  return new Map([...secrets].map(([key, values]) => [key, Array.isArray(values) ? values[0] : values]));
}

function variableNotUnique(path: string, keys: readonly unknown[]): NotUniqueError {
  return new NotUniqueError(`The "${path}" file contains multiple values for keys: ${pyRepr(keys)}`, {
    what: 'variables',
    where: path,
    hint: 'define each key once',
  });
}

function createConnection(key: unknown, value: unknown, path: string): Connection {
  if (typeof key !== 'string') {
    // Airflow passes the key on to the conn_id sanitiser, which raises TypeError for a non-string.
    throw new ConnectionFormatError(`A connection id must be a string, got ${pyClassName(key)}.`, {
      what: 'connection id',
      where: path,
      hint: 'quote the key so the file defines it as a string',
    });
  }
  const details = { what: `connection "${key}"`, where: path };
  if (typeof value === 'string') return buildConnection(key, { conn_id: key, uri: value });
  if (value instanceof Map) {
    const fields = new Map(value);
    const illegal = [...fields.keys()].filter((name) => typeof name !== 'string' || !CONNECTION_OBJECT_KEYS.includes(name));
    if (illegal.length > 0) {
      // Airflow prints both sets in Python's hash order, which changes from run to run; ours is sorted.
      throw new ConnectionFormatError(
        `The object have illegal keys: ${illegal.map(String).join(', ')}. ` +
          `The dictionary can only contain the following keys: ${pythonSetRepr(CONNECTION_OBJECT_KEYS)}`,
        { ...details, hint: 'remove the keys that are not connection fields' },
      );
    }
    if (fields.has('extra') && fields.has('extra_dejson')) {
      throw new ConnectionFormatError('The extra and extra_dejson parameters are mutually exclusive. Please provide only one parameter.', {
        ...details,
        hint: 'keep either extra or extra_dejson',
      });
    }
    if (fields.has('extra_dejson')) {
      fields.set('extra', pyJsonDumps(fields.get('extra_dejson'), details));
      fields.delete('extra_dejson');
    }
    if (fields.has('conn_id') && fields.get('conn_id') !== key) {
      // Airflow's wording swaps the two: "dictionary key" is the item's conn_id.
      throw new ConnectionFormatError(
        `Mismatch conn_id. The dictionary key has the value: ${pyStr(fields.get('conn_id'))}. The item has the value: ${key}.`,
        { ...details, hint: 'make conn_id match the key, or drop it' },
      );
    }
    fields.set('conn_id', key);
    const extra = fields.get('extra');
    // Connection.__init__ json.dumps a truthy non-string extra; done here so the text is Python's.
    if (pyTruthy(extra) && typeof extra !== 'string') fields.set('extra', pyJsonDumps(extra, details));
    return buildConnection(key, Object.fromEntries(fields));
  }
  throw new ConnectionFormatError(
    `Unexpected value type: <class '${pyClassName(value)}'>. The connection can only be defined using a string or object.`,
    { ...details, hint: 'give a URI string or an object of connection fields' },
  );
}

function buildConnection(connId: string, fields: Record<string, unknown>): Connection {
  return Connection.fromFields(fields, { connId, parser: 'core' });
}

function pythonSetRepr(items: readonly string[]): string {
  return `{${items.map(pyRepr).join(', ')}}`;
}

async function parseSecretFile(path: string, kind: SecretFileKind): Promise<{ extension: SupportedExtension; secrets: ParsedSecrets }> {
  // Path(p).suffix: the last dot of the last segment, unless the name starts with it (".env").
  const extension = extname(path).replace(/^\./, '').toLowerCase();
  if (!(SUPPORTED_EXTENSIONS as readonly string[]).includes(extension)) {
    throw new ConfigurationError('Unsupported file format. The file must have one of the following extensions: .env .json .yaml .yml', {
      what: `${kind} file`,
      where: path,
      hint: 'rename the file to one of the supported extensions',
    });
  }
  const format = extension as SupportedExtension;
  const text = await readSecretFile(path, kind);
  const { secrets, errors } = parseSecretText(format, text, { what: `${kind} file`, where: path });
  if (errors.length > 0) {
    const listed = errors.map((error) => `line ${error.line}: ${error.message}`).join('; ');
    throw new FileParseError(`Failed to load the secret file. ${listed}`, errors, {
      what: `${kind} file`,
      where: path,
      hint: 'fix the listed lines; Airflow would refuse this file too',
    });
  }
  return { extension: format, secrets };
}

function parseSecretText(format: SupportedExtension, text: string, details: { what: string; where: string }): ParseResult {
  try {
    return format === 'env' ? parseEnvText(text) : format === 'json' ? parseJsonText(text) : parseYamlText(text);
  } catch (error) {
    if (!(error instanceof PythonJsonError)) throw error;
    // Not a syntax error Airflow lists by line: the whole lookup fails, so say which file.
    throw new MalformedSecretError(error.message, { ...details, hint: error.hint, cause: error });
  }
}

/**
 * The file as Python's `open(path).read()` gives it: UTF-8 that must decode (a BOM is kept), with
 * `\r\n` and `\r` turned into `\n`.
 *
 * Airflow lets the OSError (FileNotFoundError, ...) escape, and the search path logs it and asks
 * the next backend. The closest class is UnavailableError: the store (the file) cannot be read
 * now, and every later lookup tries again, so a file that appears later (a secret volume synced
 * after start-up) is served without a restart. Permission denied is ForbiddenError.
 */
async function readSecretFile(path: string, kind: SecretFileKind): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const details = { what: `${kind} file`, where: path, cause: error };
    if (code === 'EACCES' || code === 'EPERM') {
      throw new ForbiddenError('the secrets file cannot be read: permission denied', {
        ...details,
        hint: 'let the user running Airflow read the file',
      });
    }
    const reason = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? 'I/O error'})`;
    throw new UnavailableError(`the secrets file ${reason}`, {
      ...details,
      hint: `check ${kind}_file_path in the backend kwargs`,
    });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (error) {
    throw new MalformedSecretError('the secrets file is not valid UTF-8', {
      what: `${kind} file`,
      where: path,
      hint: 'save the file as UTF-8',
      cause: error,
    });
  }
  return text.replace(/\r\n?/g, '\n');
}
