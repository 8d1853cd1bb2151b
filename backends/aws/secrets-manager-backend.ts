/**
 * Airflow's `SecretsManagerBackend` (amazon provider 9.39.0, `aws/secrets/secrets_manager.py`;
 * spec §7.2) on `@aws-sdk/client-secrets-manager`.
 *
 * Kwargs as Airflow names them: `connections_prefix` / `variables_prefix` / `config_prefix`
 * (defaults `airflow/connections`, `airflow/variables`, `airflow/config`; a truthy prefix is
 * `rstrip(sep)`-ed, `null` disables that kind with no request, `""` makes the id the secret name),
 * `*_lookup_pattern` (`re.match(..., re.IGNORECASE)`: anchored at the start, no request on a miss),
 * `sep` (default `/`), `extra_conn_words`, and the client settings of `./aws-client`.
 *
 * Not modelled: 9.39.0's multi-team naming (`<team>--<id>`), which needs `[core] multi_team` and
 * a `team_name` argument that this project's backend contract does not carry.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { pythonStrip } from '../../model/connection/python-builtins';
import { PythonJsonError, pyJsonLoads } from '../../model/connection/python-json-loads';
import { pyJsonDumps } from '../../model/connection/python-json-dumps';
import type { PyDict, PyValue } from '../../model/connection/python-values';
import { ConfigurationError, ConnectionFormatError } from '../../model/errors';
import { patternKwarg, prefixKwarg } from './aws-kwargs';
import { AwsProviderBackend, type AwsBackendOptions, type SecretKind } from './aws-provider-backend';
import { type sdkClientConfig } from './aws-sdk-client';
import { pythonRstrip } from './python-semantics';

const KIND = 'SecretsManagerBackend';

/** `_get_secret_value` catches exactly these and answers None (9.39.0). */
export const SECRETS_MANAGER_NOT_FOUND_CODES: ReadonlySet<string> = new Set([
  'ResourceNotFoundException',
  'InvalidParameterException',
  'InvalidRequestException',
  'DecryptionFailure',
  'InternalServiceError',
]);

/** `_standardize_secret_keys`: each output field and the secret keys that feed it, in this order. */
export const CONNECTION_FIELD_ALIASES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['login', ['login', 'user', 'username', 'user_name']],
  ['password', ['password', 'pass', 'key']],
  ['host', ['host', 'remote_host', 'server']],
  ['port', ['port']],
  ['schema', ['database', 'schema']],
  ['conn_type', ['conn_type', 'conn_id', 'connection_type', 'engine']],
  ['extra', ['extra']],
];

/**
 * The provider's re-keying of a JSON secret: every output field takes the value of the first key
 * (in the secret's own order) among its aliases, or null; every other key is dropped.
 * `extra_conn_words` extends the alias lists; its key `user` means `login`, and a key that names
 * no field is Python's KeyError, raised only when a JSON secret is read.
 */
export function standardizeSecretKeys(secret: PyDict, extraConnWords: Readonly<Record<string, unknown>>): PyDict {
  const aliases = new Map(CONNECTION_FIELD_ALIASES.map(([field, words]) => [field, [...words] as unknown[]]));
  for (const [field, words] of Object.entries(extraConnWords)) {
    const target = aliases.get(field === 'user' ? 'login' : field);
    if (!target) {
      throw new ConfigurationError(`extra_conn_words names "${field}", which is not a connection field`, {
        what: 'extra_conn_words',
        where: KIND,
        hint: `use keys among user, ${CONNECTION_FIELD_ALIASES.map(([name]) => name).join(', ')}`,
      });
    }
    // list.extend(): a list adds its items, a string its characters, anything else is a TypeError.
    if (Array.isArray(words)) target.push(...words);
    else if (typeof words === 'string') target.push(...Array.from(words));
    else {
      throw new ConfigurationError(`extra_conn_words["${field}"] must be a list of key names`, {
        what: 'extra_conn_words',
        where: KIND,
        hint: `write "${field}": ["some_key"]`,
      });
    }
  }
  const standardized: PyDict = new Map();
  for (const [field, words] of aliases) {
    let value: PyValue = null;
    for (const [key, member] of secret) {
      if (words.includes(key)) {
        value = member;
        break;
      }
    }
    standardized.set(field, value);
  }
  return standardized;
}

