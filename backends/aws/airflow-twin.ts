/** `airflow:aws-sm` and `airflow:aws-ssm`: the amazon provider's own backends, run by Airflow on the aws fixtures. */
import { bridgedTarget } from '../../targets/airflow-bridge';
import { sessionKwargs } from '../../targets/command-target';
import { findingKey } from '../../suites/findings';
import { awsParameterStoreLocalstackTarget, awsParameterStoreTarget, awsSecretsManagerLocalstackTarget, awsSecretsManagerTarget } from './targets';

export const SECRETS_MANAGER_BACKEND_CLASS = 'airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend';
export const PARAMETER_STORE_BACKEND_CLASS = 'airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend';
export const AWS_DISTRIBUTIONS = ['apache-airflow-providers-amazon', 'boto3', 'botocore'] as const;

/** The amazon provider's backends build their client without the botocore config their kwargs make. */
function configKwargsDropped(service: string, file: string): Record<string, string> {
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
function configKwargsDroppedOnKeepAlive(service: string, file: string): Record<string, string> {
  return {
    ...configKwargsDropped(service, file),
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

export const airflowSecretsManagerTarget = bridgedTarget(awsSecretsManagerTarget, {
  name: 'airflow:aws-sm',
  summary: "apache-airflow-providers-amazon's SecretsManagerBackend through the bridge, on moto (endpoint_url)",
  backendClass: SECRETS_MANAGER_BACKEND_CLASS,
  distributions: AWS_DISTRIBUTIONS,
  parser: 'sdk',
  kwargs: sessionKwargs,
  described,
  knownFindings: configKwargsDropped('Secrets Manager', 'aws/secrets/secrets_manager.py'),
});

export const airflowParameterStoreTarget = bridgedTarget(awsParameterStoreTarget, {
  name: 'airflow:aws-ssm',
  summary: "apache-airflow-providers-amazon's SystemsManagerParameterStoreBackend through the bridge, on moto (endpoint_url)",
  backendClass: PARAMETER_STORE_BACKEND_CLASS,
  distributions: AWS_DISTRIBUTIONS,
  parser: 'sdk',
  kwargs: sessionKwargs,
  described,
  knownFindings: configKwargsDropped('SSM', 'aws/secrets/systems_manager.py'),
});

export const airflowSecretsManagerLocalstackTarget = bridgedTarget(awsSecretsManagerLocalstackTarget, {
  name: 'airflow:aws-sm-localstack',
  summary: "apache-airflow-providers-amazon's SecretsManagerBackend through the bridge, on LocalStack (endpoint_url)",
  backendClass: SECRETS_MANAGER_BACKEND_CLASS,
  distributions: AWS_DISTRIBUTIONS,
  parser: 'sdk',
  kwargs: sessionKwargs,
  described,
  knownFindings: configKwargsDroppedOnKeepAlive('Secrets Manager', 'aws/secrets/secrets_manager.py'),
});

export const airflowParameterStoreLocalstackTarget = bridgedTarget(awsParameterStoreLocalstackTarget, {
  name: 'airflow:aws-ssm-localstack',
  summary: "apache-airflow-providers-amazon's SystemsManagerParameterStoreBackend through the bridge, on LocalStack (endpoint_url)",
  backendClass: PARAMETER_STORE_BACKEND_CLASS,
  distributions: AWS_DISTRIBUTIONS,
  parser: 'sdk',
  kwargs: sessionKwargs,
  described,
  knownFindings: configKwargsDroppedOnKeepAlive('SSM', 'aws/secrets/systems_manager.py'),
});
