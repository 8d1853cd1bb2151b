/**
 * Airflow's `SystemsManagerParameterStoreBackend` (amazon provider 9.39.0,
 * `aws/secrets/systems_manager.py`; spec §7.3) on `@aws-sdk/client-ssm`.
 *
 * Prefixes default to `/airflow/connections`, `/airflow/variables`, `/airflow/config`; every
 * non-null prefix is `rstrip("/")`-ed and `null` disables that kind with no request. There is no
 * `sep`: the name is `build_path(prefix, id)` with a leading `/` added when missing, so an empty
 * prefix reads `/<id>`. `GetParameter(WithDecryption=True)`; only `ParameterNotFound` is "not
 * found". Values are read as Airflow reads any value (URI, or JSON when it starts with `{`), with
 * no re-keying. Multi-team naming is not modelled (see `./aws-secrets-manager`).
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { buildPath } from './contract';
import { AwsProviderBackend, patternKwarg, prefixKwarg, pythonRstrip, type AwsBackendOptions, type sdkClientConfig, type SecretKind } from './aws-client';

const KIND = 'SystemsManagerParameterStoreBackend';

export const PARAMETER_STORE_NOT_FOUND_CODES: ReadonlySet<string> = new Set(['ParameterNotFound']);

export class SystemsManagerParameterStoreBackend extends AwsProviderBackend<SSMClient> {
  readonly kind: string = KIND;
  protected readonly serviceName = 'SSM Parameter Store';
  readonly connectionsPrefix: string | null;
  readonly variablesPrefix: string | null;
  readonly configPrefix: string | null;
  readonly connectionsLookupPattern: string | null;
  readonly variablesLookupPattern: string | null;
  readonly configLookupPattern: string | null;

  constructor(kwargs: Readonly<Record<string, unknown>> = {}, options: AwsBackendOptions = {}) {
    super(kwargs, KIND, options);
    // Unlike Secrets Manager, "" is stripped too (`is not None`); it makes no difference.
    const prefix = (name: string, fallback: string) => {
      const value = prefixKwarg(kwargs, name, fallback, KIND);
      return value === null ? null : pythonRstrip(value, '/');
    };
    this.connectionsPrefix = prefix('connections_prefix', '/airflow/connections');
    this.variablesPrefix = prefix('variables_prefix', '/airflow/variables');
    this.configPrefix = prefix('config_prefix', '/airflow/config');
    this.connectionsLookupPattern = patternKwarg(kwargs, 'connections_lookup_pattern', KIND);
    this.variablesLookupPattern = patternKwarg(kwargs, 'variables_lookup_pattern', KIND);
    this.configLookupPattern = patternKwarg(kwargs, 'config_lookup_pattern', KIND);
  }

  protected createClient(config: ReturnType<typeof sdkClientConfig>): SSMClient {
    return new SSMClient(config);
  }

  /** `_ensure_leading_slash(build_path(prefix, id))`: SSM hierarchies start at "/". */
  protected parameterName(prefix: string, id: string): string {
    const path = buildPath(prefix, id);
    return path.startsWith('/') ? path : `/${path}`;
  }

  /** The name a lookup of this kind asks for, or null when the lookup is skipped without a request. */
  parameterNameFor(kind: SecretKind, id: string): string | null {
    const [prefix, pattern] = this.configured(kind);
    if (prefix === null || !this.matchesLookupPattern(pattern, id)) return null;
    return this.parameterName(prefix, id);
  }

  async getConnValue(connId: string): Promise<string | null> {
    return this.lookup('connection', connId);
  }

  async getVariable(key: string): Promise<string | null> {
    return this.lookup('variable', key);
  }

  override async getConfig(key: string): Promise<string | null> {
    return this.lookup('config', key);
  }

  private configured(kind: SecretKind): [string | null, string | null] {
    if (kind === 'connection') return [this.connectionsPrefix, this.connectionsLookupPattern];
    if (kind === 'variable') return [this.variablesPrefix, this.variablesLookupPattern];
    return [this.configPrefix, this.configLookupPattern];
  }

  private async lookup(kind: SecretKind, id: string): Promise<string | null> {
    const name = this.parameterNameFor(kind, id);
    if (name === null) return null;
    const response = await this.read(
      (client) => client.send(new GetParameterCommand({ Name: name, WithDecryption: true })),
      { operation: 'GetParameter', what: `${kind} "${id}"`, name },
      PARAMETER_STORE_NOT_FOUND_CODES,
    );
    return response?.Parameter?.Value ?? null;
  }
}
