/**
 * An example custom backend: connections, variables and config values kept in JSON files, one
 * object per file, `{"<id>": <value>}`. A connection is a URI string or an object of connection
 * fields (read as connection JSON, like a JSON env var); a variable or config value is a string.
 *
 * Certify it with:
 *   npm test -- --backend=./examples/custom-typescript-backend/json-file-backend.ts
 *
 * `conformance` tells the suite where to seed fixtures (the `local` store, JSON files) and what
 * this backend can do; the default export builds a backend from its kwargs.
 */
import { readFile } from 'node:fs/promises';
import { BaseSecretsBackend, type SecretsBackend } from '../../model/contract';
import { ConfigurationError, MalformedSecretError, UnavailableError } from '../../model/errors';

type MissingFile = 'error' | 'empty';

interface JsonFileKwargs {
  connections_file_path?: string | null;
  variables_file_path?: string | null;
  configs_file_path?: string | null;
  /** What a configured file that does not exist means: an error (default) or "nothing stored". */
  missing_file?: MissingFile;
}

const KWARGS = ['connections_file_path', 'variables_file_path', 'configs_file_path', 'missing_file'];

export const conformance = {
  name: 'json-file-backend',
  // The suite writes connections.json / variables.json / configs.json and passes their paths.
  store: { layout: 'local', format: 'json', kwargs: { missing_file: 'error' } },
  capabilities: [
    'connections',
    'conn-value',
    'variables',
    'config',
    'json-connections',
    'empty-values',
    'multiline-values',
    'large-values',
    'mutable',
  ],
  missingCapabilityReasons: {
    'field-connections': 'an object is read as connection JSON (from_json), so conn_type is normalised',
    'raw-files': "file errors are this backend's own, not LocalFilesystemBackend's",
  },
  parser: 'sdk',
} as const;

class JsonFileBackend extends BaseSecretsBackend {
  readonly kind = 'JsonFileBackend';

  constructor(private readonly kwargs: JsonFileKwargs) {
    super({ parser: 'sdk' });
  }

  async getConnValue(connId: string): Promise<string | null> {
    const value = (await this.read('connections_file_path'))[connId];
    if (value === undefined || value === null) return null;
    if (typeof value === 'string') return value;
    if (typeof value === 'object' && !Array.isArray(value)) return JSON.stringify(value);
    throw new MalformedSecretError(`connection "${connId}" is a ${typeof value}, not a URI or an object`, {
      what: `connection "${connId}"`,
      where: this.kwargs.connections_file_path ?? undefined,
      hint: 'store a URI string or an object of connection fields',
    });
  }

  async getVariable(key: string): Promise<string | null> {
    return this.text('variables_file_path', key, `variable "${key}"`);
  }

  override async getConfig(key: string): Promise<string | null> {
    return this.text('configs_file_path', key, `config "${key}"`);
  }

  private async text(file: 'variables_file_path' | 'configs_file_path', key: string, what: string): Promise<string | null> {
    const value = (await this.read(file))[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') {
      throw new MalformedSecretError(`${what} is a ${typeof value}, not a string`, { what, where: this.kwargs[file] ?? undefined });
    }
    return value;
  }

  /** The whole file, read again on every lookup so a change is seen at once. */
  private async read(file: 'connections_file_path' | 'variables_file_path' | 'configs_file_path'): Promise<Record<string, unknown>> {
    const path = this.kwargs[file];
    if (!path) return {};
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && this.kwargs.missing_file === 'empty') return {};
      throw new UnavailableError(`cannot read ${file}`, { where: path, hint: 'check the path, or pass missing_file: "empty"' });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // JSON.parse's own message quotes the text, which holds secrets: say where, not what.
      throw new MalformedSecretError(`${file} is not valid JSON`, { where: path, hint: 'check the file with `python -m json.tool`' });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new MalformedSecretError(`${file} must hold one JSON object`, { where: path });
    }
    return parsed as Record<string, unknown>;
  }
}

export default function createBackend(kwargs: Record<string, unknown>): SecretsBackend {
  const unknown = Object.keys(kwargs).filter((name) => !KWARGS.includes(name));
  if (unknown.length > 0) {
    throw new ConfigurationError(`JsonFileBackend got unexpected kwargs: ${unknown.join(', ')}`, { hint: `use ${KWARGS.join(', ')}` });
  }
  const missing = kwargs.missing_file ?? 'error';
  if (missing !== 'error' && missing !== 'empty') {
    throw new ConfigurationError('missing_file must be "error" or "empty"', { where: 'JsonFileBackend kwargs' });
  }
  return new JsonFileBackend(kwargs as JsonFileKwargs);
}
