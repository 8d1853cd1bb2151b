/**
 * Airflow's LocalFilesystemBackend (spec §5; `airflow/secrets/local_filesystem.py` in 3.3.2):
 * connections, variables and configs read from `.env`, `.json`, `.yaml` or `.yml` files. Every
 * lookup reads and parses the whole file again, and a problem anywhere in a file fails every
 * lookup in it, as in Airflow.
 *
 * Error classes: parse errors are `FileParseError` (AirflowFileParseException) with Airflow's
 * messages and line numbers; duplicate keys are `NotUniqueError`; a bad connection definition is
 * `ConnectionFormatError`; a configured file that cannot be read is `UnavailableError` (see
 * `readSecretFile`); an unsupported extension is `ConfigurationError`.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { CST, Parser, parseDocument, visit, type Document, type ScalarTag, type Tags } from 'yaml';
import { Connection } from '../../model/connection/connection';
import { pyClassName, pyRepr, pyStr, pyTruthy } from '../../model/connection/python-values';
import { pyJsonDumps } from '../../model/connection/python-json-dumps';
import { pyJsonLoads, PythonJsonError } from '../../model/connection/python-json-loads';
import { BaseSecretsBackend } from '../../model/contract';
import {
  ConfigurationError,
  ConnectionFormatError,
  FileParseError,
  ForbiddenError,
  MalformedSecretError,
  NotUniqueError,
  UnavailableError,
  type FileSyntaxError,
} from '../../model/errors';

export type LocalFilesystemKwargs = {
  variables_file_path?: string | null;
  connections_file_path?: string | null;
  /** Present in 3.3.2 (`LocalFilesystemBackend.__init__`), although the 3.3.0 docs omit it. */
  configs_file_path?: string | null;
};

const KWARG_NAMES = ['variables_file_path', 'connections_file_path', 'configs_file_path'] as const;

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

/** What a parser hands back: keys as the format produced them (YAML keys need not be strings). */
type ParsedSecrets = Map<unknown, unknown>;

interface ParseResult {
  secrets: ParsedSecrets;
  errors: FileSyntaxError[];
}

export class LocalFilesystemBackend extends BaseSecretsBackend {
  readonly kind = 'LocalFilesystemBackend';
  private readonly paths: Readonly<Record<SecretFileKind, string | null>>;

  /** Unknown kwargs are refused, as Python's `cls(**kwargs)` raises TypeError for them. */
  constructor(kwargs: LocalFilesystemKwargs | Record<string, unknown> = {}) {
    // The file loader always builds the core ORM Connection (no conn_type normalisation).
    super({ parser: 'core' });
    this.paths = checkKwargs(kwargs as Record<string, unknown>);
  }

  /** The file each kind is read from; `null` when not configured (lookups answer `null`). */
  protected filePath(kind: SecretFileKind): string | null {
    return this.paths[kind];
  }

  /** Airflow's LocalFilesystemBackend overrides `get_connection` only; its `get_conn_value` raises. */
  async getConnValue(connId: string): Promise<string | null> {
    throw new ConfigurationError('LocalFilesystemBackend builds connections from file entries; it has no stored text to return', {
      what: `connection "${connId}"`,
      where: 'LocalFilesystemBackend.get_conn_value',
      hint: 'call getConnection instead',
    });
  }

  override async getConnection(connId: string): Promise<Connection | null> {
    const path = this.filePath('connections');
    if (!path) return null;
    return (await loadConnections(path)).get(connId) ?? null;
  }

  /**
   * Airflow returns JSON/YAML values unconverted, so a variable can be a number or an object there;
   * this contract is string-typed, so such values come back as Python's `json.dumps` of them.
   * `variableValue` gives the value as parsed.
   */
  async getVariable(key: string): Promise<string | null> {
    return asSecretText(await this.variableValue(key), `variable "${key}"`, this.filePath('variables'));
  }

  async variableValue(key: string): Promise<unknown> {
    const path = this.filePath('variables');
    if (!path) return null;
    return (await loadVariables(path)).get(key) ?? null;
  }

  override async getConfig(key: string): Promise<string | null> {
    const path = this.filePath('configs');
    if (!path) return null;
    return asSecretText((await loadConfigs(path)).get(key) ?? null, `config "${key}"`, path);
  }
}

