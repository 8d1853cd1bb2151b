/**
 * The auth methods a production Vault offers an Airflow deployment, set up as an operator would:
 * userpass; LDAP against the run's slapd (a service account searches, the user's own bind checks
 * the password, group membership maps to policies); AWS IAM, where Vault forwards the client's
 * signed `sts:GetCallerIdentity` to its configured STS endpoint (moto) and matches the caller's
 * ARN against the role's bound principal; Kubernetes, where Vault sends the client's service-account
 * JWT to the run's kube-apiserver as a TokenReview (with a reviewer token bound to
 * `system:auth-delegator`) and matches its service account against the role's. Mount paths are the
 * run's own.
 */
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import type { KubeApiServerEndpoint } from '../../containers/kube-apiserver';
import type { MotoIamEndpoint } from '../../containers/moto';
import type { SlapdEndpoint } from '../../containers/slapd';
import type { VaultAdmin } from './admin';
import { externalPlugins, registerPlugin } from './plugins';
import { quoteVaultPath } from './vault-paths';

export async function setUpUserpass(admin: VaultAdmin, mount: string, user: { username: string; password: string; policy: string }): Promise<void> {
  await admin.ensureMount('auth', mount, 'userpass');
  await admin.write(`the userpass user ${user.username}`, `auth/${quoteVaultPath(mount)}/users/${quoteVaultPath(user.username)}`, {
    password: user.password,
    token_policies: [user.policy],
  });
}

/** An LDAP mount on `url` (the run's slapd, or a dead address for the outage case); members of `group` get `policy`. */
export async function setUpLdap(
  admin: VaultAdmin,
  mount: string,
  directory: SlapdEndpoint,
  url: string,
  group: string,
  policy: string,
): Promise<void> {
  await registerPlugin(admin, externalPlugins.ldapAuth);
  await admin.ensureMount('auth', mount, externalPlugins.ldapAuth.name);
  await admin.write('the LDAP auth configuration', `auth/${quoteVaultPath(mount)}/config`, {
    url,
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
  await admin.write(`the LDAP group ${group}`, `auth/${quoteVaultPath(mount)}/groups/${quoteVaultPath(group)}`, { policies: [policy] });
}

export interface IamUser {
  readonly arn: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** An IAM user with an access key, made with moto's admin keys. */
export async function createIamUser(moto: MotoIamEndpoint, name: string): Promise<IamUser> {
  const iam = new IAMClient({
    endpoint: moto.endpoint,
    region: moto.region,
    credentials: { accessKeyId: moto.accessKeyId, secretAccessKey: moto.secretAccessKey },
  });
  try {
    const user = await iam.send(new CreateUserCommand({ UserName: name }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
    return { arn: user.User?.Arn ?? '', accessKeyId: key.AccessKey?.AccessKeyId ?? '', secretAccessKey: key.AccessKey?.SecretAccessKey ?? '' };
  } finally {
    iam.destroy();
  }
}

/**
 * The AWS auth method pointed at moto for STS (the login check) and IAM (resolving a bound ARN),
 * with moto's admin keys as Vault's own; one `iam` role per bound principal.
 */
export async function setUpAwsAuth(
  admin: VaultAdmin,
  mount: string,
  moto: MotoIamEndpoint,
  roles: ReadonlyArray<{ name: string; boundArn: string; policy: string }>,
): Promise<void> {
  await registerPlugin(admin, externalPlugins.awsAuth);
  await admin.ensureMount('auth', mount, externalPlugins.awsAuth.name);
  await admin.write('the AWS auth client configuration', `auth/${quoteVaultPath(mount)}/config/client`, {
    access_key: moto.accessKeyId,
    secret_key: moto.secretAccessKey,
    sts_endpoint: moto.endpoint,
    sts_region: moto.region,
    iam_endpoint: moto.endpoint,
  });
  for (const role of roles) {
    await admin.write(`the AWS auth role ${role.name}`, `auth/${quoteVaultPath(mount)}/role/${quoteVaultPath(role.name)}`, {
      auth_type: 'iam',
      bound_iam_principal_arn: [role.boundArn],
      token_policies: [role.policy],
    });
  }
}

/**
 * OpenBao's builtin `kubernetes` auth method pointed at the run's API server: its CA, and the JWT
 * of a reviewer service account that may create TokenReviews (the pod's own token is not there to
 * fall back on: `disable_local_ca_jwt`). One role per bound service account.
 */
export async function setUpKubernetesAuth(
  admin: VaultAdmin,
  mount: string,
  kube: KubeApiServerEndpoint,
  reviewerJwt: string,
  roles: ReadonlyArray<{ name: string; serviceAccount: string; namespace: string; policy: string }>,
): Promise<void> {
  await admin.ensureMount('auth', mount, 'kubernetes');
  await admin.write('the Kubernetes auth configuration', `auth/${quoteVaultPath(mount)}/config`, {
    kubernetes_host: kube.address,
    kubernetes_ca_cert: kube.caPem,
    token_reviewer_jwt: reviewerJwt,
    disable_local_ca_jwt: true,
  });
  for (const role of roles) {
    await admin.write(`the Kubernetes auth role ${role.name}`, `auth/${quoteVaultPath(mount)}/role/${quoteVaultPath(role.name)}`, {
      bound_service_account_names: [role.serviceAccount],
      bound_service_account_namespaces: [role.namespace],
      token_policies: [role.policy],
    });
  }
}
