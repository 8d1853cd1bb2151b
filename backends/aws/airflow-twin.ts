/** `airflow:aws-sm` and `airflow:aws-ssm`: the amazon provider's own backends, run by Airflow on the aws fixtures. */
import { bridgedTarget, type BridgedTargetOptions } from '../../targets/airflow-bridge';
import { sessionKwargs } from '../../targets/command-target';
import { findingKey } from '../../suites/findings';
import { awsParameterStoreLocalstackTarget, awsParameterStoreTarget, awsSecretsManagerLocalstackTarget, awsSecretsManagerTarget } from './targets';

export const SECRETS_MANAGER_BACKEND_CLASS = 'airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend';
export const PARAMETER_STORE_BACKEND_CLASS = 'airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend';
export const AWS_DISTRIBUTIONS = ['apache-airflow-providers-amazon', 'boto3', 'botocore'] as const;

/** The client a provider backend builds without its config: the service, and the provider's file. */
interface ProviderClient {
  readonly service: string;
  readonly file: string;
}

const SECRETS_MANAGER_CLIENT: ProviderClient = { service: 'Secrets Manager', file: 'aws/secrets/secrets_manager.py' };
const PARAMETER_STORE_CLIENT: ProviderClient = { service: 'SSM', file: 'aws/secrets/systems_manager.py' };

/** The amazon provider's backends build their client without the botocore config their kwargs make. */
function configKwargsDropped({ service, file }: ProviderClient): Record<string, string> {
  return {
    [findingKey('failover', 'latency: TimeoutError within the bound, the chain falls through, retries within budget, then recovery')]:
      `amazon provider 9.39.0 builds the ${service} client with session.client(service_name, region_name, verify, endpoint_url, api_version, use_ssl) ` +
      `and never passes conn_config.botocore_config (${file}, client), so config_kwargs (connect_timeout, read_timeout, retries) ` +
      "are read and dropped: the client keeps botocore's 60 s read timeout and waits out any latency below it",
  };
}

/**
 * On LocalStack the same dropped config also shows under the timeout toxic: its gateway keeps the
 * connection open as AWS does, so nothing ends the held request before botocore's 60 s. moto's
 * server closes each connection after its answer, so there the held request ends at once.
 */
function heldOnKeepAlive({ service, file }: ProviderClient): Record<string, string> {
  return {
    [findingKey(
      'failover',
      'timeout: TimeoutError/UnavailableError within the bound, the chain falls through, retries within budget, then recovery',
    )]:
      `amazon provider 9.39.0 drops config_kwargs for the ${service} client (${file}, client), and LocalStack keeps the connection open ` +
      "as AWS does: under the timeout toxic nothing closes it, so the lookup waits out botocore's 60 s read timeout instead of the kwargs' bound",
  };
}

const described = () => ({
  kwargs: {},
  notes: ["kwargs: the same AWS kwargs as the reference target's session (endpoint_url, region, keys, run prefixes)"],
});

const secretsManagerTwin: BridgedTargetOptions = {
  name: 'airflow:aws-sm',
  summary: "apache-airflow-providers-amazon's SecretsManagerBackend through the bridge, on moto (endpoint_url)",
  backendClass: SECRETS_MANAGER_BACKEND_CLASS,
  distributions: AWS_DISTRIBUTIONS,
  parser: 'sdk',
  kwargs: sessionKwargs,
  described,
  knownFindings: configKwargsDropped(SECRETS_MANAGER_CLIENT),
};

const parameterStoreTwin: BridgedTargetOptions = {
  name: 'airflow:aws-ssm',
  summary: "apache-airflow-providers-amazon's SystemsManagerParameterStoreBackend through the bridge, on moto (endpoint_url)",
  backendClass: PARAMETER_STORE_BACKEND_CLASS,
  distributions: AWS_DISTRIBUTIONS,
  parser: 'sdk',
  kwargs: sessionKwargs,
  described,
  knownFindings: configKwargsDropped(PARAMETER_STORE_CLIENT),
};

/** A moto twin on LocalStack: named and summarised so, and known to wait out the held request too. */
function onLocalstack(twin: BridgedTargetOptions, client: ProviderClient): BridgedTargetOptions {
  return {
    ...twin,
    name: `${twin.name}-localstack`,
    summary: twin.summary.replace(' on moto ', ' on LocalStack '),
    knownFindings: { ...twin.knownFindings, ...heldOnKeepAlive(client) },
  };
}

export const airflowSecretsManagerTarget = bridgedTarget(awsSecretsManagerTarget, secretsManagerTwin);

export const airflowParameterStoreTarget = bridgedTarget(awsParameterStoreTarget, parameterStoreTwin);

export const airflowSecretsManagerLocalstackTarget = bridgedTarget(
  awsSecretsManagerLocalstackTarget,
  onLocalstack(secretsManagerTwin, SECRETS_MANAGER_CLIENT),
);

export const airflowParameterStoreLocalstackTarget = bridgedTarget(
  awsParameterStoreLocalstackTarget,
  onLocalstack(parameterStoreTwin, PARAMETER_STORE_CLIENT),
);