function checkKwargs(kwargs: Record<string, unknown>): Record<SecretFileKind, string | null> {
  for (const name of Object.keys(kwargs)) {
    if (!(KWARG_NAMES as readonly string[]).includes(name)) {
      throw new ConfigurationError(`LocalFilesystemBackend got an unexpected keyword argument "${name}"`, {
        what: 'backend_kwargs',
        where: 'LocalFilesystemBackend',
        hint: `use only ${KWARG_NAMES.join(', ')}`,
      });
    }
  }
  const path = (name: (typeof KWARG_NAMES)[number]): string | null => {
    const value = kwargs[name];
    if (value === undefined || value === null || value === '') return null;
    if (typeof value !== 'string') {
      throw new ConfigurationError(`${name} must be a file path, got a ${typeof value}`, {
        what: 'backend_kwargs',
        where: `LocalFilesystemBackend ${name}`,
        hint: 'give the path as a string',
      });
    }
    return value;
  };
  return {
    variables: path('variables_file_path'),
    connections: path('connections_file_path'),
    configs: path('configs_file_path'),
  };
}

// ---------------------------------------------------------------------------------------------
// Loading: `load_variables`, `load_connections_dict`, `load_configs_dict`.

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

/** The file loader's `json.dumps`, under the name the file-backend tests know it by. */
export { pyJsonDumps as pythonJsonDumps };

function asSecretText(value: unknown, what: string, path: string | null): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  return pyJsonDumps(value, { what, where: path ?? undefined });
}

// ---------------------------------------------------------------------------------------------
// Parsing: `_parse_secret_file` and one parser per format.

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

/** Python's `str.splitlines()` boundaries. */
const PYTHON_LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

/** Python's `re` `\s` for str patterns, for `COMMENT_PATTERN = re.compile(r"\s*#.*")`. */
const PYTHON_COMMENT_LINE = /^[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*#/;

/** Whether `_parse_env_file` skips the line as a comment. */
export function isEnvCommentLine(line: string): boolean {
  return PYTHON_COMMENT_LINE.test(line);
}

export function pythonSplitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(PYTHON_LINE_BREAK);
  if (PYTHON_LINE_BREAK.test(text.slice(-1))) lines.pop();
  return lines;
}

/** `_parse_env_file`: KEY=VALUE split on the first `=`, nothing trimmed, every key a list. */
export function parseEnvText(text: string): ParseResult {
  const secrets: Map<unknown, string[]> = new Map();
  const errors: FileSyntaxError[] = [];
  pythonSplitLines(text).forEach((line, index) => {
    const lineNumber = index + 1;
    if (line === '' || isEnvCommentLine(line)) return;
    const separator = line.indexOf('=');
    if (separator === -1) {
      errors.push({ line: lineNumber, message: 'Invalid line format. The line should contain at least one equal sign ("=").' });
      return;
    }
    const key = line.slice(0, separator);
    const value = line.slice(separator + 1);
    if (key === '') {
      errors.push({ line: lineNumber, message: 'Invalid line format. Key is empty.' });
      return;
    }
    if (value === '') {
      errors.push({ line: lineNumber, message: 'Invalid line format. Value is empty.' });
      return;
    }
    const values = secrets.get(key) ?? [];
    values.push(value);
    secrets.set(key, values);
  });
  return { secrets, errors };
}

/** `_parse_json_file`: Python's `json.loads`, a JSONDecodeError reported as its `msg` at its `lineno`. */
export function parseJsonText(text: string): ParseResult {
  if (text === '') return { secrets: new Map(), errors: [{ line: 1, message: 'The file is empty.' }] };
  let parsed: unknown;
  try {
    parsed = pyJsonLoads(text);
  } catch (error) {
    // The ValueError of an over-long integer and a RecursionError escape Airflow's handler too.
    if (!(error instanceof PythonJsonError) || !error.decodeError) throw error;
    return { secrets: new Map(), errors: [{ line: error.lineno, message: error.msg }] };
  }
  if (!(parsed instanceof Map)) return { secrets: new Map(), errors: [{ line: 1, message: 'The file should contain the object.' }] };
  return { secrets: parsed, errors: [] };
}

/**
 * PyYAML 1.1's booleans. The `yaml` package's YAML 1.1 schema also reads `y`/`n` as booleans;
 * PyYAML (and so Airflow) reads them as strings.
 */
const PYYAML_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PYYAML_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;