export class SecretsManagerBackend extends AwsProviderBackend<SecretsManagerClient> {
  readonly kind: string = KIND;
  protected readonly serviceName = 'Secrets Manager';
  readonly lookups: AwsProviderBackend<SecretsManagerClient>['lookups'];
  readonly sep: string;
  readonly extraConnWords: Readonly<Record<string, unknown>>;

  constructor(kwargs: Readonly<Record<string, unknown>> = {}, options: AwsBackendOptions = {}) {
    super(kwargs, KIND, options);
    const sep = kwargs.sep === undefined ? '/' : kwargs.sep;
    if (typeof sep !== 'string') {
      throw new ConfigurationError('sep must be a string', { what: 'backend_kwargs', where: KIND, hint: 'leave sep out for "/"' });
    }
    this.sep = sep;
    // Only a truthy prefix is stripped: "" stays "" and means "no prefix".
    const prefix = (name: string, fallback: string) => {
      const value = prefixKwarg(kwargs, name, fallback, KIND);
      return value ? pythonRstrip(value, sep) : value;
    };
    this.lookups = {
      connection: { prefix: prefix('connections_prefix', 'airflow/connections'), pattern: patternKwarg(kwargs, 'connections_lookup_pattern', KIND) },
      variable: { prefix: prefix('variables_prefix', 'airflow/variables'), pattern: patternKwarg(kwargs, 'variables_lookup_pattern', KIND) },
      config: { prefix: prefix('config_prefix', 'airflow/config'), pattern: patternKwarg(kwargs, 'config_lookup_pattern', KIND) },
    };
    const words = kwargs.extra_conn_words ?? {};
    if (typeof words !== 'object' || Array.isArray(words)) {
      throw new ConfigurationError('extra_conn_words must be an object of field name to key list', {
        what: 'backend_kwargs',
        where: KIND,
        hint: 'write {"user": ["principal"]}',
      });
    }
    this.extraConnWords = words as Record<string, unknown>;
  }

  protected createClient(config: ReturnType<typeof sdkClientConfig>): SecretsManagerClient {
    return new SecretsManagerClient(config);
  }

  /** `build_path(prefix, id, sep)` for a non-empty prefix, else the id itself. */
  protected nameOf(prefix: string, id: string): string {
    return prefix ? `${prefix}${this.sep}${id}` : id;
  }

  override async getConnValue(connId: string): Promise<string | null> {
    const secret = await this.lookup('connection', connId);
    if (secret === null || !pythonStrip(secret).startsWith('{')) return secret;
    return pyJsonDumps(this.rekey(this.parseJsonSecret(connId, secret)));
  }

  protected rekey(secret: PyDict): PyDict {
    return standardizeSecretKeys(secret, this.extraConnWords);
  }

  private parseJsonSecret(connId: string, secret: string): PyDict {
    let parsed: PyValue;
    try {
      parsed = pyJsonLoads(secret);
    } catch (error) {
      if (!(error instanceof PythonJsonError)) throw error;
      throw new ConnectionFormatError(`connection "${connId}": the secret starts with "{" but is not valid JSON: ${error.message}`, {
        what: `connection "${connId}"`,
        where: KIND,
        hint: 'store a JSON object or a connection URI',
      });
    }
    // A text starting with "{" that parses is an object.
    return parsed as PyDict;
  }

  protected async fetch(kind: SecretKind, id: string, name: string): Promise<string | null> {
    const response = await this.read(
      (client) => client.send(new GetSecretValueCommand({ SecretId: name })),
      { operation: 'GetSecretValue', what: `${kind} "${id}"`, name },
      SECRETS_MANAGER_NOT_FOUND_CODES,
    );
    // A SecretBinary-only secret has no SecretString: None in the provider.
    return response?.SecretString ?? null;
  }
}
