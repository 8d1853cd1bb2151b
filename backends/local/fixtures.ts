/**
 * Local fixtures: a session owns a folder under the run's scratch directory, keeps what was seeded
 * in memory and rewrites the whole file of that kind on every put, as a person editing the file
 * would. Each writer produces a file that Airflow's parser reads back to exactly the stored entries.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConnectionFixture, FixtureStore } from '../../suites/target';
import { ConfigurationError } from '../../model/errors';
import type { SecretFileKind } from './secret-file-loader';
import { isEnvCommentLine, pythonSplitLines } from './secret-file-parsers';

export type LocalFileFormat = 'json' | 'yaml' | 'env';

/** A connection entry as the file holds it: text (read as a URI) or an object of fields. */
type StoredEntry = string | Record<string, unknown>;

export const KWARG_FOR_KIND: Readonly<Record<SecretFileKind, string>> = {
  connections: 'connections_file_path',
  variables: 'variables_file_path',
  configs: 'configs_file_path',
};

const FILE_KINDS: readonly SecretFileKind[] = ['connections', 'variables', 'configs'];

function fixtureError(message: string, hint: string): ConfigurationError {
  return new ConfigurationError(message, { what: 'fixture', where: 'local-env target', hint });
}

// ---------------------------------------------------------------------------------------------
// Writers: each produces a file that Airflow's parser reads back to exactly the stored entries.

function renderJson(entries: ReadonlyMap<string, StoredEntry>): string {
  if (entries.size === 0) return '{}\n';
  const lines = [...entries].map(([key, value]) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`);
  return `{\n${lines.join(',\n')}\n}\n`;
}

/**
 * A YAML double-quoted scalar PyYAML reads back verbatim. JSON string syntax is valid there; the
 * characters PyYAML's reader refuses in a stream (DEL, C1 controls, U+FFFE/F) or treats as line
 * breaks (NEL, LS, PS) are escaped too, and so is the BOM.
 */
function yamlQuoted(text: string): string {
  return JSON.stringify(text).replace(
    /[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Values in flow style with every string quoted, so YAML 1.1's resolvers (yes, 0o17, ~) never apply. */
function yamlFlow(value: unknown): string {
  if (typeof value === 'string') return yamlQuoted(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `[${value.map(yamlFlow).join(', ')}]`;
  const members = Object.entries(value as Record<string, unknown>).map(([key, member]) => `${yamlQuoted(key)}: ${yamlFlow(member)}`);
  return `{${members.join(', ')}}`;
}

function renderYaml(entries: ReadonlyMap<string, StoredEntry>): string {
  if (entries.size === 0) return '{}\n';
  return [...entries].map(([key, value]) => `${yamlQuoted(key)}: ${yamlFlow(value)}\n`).join('');
}

/** What `_parse_env_file` would not read back as exactly this key and value. */
function envLineProblem(key: string, value: string): string | null {
  if (key === '') return 'an empty key is refused ("Invalid line format. Key is empty.")';
  if (key.includes('=')) return 'a key cannot contain "=": the line is split on the first one';
  if (value === '') return 'an empty value is refused ("Invalid line format. Value is empty.")';
  if (pythonSplitLines(`${key}=${value}`).length !== 1) return 'a line break (as Python splitlines() sees it) would split the entry';
  if (isEnvCommentLine(key)) return 'a key starting with "#" reads as a comment line';
  return null;
}

function renderEnv(entries: ReadonlyMap<string, StoredEntry>): string {
  return [...entries]
    .map(([key, value]) => {
      if (typeof value !== 'string') {
        throw fixtureError('a .env file holds text only; a connection object cannot be written', 'store the connection as a URI');
      }
      const problem = envLineProblem(key, value);
      if (problem) throw fixtureError(`cannot write "${key}" to a .env file: ${problem}`, 'declare the capability missing instead');
      return `${key}=${value}\n`;
    })
    .join('');
}

const RENDERERS: Readonly<Record<LocalFileFormat, (entries: ReadonlyMap<string, StoredEntry>) => string>> = {
  json: renderJson,
  yaml: renderYaml,
  env: renderEnv,
};

// ---------------------------------------------------------------------------------------------
// Sessions.

export class LocalFiles implements FixtureStore {
  private readonly entries: Record<SecretFileKind, Map<string, StoredEntry>> = {
    connections: new Map(),
    variables: new Map(),
    configs: new Map(),
  };
  /** The file each kind is read from now: the structured file, or the last raw file written. */
  private readonly current: Record<SecretFileKind, string>;
  private rawFiles = 0;

  constructor(
    readonly folder: string,
    private readonly format: LocalFileFormat,
  ) {
    this.current = {
      connections: this.structuredPath('connections'),
      variables: this.structuredPath('variables'),
      configs: this.structuredPath('configs'),
    };
  }

  currentPath(kind: SecretFileKind): string {
    return this.current[kind];
  }

  /** Every kind starts as a valid empty file, so a lookup in a fresh session is "not found". */
  async writeEmptyFiles(): Promise<void> {
    for (const kind of FILE_KINDS) await this.rewrite(kind);
  }

  async putConnection(connId: string, fixture: ConnectionFixture): Promise<void> {
    const entry: StoredEntry = 'uri' in fixture ? fixture.uri : 'raw' in fixture ? fixture.raw : { ...fixture.fields };
    await this.put('connections', connId, entry);
  }

  async putVariable(key: string, value: string): Promise<void> {
    await this.put('variables', key, value);
  }

  async putConfig(key: string, value: string): Promise<void> {
    await this.put('configs', key, value);
  }

  async deleteConnection(connId: string): Promise<void> {
    await this.remove('connections', connId);
  }

  async deleteVariable(key: string): Promise<void> {
    await this.remove('variables', key);
  }

  async putRawFile(kind: 'connections' | 'variables' | 'config', extension: string, content: string): Promise<void> {
    const fileKind: SecretFileKind = kind === 'config' ? 'configs' : kind;
    this.rawFiles += 1;
    const path = join(this.folder, `${fileKind}-raw-${this.rawFiles}.${extension}`);
    await writeFile(path, content, 'utf8');
    this.current[fileKind] = path;
  }

  private structuredPath(kind: SecretFileKind): string {
    return join(this.folder, `${kind}.${this.format}`);
  }

  private async put(kind: SecretFileKind, key: string, entry: StoredEntry): Promise<void> {
    const entries = new Map(this.entries[kind]).set(key, entry);
    const text = RENDERERS[this.format](entries);
    this.entries[kind] = entries;
    await this.write(kind, text);
  }

  private async remove(kind: SecretFileKind, key: string): Promise<void> {
    this.entries[kind].delete(key);
    await this.rewrite(kind);
  }

  private async rewrite(kind: SecretFileKind): Promise<void> {
    await this.write(kind, RENDERERS[this.format](this.entries[kind]));
  }

  private async write(kind: SecretFileKind, text: string): Promise<void> {
    await writeFile(this.structuredPath(kind), text, 'utf8');
    this.current[kind] = this.structuredPath(kind);
  }
}
