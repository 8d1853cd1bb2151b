/**
 * What the run's LDAP directory holds, as LDIF for `slapadd`: its cn=config (an MDB database, the
 * core, cosine and inetOrgPerson schemas, production-shaped access: nobody reads a password, the
 * service account Vault binds as reads people and groups only) and its entries (people, groups,
 * the service account), with passwords made per run and stored salted-SHA hashed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';

const moduleDirectory = '/usr/lib/ldap';
const schemaDirectory = '/etc/ldap/schema';
export const baseDn = 'dc=conformance,dc=test';

export interface LdapUser {
  readonly uid: string;
  readonly dn: string;
  readonly password: string;
  /** The `cn`s of the groups the user is a member of. */
  readonly groups: readonly string[];
}

export interface LdapGroup {
  readonly cn: string;
  readonly dn: string;
}

/** Who the directory holds: each user with the groups they belong to. */
export interface DirectorySeed {
  readonly users: readonly { readonly uid: string; readonly groups: readonly string[] }[];
}

export const defaultDirectorySeed: DirectorySeed = {
  users: [
    { uid: 'alice', groups: ['airflow-readers'] },
    { uid: 'bob', groups: ['other-team'] },
    { uid: 'carol', groups: [] },
  ],
};

export interface Directory {
  readonly bindDn: string;
  readonly bindPassword: string;
  readonly users: LdapUser[];
  readonly groups: LdapGroup[];
}

function newPassword(): string {
  return randomBytes(18).toString('base64url');
}

export function newDirectory(seed: DirectorySeed): Directory {
  const users = seed.users.map((user) => ({
    uid: user.uid,
    dn: `uid=${user.uid},ou=people,${baseDn}`,
    password: newPassword(),
    groups: [...user.groups],
  }));
  const groupNames = [...new Set(seed.users.flatMap((user) => user.groups))];
  return {
    bindDn: `cn=vault-reader,ou=services,${baseDn}`,
    bindPassword: newPassword(),
    users,
    groups: groupNames.map((cn) => ({ cn, dn: `cn=${cn},ou=groups,${baseDn}` })),
  };
}

/** RFC 2307's `{SSHA}`: base64(SHA-1(password + salt) + salt), what slapd checks a bind against. */
function saltedSha(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

function entry(dn: string, attributes: readonly (readonly [string, string])[]): string {
  return [`dn: ${dn}`, ...attributes.map(([name, value]) => `${name}: ${value}`)].join('\n');
}

export function configLdif(runDir: string, dataDir: string, bindDn: string): string {
  return [
    entry('cn=config', [
      ['objectClass', 'olcGlobal'],
      ['cn', 'config'],
      ['olcPidFile', join(runDir, 'slapd.pid')],
    ]),
    entry('cn=module{0},cn=config', [
      ['objectClass', 'olcModuleList'],
      ['cn', 'module{0}'],
      ['olcModulePath', moduleDirectory],
      ['olcModuleLoad', 'back_mdb'],
    ]),
    entry('cn=schema,cn=config', [
      ['objectClass', 'olcSchemaConfig'],
      ['cn', 'schema'],
    ]),
    ...['core', 'cosine', 'inetorgperson'].map((schema) => `include: file://${schemaDirectory}/${schema}.ldif`),
    entry('olcDatabase={-1}frontend,cn=config', [
      ['objectClass', 'olcDatabaseConfig'],
      ['objectClass', 'olcFrontendConfig'],
      ['olcDatabase', '{-1}frontend'],
    ]),
    entry('olcDatabase={0}config,cn=config', [
      ['objectClass', 'olcDatabaseConfig'],
      ['olcDatabase', '{0}config'],
      ['olcAccess', '{0}to * by * none'],
    ]),
    entry('olcDatabase={1}mdb,cn=config', [
      ['objectClass', 'olcDatabaseConfig'],
      ['objectClass', 'olcMdbConfig'],
      ['olcDatabase', '{1}mdb'],
      ['olcSuffix', baseDn],
      ['olcDbDirectory', dataDir],
      // No rootDN password: the directory is loaded offline with slapadd, nobody administers it online.
      ['olcRootDN', `cn=admin,${baseDn}`],
      ['olcAccess', '{0}to attrs=userPassword by anonymous auth by * none'],
      ['olcAccess', `{1}to * by dn.exact="${bindDn}" read by self read by * none`],
    ]),
    '',
  ].join('\n\n');
}

export function directoryLdif(directory: Directory): string {
  const organisationalUnit = (ou: string): string =>
    entry(`ou=${ou},${baseDn}`, [
      ['objectClass', 'organizationalUnit'],
      ['ou', ou],
    ]);
  return [
    entry(baseDn, [
      ['objectClass', 'dcObject'],
      ['objectClass', 'organization'],
      ['dc', 'conformance'],
      ['o', 'conformance'],
    ]),
    organisationalUnit('people'),
    organisationalUnit('groups'),
    organisationalUnit('services'),
    entry(directory.bindDn, [
      ['objectClass', 'organizationalRole'],
      ['objectClass', 'simpleSecurityObject'],
      ['cn', 'vault-reader'],
      ['userPassword', saltedSha(directory.bindPassword)],
    ]),
    ...directory.users.map((user) =>
      entry(user.dn, [
        ['objectClass', 'inetOrgPerson'],
        ['uid', user.uid],
        ['cn', user.uid],
        ['sn', user.uid],
        ['mail', `${user.uid}@conformance.test`],
        ['userPassword', saltedSha(user.password)],
      ]),
    ),
    ...directory.groups.map((group) =>
      entry(group.dn, [
        ['objectClass', 'groupOfNames'],
        ['cn', group.cn],
        ...directory.users.filter((user) => user.groups.includes(group.cn)).map((user) => ['member', user.dn] as const),
      ]),
    ),
    '',
  ].join('\n\n');
}