function withPyyamlBooleans(tags: Tags): Tags {
  const isBooleanTag = (tag: Tags[number]): tag is ScalarTag =>
    typeof tag === 'object' && tag.tag === 'tag:yaml.org,2002:bool' && !('collection' in tag && tag.collection);
  return tags.map((tag) => (isBooleanTag(tag) ? { ...tag, test: tag.identify?.(true) ? PYYAML_TRUE : PYYAML_FALSE } : tag));
}

/**
 * `_parse_yaml_file`: `yaml.safe_load`, the top level a mapping, duplicate keys keep the last.
 *
 * Syntax errors keep Airflow's line rule: `problem_mark.line`, 0-based. The message cannot be
 * PyYAML's: the `yaml` package detects problems with its own wording and sometimes at another
 * position. PyYAML's `str(MarkedYAMLError)` also quotes the offending source line, which can hold a
 * secret; ours gives the `yaml` package's error code and first sentence, never file content.
 */
export function parseYamlText(text: string): ParseResult {
  if (text === '') return { secrets: new Map(), errors: [{ line: 1, message: 'The file is empty.' }] };
  const document = parseDocument(text, {
    version: '1.1',
    intAsBigInt: true,
    uniqueKeys: false,
    merge: true,
    prettyErrors: false,
    customTags: withPyyamlBooleans,
  });
  const problems: YamlProblem[] = [
    ...document.errors.map((error) => ({ offset: error.pos[0], code: error.code, message: valueFreeText(error.message) })),
    ...problemsOnlyPyyamlReports(text, document),
  ];
  const first = problems.sort((a, b) => a.offset - b.offset)[0];
  if (first) {
    const line = first.offset >= 0 ? lineOfOffset(text, first.offset, '\n\x85\u2028\u2029') - 1 : -1;
    return { secrets: new Map(), errors: [{ line, message: `YAML syntax error (${first.code}): ${first.message}` }] };
  }
  let parsed: unknown;
  try {
    parsed = document.toJS({ mapAsMap: true });
  } catch (error) {
    // Alias expansion past the `yaml` package's resource limit, or a merge of a non-mapping.
    return {
      secrets: new Map(),
      errors: [{ line: -1, message: `YAML document cannot be expanded: ${valueFreeText(String((error as Error).message))}` }],
    };
  }
  if (!(parsed instanceof Map)) return { secrets: new Map(), errors: [{ line: 1, message: 'The file should contain the object.' }] };
  return { secrets: parsed, errors: [] };
}

interface YamlProblem {
  offset: number;
  code: string;
  message: string;
}

/**
 * Two things the `yaml` package accepts and PyYAML refuses, found by comparing both on mutated
 * files: a block-mapping entry with no key (`: value` at the start of a line) and an alias whose
 * anchor is not defined before it.
 */
function problemsOnlyPyyamlReports(text: string, document: Document): YamlProblem[] {
  const problems: YamlProblem[] = [];
  for (const token of new Parser().parse(text)) {
    if (token.type !== 'document') continue;
    CST.visit(token, (item, path) => {
      if (item.key !== null || !item.sep || item.start.some((source) => source.type === 'explicit-key-ind')) return;
      if (CST.visit.parentCollection(token, path).type !== 'block-map') return;
      const indicator = item.sep.find((source) => source.type === 'map-value-ind');
      if (indicator) problems.push({ offset: indicator.offset, code: 'EMPTY_KEY', message: 'did not find expected key' });
    });
  }
  visit(document, {
    Alias(_key, alias) {
      if (alias.resolve(document) !== undefined) return undefined;
      problems.push({ offset: alias.range?.[0] ?? -1, code: 'UNDEFINED_ALIAS', message: 'found undefined alias' });
      return visit.BREAK;
    },
  });
  return problems;
}

/** The first clause of a message, cut before anything quoted or listed, where file content would be. */
function valueFreeText(message: string): string {
  const cut = message.search(/["'`]|: /);
  return (cut === -1 ? message : message.slice(0, cut)).trim();
}

/** 1-based line of `offset`, counting the given line-break characters before it. */
function lineOfOffset(text: string, offset: number, breaks: string): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let index = 0; index < end; index += 1) if (breaks.includes(text[index] as string)) line += 1;
  return line;
}

function pythonSetRepr(items: readonly string[]): string {
  return `{${items.map(pyRepr).join(', ')}}`;
}
