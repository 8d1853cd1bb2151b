/**
 * Airflow's LocalFilesystemBackend (spec §5; `airflow/secrets/local_filesystem.py` in 3.3.2):
 * connections, variables and configs read from `.env`, `.json`, `.yaml` or `.yml` files. Every
 * lookup reads and parses the whole file again, and a problem anywhere in a file fails every
 * lookup in it, as in Airflow.
 *
 * Error classes: parse errors are `FileParseError` (AirflowFileParseException) with Airflow's
 * messages and line numbers; duplicate keys are `NotUniqueError`; a bad connection definition is
 * `ConnectionFormatError`; a configured file that cannot be read is `UnavailableError` (see
 * `./secret-file-loader`); an unsupported extension is `ConfigurationError`.
 */
import { Connection } from '../../model/connection/connection';
import { pyJsonDumps } from '../../model/connection/python-json-dumps';
import { BaseSecretsBackend } from '../../model/contract';
import { ConfigurationError } from '../../model/errors';
import { loadConfigs, loadConnections, loadVariables, type SecretFileKind } from './secret-file-loader';

export type LocalFilesystemKwargs = {
  variables_file_path?: string | null;
  connections_file_path?: string | null;
  /** Present in 3.3.2 (`LocalFilesystemBackend.__init__`), although the 3.3.0 docs omit it. */
  configs_file_path?: string | null;
};

const KWARG_NAMES = ['variables_file_path', 'connections_file_path', 'configs_file_path'] as const;

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

/** The file loader's `json.dumps`, under the name the file-backend tests know it by. */
export { pyJsonDumps as pythonJsonDumps };

function asSecretText(value: unknown, what: string, path: string | null): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  return pyJsonDumps(value, { what, where: path ?? undefined });
}
