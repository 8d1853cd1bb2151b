/** The bench's floor for an AWS lookup: one SDK GetSecretValue or GetParameter with the session's keys. */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { kwargText, type RawClient } from '../../targets/family';
import type { TargetDefinition, TargetSession } from '../../suites/target';
import { awsStoreOf } from './layout';

function clientConfig(kwargs: Readonly<Record<string, unknown>>) {
  return {
    endpoint: kwargText(kwargs, 'endpoint_url'),
    region: kwargText(kwargs, 'region_name'),
    credentials: { accessKeyId: kwargText(kwargs, 'aws_access_key_id'), secretAccessKey: kwargText(kwargs, 'aws_secret_access_key') },
  };
}

export async function awsRawClient(target: TargetDefinition, session: TargetSession, key: string): Promise<RawClient> {
  const kwargs = session.kwargs ?? {};
  const name = `${kwargText(kwargs, 'variables_prefix')}/${key}`;
  if (awsStoreOf(target)?.service === 'ssm') {
    const client = new SSMClient(clientConfig(kwargs));
    const command = new GetParameterCommand({ Name: name, WithDecryption: true });
    return {
      what: 'SDK GetParameter',
      read: async () => (await client.send(command)).Parameter?.Value,
      synchronous: false,
      close: () => client.destroy(),
    };
  }
  const client = new SecretsManagerClient(clientConfig(kwargs));
  const command = new GetSecretValueCommand({ SecretId: name });
  return {
    what: 'SDK GetSecretValue',
    read: async () => (await client.send(command)).SecretString,
    synchronous: false,
    close: () => client.destroy(),
  };
}
