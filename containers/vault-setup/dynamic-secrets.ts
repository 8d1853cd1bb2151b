/**
 * Dynamic secrets: engines that create a credential per read, under a lease Vault renews, revokes
 * and expires. The database engine on the run's PostgreSQL (the built-in postgresql plugin), and
 * the AWS engine (an external plugin, absent from OpenBao 2.7) creating IAM users in moto.
 */
import type { MotoIamEndpoint } from '../contract';
import type { StartedPostgresServer } from '../postgres';
import type { VaultAdmin } from './admin-client';
import { externalPlugins, registerPlugin } from './plugins';

/** Vault's duration strings: `10s`, `1m`. */
export type VaultDuration = `${number}${'s' | 'm' | 'h'}`;

export interface LeaseLimits {
  readonly ttl: VaultDuration;
  readonly maxTtl: VaultDuration;
}

export interface DatabaseEngineOptions extends LeaseLimits {
  readonly mount?: string;
  readonly connection?: string;
  readonly role: string;
  /**
   * Rotate vault_admin's password so only Vault knows it, as production does. The endpoint's
   * copy of that password stops working then.
   */
  readonly rotateRoot?: boolean;
}

/**
 * The users a role creates may log in until the lease ends (`VALID UNTIL`, which Vault moves on
 * renewal) and read the `public` tables; revocation takes the grants back and drops the role.
 */
export const postgresCreationStatements = [
  `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
  `GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";`,
];
export const postgresRevocationStatements = [`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{{name}}";`, `DROP ROLE IF EXISTS "{{name}}";`];

export async function setUpDatabaseEngine(admin: VaultAdmin, postgres: StartedPostgresServer, options: DatabaseEngineOptions): Promise<void> {
  const mount = options.mount ?? 'database';
  const connection = options.connection ?? 'airflow-db';
  await admin.mount(mount, 'database');
  await admin.write(`${mount}/config/${connection}`, {
    plugin_name: 'postgresql-database-plugin',
    connection_url: postgres.vaultConnectionUrl(),
    username: postgres.endpoint.vaultAdmin.user,
    password: postgres.endpoint.vaultAdmin.password,
    allowed_roles: [options.role],
    verify_connection: true,
  });
  if (options.rotateRoot) await admin.write(`${mount}/rotate-root/${connection}`);
  await admin.write(`${mount}/roles/${options.role}`, {
    db_name: connection,
    creation_statements: postgresCreationStatements,
    revocation_statements: postgresRevocationStatements,
    default_ttl: options.ttl,
    max_ttl: options.maxTtl,
  });
}

export interface AwsEngineOptions extends LeaseLimits {
  readonly mount?: string;
  readonly role: string;
  /** The inline policy of each IAM user the role creates. */
  readonly policyDocument: Record<string, unknown>;
}

/**
 * Registers the external AWS secrets plugin, mounts it, gives it moto's admin keys as its root
 * credentials (IAM and STS both at moto), the lease limits, and one `iam_user` role.
 */
export async function setUpAwsSecretsEngine(admin: VaultAdmin, moto: MotoIamEndpoint, options: AwsEngineOptions): Promise<void> {
  const mount = options.mount ?? 'aws';
  await registerPlugin(admin, externalPlugins.awsSecrets);
  await admin.mount(mount, externalPlugins.awsSecrets.name);
  await admin.write(`${mount}/config/root`, {
    access_key: moto.accessKeyId,
    secret_key: moto.secretAccessKey,
    region: moto.region,
    iam_endpoint: moto.endpoint,
    sts_endpoint: moto.endpoint,
    max_retries: 0,
  });
  // The engine's leases come from config/lease, not from the role (iam_user credentials).
  await admin.write(`${mount}/config/lease`, { lease: options.ttl, lease_max: options.maxTtl });
  await admin.write(`${mount}/roles/${options.role}`, {
    credential_type: 'iam_user',
    policy_document: JSON.stringify(options.policyDocument),
  });
}
