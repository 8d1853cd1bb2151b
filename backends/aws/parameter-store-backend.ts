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
import { buildPath } from '../../model/contract';
import { patternKwarg, prefixKwarg } from './aws-kwargs';
import { AwsProviderBackend, type AwsBackendOptions, type SecretKind } from './aws-provider-backend';
import { type sdkClientConfig } from './aws-sdk-client';
import { pythonRstrip } from './python-semantics';

const KIND = 'SystemsManagerParameterStoreBackend';

export const PARAMETER_STORE_NOT_FOUND_CODES: ReadonlySet<string> = new Set(['ParameterNotFound']);

export class SystemsManagerParameterStoreBackend extends AwsProviderBackend<SSMClient> {
  readonly kind: string = KIND;
  protected readonly serviceName = 'SSM Parameter Store';
  readonly lookups: AwsProviderBackend<SSMClient>['lookups'];

  constructor(kwargs: Readonly<Record<string, unknown>> = {}, options: AwsBackendOptions = {}) {
    super(kwargs, KIND, options);
    // Unlike Secrets Manager, "" is stripped too (`is not None`); it makes no difference.
    const prefix = (name: string, fallback: string) => {
      const value = prefixKwarg(kwargs, name, fallback, KIND);
      return value === null ? null : pythonRstrip(value, '/');
    };
    this.lookups = {
      connection: { prefix: prefix('connections_prefix', '/airflow/connections'), pattern: patternKwarg(kwargs, 'connections_lookup_pattern', KIND) },
      variable: { prefix: prefix('variables_prefix', '/airflow/variables'), pattern: patternKwarg(kwargs, 'variables_lookup_pattern', KIND) },
      config: { prefix: prefix('config_prefix', '/airflow/config'), pattern: patternKwarg(kwargs, 'config_lookup_pattern', KIND) },
    };
  }

  protected createClient(config: ReturnType<typeof sdkClientConfig>): SSMClient {
    return new SSMClient(config);
  }

  /** `_ensure_leading_slash(build_path(prefix, id))`: SSM hierarchies start at "/". */
  protected nameOf(prefix: string, id: string): string {
    const path = buildPath(prefix, id);
    return path.startsWith('/') ? path : `/${path}`;
  }

  protected async fetch(kind: SecretKind, id: string, name: string): Promise<string | null> {
    const response = await this.read(
      (client) => client.send(new GetParameterCommand({ Name: name, WithDecryption: true })),
      { operation: 'GetParameter', what: `${kind} "${id}"`, name },
      PARAMETER_STORE_NOT_FOUND_CODES,
    );
    return response?.Parameter?.Value ?? null;
  }
}
