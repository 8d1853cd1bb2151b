/**
 * The aws family's part of the deployment tools: the names a deployment's Secrets Manager or SSM
 * backend reads an id under (`explain`, the provider's own prefix, `sep` and lookup-pattern rules as
 * our reference backends implement them), and a store written the way each reads (`migrate --to
 * aws-sm | aws-ssm`): Secrets Manager gets the connection's fields as JSON, under the keys its
 * re-keying keeps (spec §7.2; `description` is not among them), Parameter Store gets Airflow's own
 * the fields `Connection.as_json()` writes, as a SecureString (spec §7.3).
 */
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { LookupKind, LookupName, MigratedConnection, MigrationStore } from '../../targets/family';
import { classifyAwsFailure } from './aws-failures';
import { readClientSettings } from './aws-kwargs';
import { type AwsProviderBackend } from './aws-provider-backend';
import { sdkClientConfig } from './aws-sdk-client';
import type { AwsService } from './layout';
import { SystemsManagerParameterStoreBackend } from './parameter-store-backend';
import { SecretsManagerBackend } from './secrets-manager-backend';
import { errorName } from './stores';

/** The kwargs that decide names (the layout's kept kwargs); address and credentials play no part. */
const NAMING_KWARGS = [
  'connections_prefix',
  'variables_prefix',
  'config_prefix',
  'connections_lookup_pattern',
  'variables_lookup_pattern',
  'config_lookup_pattern',
  'sep',
];

function namer(service: AwsService, kwargs: Record<string, unknown>): AwsProviderBackend<SecretsManagerClient> | AwsProviderBackend<SSMClient> {
  const naming = Object.fromEntries(Object.entries(kwargs).filter(([name]) => NAMING_KWARGS.includes(name)));
  return service === 'ssm' ? new SystemsManagerParameterStoreBackend(naming) : new SecretsManagerBackend(naming);
}

export function awsLookupNames(service: AwsService) {
  return (kind: LookupKind, id: string, kwargs: Record<string, unknown>): LookupName[] => {
    const name = namer(service, kwargs).nameFor(kind, id);
    if (name === null) return [];
    return [{ name, read: service === 'ssm' ? `GetParameter Name=${name} (WithDecryption)` : `GetSecretValue SecretId=${name}` }];
  };
}

/** The keys Secrets Manager's re-keying keeps, under their own names (spec §7.2). */
const SECRETS_MANAGER_FIELDS = ['conn_type', 'login', 'password', 'host', 'port', 'schema', 'extra'] as const;
/** What `Connection.from_json` reads (spec §6.4): every field, as `Connection.as_json()` writes them (empty ones left out). */
const PARAMETER_STORE_FIELDS = ['conn_type', 'description', 'host', 'login', 'password', 'schema', 'port', 'extra'] as const;

function connectionJson(connection: MigratedConnection, fields: readonly (keyof MigratedConnection)[]): string {
  const kept: Record<string, unknown> = {};
  for (const name of fields) if (connection[name] !== null && connection[name] !== '') kept[name] = connection[name];
  return JSON.stringify(kept);
}

export function awsMigrationStore(service: AwsService) {
  return (kwargs: Record<string, unknown>): MigrationStore => {
    const kind = service === 'ssm' ? 'SystemsManagerParameterStoreBackend' : 'SecretsManagerBackend';
    const settings = readClientSettings(kwargs, kind);
    const config = sdkClientConfig(settings);
    const names = namer(service, kwargs);
    const where = settings.endpointUrl ?? 'the default AWS endpoint';
    const failure = (error: unknown, operation: string, name: string, notFound: ReadonlySet<string>) =>
      classifyAwsFailure(
        error,
        { operation, what: `the item at ${name}`, name, where, timedOut: false, timeoutMs: settings.readTimeoutMs },
        notFound,
      );
    if (service === 'ssm') {
      const client = new SSMClient(config);
      return {
        where: `SSM Parameter Store at ${where}`,
        nameOf: (itemKind, id) => names.nameFor(itemKind, id),
        connectionValue: (connection: MigratedConnection) => connectionJson(connection, PARAMETER_STORE_FIELDS),
        variableValue: (value) => value,
        async read(name) {
          try {
            return (await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value ?? null;
          } catch (error) {
            const typed = failure(error, 'SSM GetParameter', name, new Set(['ParameterNotFound']));
            if (typed === null) return null;
            throw typed;
          }
        },
        async write(name, value) {
          const text = String(value);
          const tier = Buffer.byteLength(text) > 4096 ? 'Advanced' : 'Standard';
          try {
            await client.send(new PutParameterCommand({ Name: name, Value: text, Type: 'SecureString', Overwrite: true, Tier: tier }));
          } catch (error) {
            throw failure(error, 'SSM PutParameter', name, new Set()) ?? error;
          }
        },
        close: () => client.destroy(),
      };
    }
    const client = new SecretsManagerClient(config);
    return {
      where: `Secrets Manager at ${where}`,
      nameOf: (itemKind, id) => names.nameFor(itemKind, id),
      connectionValue: (connection: MigratedConnection) => connectionJson(connection, SECRETS_MANAGER_FIELDS),
      variableValue: (value) => value,
      unreadableFields: ['description'],
      async read(name) {
        try {
          return (await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString ?? null;
        } catch (error) {
          const typed = failure(error, 'Secrets Manager GetSecretValue', name, new Set(['ResourceNotFoundException']));
          if (typed === null) return null;
          throw typed;
        }
      },
      async write(name, value) {
        const text = String(value);
        try {
          try {
            await client.send(new CreateSecretCommand({ Name: name, SecretString: text }));
          } catch (error) {
            if (errorName(error) !== 'ResourceExistsException') throw error;
            await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: text }));
          }
        } catch (error) {
          throw failure(error, 'Secrets Manager PutSecretValue', name, new Set()) ?? error;
        }
      },
      close: () => client.destroy(),
    };
  };
}
