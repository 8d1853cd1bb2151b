/** `airflow:aws-sm` and `airflow:aws-ssm`: the amazon provider's own backends, run by Airflow on the aws fixtures. */
import { bridgedTarget } from '../../targets/airflow-bridge';
import { sessionKwargs } from '../../targets/command-target';
import { findingKey } from '../../suites/findings';
import { awsParameterStoreTarget, awsSecretsManagerTarget } from './targets';

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
