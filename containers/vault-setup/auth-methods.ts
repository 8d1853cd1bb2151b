/**
 * The auth methods a production Vault offers an Airflow deployment, set up as an operator would:
 * userpass; LDAP against the run's slapd (a service account searches, the user's own bind checks
 * the password, group membership maps to policies); AWS IAM, where Vault forwards the client's
 * signed `sts:GetCallerIdentity` to the configured STS endpoint (moto) and matches the caller's
 * ARN against the role's bound principal.
 */
import type { MotoIamEndpoint } from '../contract';
import type { SlapdEndpoint } from '../slapd';
import type { VaultAdmin } from './admin-client';
import { externalPlugins, registerPlugin } from './plugins';

/** Read access to Airflow's default paths on a KV v2 mount, nothing else. */
export function airflowReaderPolicy(kvMount: string): string {
  return ['connections', 'variables', 'config'].map((base) => `path "${kvMount}/data/${base}/*" {\n  capabilities = ["read"]\n}`).join('\n');
}

export interface UserpassUser {
  readonly username: string;
  readonly password: string;
  readonly policies: readonly string[];
}

export async function setUpUserpass(admin: VaultAdmin, users: readonly UserpassUser[], mount = 'userpass'): Promise<void> {
  await admin.enableAuth(mount, 'userpass');
  for (const user of users) {
    await admin.write(`auth/${mount}/users/${encodeURIComponent(user.username)}`, {
      password: user.password,
      token_policies: user.policies.join(','),
    });
  }
}

export interface LdapAuthOptions {
  readonly mount?: string;
  /** Directory group `cn` to the Vault policies its members get. */
  readonly groupPolicies: Readonly<Record<string, readonly string[]>>;
}

/** Registers the external LDAP plugin (OpenBao 2.7 has none built in), then mounts and configures it. */
export async function setUpLdapAuth(admin: VaultAdmin, directory: SlapdEndpoint, options: LdapAuthOptions): Promise<void> {
  const mount = options.mount ?? 'ldap';
  await registerPlugin(admin, externalPlugins.ldapAuth);
  await admin.enableAuth(mount, externalPlugins.ldapAuth.name);
  await admin.write(`auth/${mount}/config`, {
    url: directory.url,
    binddn: directory.bindDn,
    bindpass: directory.bindPassword,
    userdn: directory.userDn,
    userattr: 'uid',
    groupdn: directory.groupDn,
    groupfilter: '(&(objectClass=groupOfNames)(member={{.UserDN}}))',
    groupattr: 'cn',
    // Production would use ldaps:// or starttls; the run's slapd listens on loopback in plain LDAP.
    request_timeout: 5,
  });
  for (const [group, policies] of Object.entries(options.groupPolicies)) {
    await admin.write(`auth/${mount}/groups/${encodeURIComponent(group)}`, { policies: policies.join(',') });
  }
}

export interface AwsAuthRole {
  readonly name: string;
  /** The IAM principal (user or role ARN) allowed to log in with this role. */
  readonly boundIamPrincipalArn: string;
  readonly policies: readonly string[];
}

export interface AwsAuthOptions {
  readonly mount?: string;
  readonly roles: readonly AwsAuthRole[];
  /**
   * Vault's `iam_server_id_header_value`: clients must sign an `X-Vault-AWS-IAM-Server-ID` header
   * with this value, so a signed request made for another Vault cannot be replayed here.
   */
  readonly serverIdHeader?: string;
}

/**
 * Registers the external AWS auth plugin, then points it at moto for both STS (the login check)
 * and IAM (resolving a bound ARN to its unique id), with the moto admin's keys as Vault's own.
 */
export async function setUpAwsAuth(admin: VaultAdmin, moto: MotoIamEndpoint, options: AwsAuthOptions): Promise<void> {
  const mount = options.mount ?? 'aws';
  await registerPlugin(admin, externalPlugins.awsAuth);
  await admin.enableAuth(mount, externalPlugins.awsAuth.name);
  await admin.write(`auth/${mount}/config/client`, {
    access_key: moto.accessKeyId,
    secret_key: moto.secretAccessKey,
    sts_endpoint: moto.endpoint,
    sts_region: moto.region,
    iam_endpoint: moto.endpoint,
    ...(options.serverIdHeader ? { iam_server_id_header_value: options.serverIdHeader } : {}),
  });
  for (const role of options.roles) {
    await admin.write(`auth/${mount}/role/${encodeURIComponent(role.name)}`, {
      auth_type: 'iam',
      bound_iam_principal_arn: [role.boundIamPrincipalArn],
      token_policies: role.policies.join(','),
    });
  }
}
