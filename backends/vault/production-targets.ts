/**
 * The Vault targets on the production-mode OpenBao (one server for all of them, started once per
 * run): `vault-tls`, `vault-userpass`, `vault-ldap`, `vault-aws-iam`, `vault-kubernetes` and `vault-namespace`.
 */
import { findingKey } from '../../suites/findings';
import { productionTarget } from './production-target';

/** The namespace target's policy is the wide one platform teams often grant; its case says so. */
export const WIDE_POLICY_FINDING = {
  [findingKey('vault-production', 'the granted policy is no wider than the paths and capabilities the backend used')]:
    'configuration: the reader is granted read and list on the whole mount (path "<mount>/*"), where the backend reads ' +
    '<mount>/data/connections/, variables/ and config/ only and never lists: least privilege is three read rules',
};

export const vaultTlsTarget = productionTarget({
  name: 'vault-tls',
  summary: 'VaultBackend over HTTPS with verify=<run CA>, token auth, KV v2; the refused certificates and verify=False',
  slug: 'tls',
  auth: 'token',
  tlsCases: true,
});

export const vaultUserpassTarget = productionTarget({
  name: 'vault-userpass',
  summary: 'VaultBackend, userpass auth, KV v2, over HTTPS',
  slug: 'userpass',
  auth: 'userpass',
  refusals: ['unknown-user'],
});

export const vaultLdapTarget = productionTarget({
  name: 'vault-ldap',
  summary: 'VaultBackend, ldap auth against slapd (group airflow-readers grants the read policy), KV v2, over HTTPS',
  slug: 'ldap',
  auth: 'ldap',
  refusals: ['unknown-user', 'directory-down'],
});

export const vaultAwsIamTarget = productionTarget({
  name: 'vault-aws-iam',
  summary: 'VaultBackend, aws_iam auth (signed sts:GetCallerIdentity, checked by Vault against moto STS), KV v2, over HTTPS',
  slug: 'awsiam',
  auth: 'aws_iam',
  refusals: ['other-principal'],
});

export const vaultKubernetesTarget = productionTarget({
  name: 'vault-kubernetes',
  summary:
    "VaultBackend, kubernetes auth (a service-account JWT from kubernetes_jwt_path, checked by Vault with the run's kube-apiserver TokenReview), KV v2, over HTTPS",
  slug: 'k8s',
  auth: 'kubernetes',
  refusals: ['unknown-role', 'other-service-account'],
});

export const vaultNamespaceTarget = productionTarget({
  name: 'vault-namespace',
  summary: 'VaultBackend with namespace=<child namespace>, token of that namespace, KV v2, over HTTPS',
  slug: 'ns',
  auth: 'token',
  namespaced: true,
  // What platform teams often grant: the whole mount, listing included.
  policy: (mount) => `path "${mount}/*" {\n  capabilities = ["read", "list"]\n}\n`,
  knownFindings: WIDE_POLICY_FINDING,
});

export const productionVaultTargets = [
  vaultTlsTarget,
  vaultUserpassTarget,
  vaultLdapTarget,
  vaultAwsIamTarget,
  vaultKubernetesTarget,
  vaultNamespaceTarget,
];
