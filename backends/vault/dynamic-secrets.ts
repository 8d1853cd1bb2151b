/**
 * Dynamic secrets: engines that create a credential per read, under a lease Vault renews, revokes
 * and expires. The database engine on the run's PostgreSQL (the built-in postgresql plugin), and
 * the AWS engine (an external plugin, absent from OpenBao 2.7) creating IAM users in moto.
 */
import type { MotoIamEndpoint } from '../../containers/moto';
import { vaultConnectionUrl, type PostgresEndpoint } from '../../containers/postgres';
import type { VaultAdmin } from './admin';
import { externalPlugins, registerPlugin } from './plugins';
import { quoteVaultPath } from './vault-paths';

export interface LeaseLimits {
  readonly ttlSeconds: number;
  readonly maxTtlSeconds: number;
}

/**
 * The users a role creates may log in until the lease ends (`VALID UNTIL`, which Vault moves on
 * renewal) and read the `public` tables; revocation takes the grants back and drops the role.
 */
const creationStatements = [
  `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
  `GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";`,
];
const revocationStatements = [`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{{name}}";`, `DROP ROLE IF EXISTS "{{name}}";`];

export async function setUpDatabaseEngine(
  admin: VaultAdmin,
  mount: string,
  postgres: PostgresEndpoint,
  role: string,
  limits: LeaseLimits,
): Promise<void> {
  await admin.ensureMount('secrets', mount, 'database');
  const m = quoteVaultPath(mount);
  await admin.write('the database connection', `${m}/config/airflow-db`, {
    plugin_name: 'postgresql-database-plugin',
    connection_url: vaultConnectionUrl(postgres),
    username: postgres.vaultAdmin.user,
    password: postgres.vaultAdmin.password,
    allowed_roles: [role],
    verify_connection: true,
  });
  await admin.write(`the database role ${role}`, `${m}/roles/${quoteVaultPath(role)}`, {
    db_name: 'airflow-db',
    creation_statements: creationStatements,
    revocation_statements: revocationStatements,
    default_ttl: limits.ttlSeconds,
    max_ttl: limits.maxTtlSeconds,
  });
}

/** The AWS engine with moto's admin keys as its root credentials and one `iam_user` role. */
export async function setUpAwsSecretsEngine(
  admin: VaultAdmin,
  mount: string,
  moto: MotoIamEndpoint,
  role: string,
  limits: LeaseLimits,
): Promise<void> {
  await registerPlugin(admin, externalPlugins.awsSecrets);
  await admin.ensureMount('secrets', mount, externalPlugins.awsSecrets.name);
  const m = quoteVaultPath(mount);
  await admin.write('the AWS engine root credentials', `${m}/config/root`, {
    access_key: moto.accessKeyId,
    secret_key: moto.secretAccessKey,
    region: moto.region,
    iam_endpoint: moto.endpoint,
    sts_endpoint: moto.endpoint,
    max_retries: 0,
  });
  // iam_user leases come from config/lease, not from the role.
  await admin.write('the AWS engine lease limits', `${m}/config/lease`, { lease: `${limits.ttlSeconds}s`, lease_max: `${limits.maxTtlSeconds}s` });
  await admin.write(`the AWS role ${role}`, `${m}/roles/${quoteVaultPath(role)}`, {
    credential_type: 'iam_user',
    policy_document: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::airflow-logs/*'] }],
    }),
  });
}
