/**
 * Path (a) of the latency bench: the same variable read with the plain client and nothing of
 * ours: a `process.env` read, `fs.readFile` and a parse, a `node-vault` read, an SDK
 * `GetSecretValue` / `GetParameter`. The floor a reference backend is measured against.
 */
import { readFile } from 'node:fs/promises';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import NodeVault from 'node-vault';
import { parse as parseYaml } from 'yaml';
import { variableEnvName } from '../backends/environment-variables';
import { LocalFiles } from '../targets/local.target';
import type { TargetDefinition, TargetSession } from '../targets/target';

export interface RawClient {
  /** The call as people know it: `node-vault read`, `SDK GetSecretValue`. */
  readonly what: string;
  readonly read: () => unknown;
  /** `read` answers at once, not with a Promise (the environment). */
  readonly synchronous: boolean;
  close(): void;
}

type Kwargs = Record<string, unknown>;

function text(kwargs: Kwargs, name: string): string {
  const value = kwargs[name];
  if (typeof value !== 'string') throw new TypeError(`the session kwargs lack ${name}`);
  return value;
}

function envFileValue(content: string, key: string): string | undefined {
  for (const line of content.split('\n')) {
    const equals = line.indexOf('=');
    if (equals > 0 && line.slice(0, equals) === key) return line.slice(equals + 1);
  }
  return undefined;
}

function localClient(target: TargetDefinition, session: TargetSession, key: string): RawClient {
  if (!(session.fixtures instanceof LocalFiles)) throw new TypeError(`${target.name}: a local session keeps LocalFiles`);
  const path = session.fixtures.currentPath('variables');
  const parse: (content: string) => unknown =
    target.fileFormat === 'yaml'
      ? (content) => (parseYaml(content) as Record<string, unknown>)[key]
      : target.fileFormat === 'env'
        ? (content) => envFileValue(content, key)
        : (content) => (JSON.parse(content) as Record<string, unknown>)[key];
  const parser = target.fileFormat === 'yaml' ? 'yaml.parse' : target.fileFormat === 'env' ? 'a split on lines and "="' : 'JSON.parse';
  return { what: `fs.readFile + ${parser}`, read: async () => parse(await readFile(path, 'utf8')), synchronous: false, close: () => {} };
}

async function vaultClient(kwargs: Kwargs, key: string): Promise<RawClient> {
  const client = NodeVault({ endpoint: text(kwargs, 'url') });
  (client as { pathPrefix?: string }).pathPrefix = '';
  if (kwargs.auth_type === 'approle') {
    const mount = text(kwargs, 'auth_mount_point');
    const login = (await client.write(`auth/${mount}/login`, { role_id: text(kwargs, 'role_id'), secret_id: text(kwargs, 'secret_id') })) as {
      auth: { client_token: string };
    };
    client.token = login.auth.client_token;
  } else {
    client.token = text(kwargs, 'token');
  }
  const mount = text(kwargs, 'mount_point');
  const v2 = kwargs.kv_engine_version !== 1;
  const path = v2 ? `${mount}/data/variables/${key}` : `${mount}/variables/${key}`;
  return {
    what: 'node-vault read',
    synchronous: false,
    read: async () => {
      const answer = (await client.read(path)) as { data: { data?: { value?: unknown }; value?: unknown } };
      return v2 ? answer.data.data?.value : answer.data.value;
    },
    close: () => {},
  };
}

function awsConfig(kwargs: Kwargs) {
  return {
    endpoint: text(kwargs, 'endpoint_url'),
    region: text(kwargs, 'region_name'),
    credentials: { accessKeyId: text(kwargs, 'aws_access_key_id'), secretAccessKey: text(kwargs, 'aws_secret_access_key') },
  };
}

function secretsManagerClient(kwargs: Kwargs, key: string): RawClient {
  const client = new SecretsManagerClient(awsConfig(kwargs));
  const command = new GetSecretValueCommand({ SecretId: `${text(kwargs, 'variables_prefix')}/${key}` });
  return { what: 'SDK GetSecretValue', read: async () => (await client.send(command)).SecretString, synchronous: false, close: () => client.destroy() };
}

function parameterStoreClient(kwargs: Kwargs, key: string): RawClient {
  const client = new SSMClient(awsConfig(kwargs));
  const command = new GetParameterCommand({ Name: `${text(kwargs, 'variables_prefix')}/${key}`, WithDecryption: true });
  return { what: 'SDK GetParameter', read: async () => (await client.send(command)).Parameter?.Value, synchronous: false, close: () => client.destroy() };
}

/** The plain client reading `key` from the store of `target`'s session, or `null` for a store the bench does not know. */
export async function rawClientFor(target: TargetDefinition, session: TargetSession, key: string): Promise<RawClient | null> {
  const kwargs = session.kwargs ?? {};
  switch (target.family) {
    case 'env': {
      const name = variableEnvName(key);
      return { what: 'process.env read', read: () => process.env[name], synchronous: true, close: () => {} };
    }
    case 'local':
      return localClient(target, session, key);
    case 'vault':
      return vaultClient(kwargs, key);
    case 'aws':
      return target.name === 'aws-ssm' ? parameterStoreClient(kwargs, key) : secretsManagerClient(kwargs, key);
    default:
      return null;
  }
}
