/**
 * OpenLDAP's `slapd` (Debian's package, `install/slapd.sh`) as a local process on a free 127.0.0.1
 * port, with a directory made fresh for each run: its own cn=config (an MDB database, the core,
 * cosine and inetOrgPerson schemas), then people, groups and a service account loaded with
 * `slapadd` before the server starts. Passwords are per run and stored salted-SHA hashed, as a
 * production directory stores them.
 *
 * Access is production-shaped too: nobody reads a password (binding checks it); the service
 * account that Vault's `ldap` auth method binds as may read people and groups, nothing more.
 *
 *   await using ldap = await new SlapdServer().withLogDir(dir).start();
 *   ldap.endpoint.url; ldap.endpoint.bindDn; ldap.endpoint.users;
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'ldapts';
import { UnavailableError } from '../backends/errors';
import type { ServerInfo } from './contract';
import { requireInstalled, startServerProcess, waitUntilReady, type ServerProcess } from './native-process';
import { StartedServer } from './server-module';
import { handOver, privateStateDir, removeStateDir, serviceAccountFor, type ServiceAccount } from './service-account';

export const slapdExecutable = '/usr/sbin/slapd';
export const slapaddExecutable = '/usr/sbin/slapadd';
const moduleDirectory = '/usr/lib/ldap';
const schemaDirectory = '/etc/ldap/schema';
const installHint = 'run bash install/slapd.sh';

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

export interface SlapdEndpoint extends ServerInfo {
  /** `ldap://127.0.0.1:<port>` */
  readonly url: string;
  readonly baseDn: string;
  /** Where people are: `ou=people,<base>`; a person's RDN is `uid`. */
  readonly userDn: string;
  /** Where groups are: `ou=groups,<base>`, `groupOfNames` with `member` DNs. */
  readonly groupDn: string;
  /** The service account Vault binds as to search people and groups. */
  readonly bindDn: string;
  readonly bindPassword: string;
  readonly users: readonly LdapUser[];
  readonly groups: readonly LdapGroup[];
  /** Milliseconds spent writing the configuration and loading the directory, before the start. */
  readonly seedMs: number;
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

const defaultLogDir = join(tmpdir(), 'secrets-conformance', 'servers');
const baseDn = 'dc=conformance,dc=test';

export class SlapdServer {
  private seed: DirectorySeed = defaultDirectorySeed;
  private logDir = defaultLogDir;
  private name = 'slapd';

  withDirectory(seed: DirectorySeed): this {
    this.seed = seed;
    return this;
  }

  withLogDir(logDir: string, name?: string): this {
    this.logDir = logDir;
    if (name) this.name = name;
    return this;
  }

  async start(): Promise<StartedSlapdServer> {
    requireInstalled(slapdExecutable, 'slapd');
    const account = serviceAccountFor('openldap', installHint);
    const began = performance.now();
    mkdirSync(this.logDir, { recursive: true });
    const runDir = privateStateDir(this.name);
    try {
      return await this.startIn(runDir, account, began);
    } catch (error) {
      removeStateDir(runDir);
      throw error;
    }
  }

  private async startIn(runDir: string, account: ServiceAccount | undefined, began: number): Promise<StartedSlapdServer> {
    const configDir = join(runDir, 'slapd.d');
    const dataDir = join(runDir, 'data');
    mkdirSync(configDir);
    mkdirSync(dataDir);

    const directory = newDirectory(this.seed);
    writeFileSync(join(runDir, 'config.ldif'), configLdif(runDir, dataDir, directory.bindDn), { mode: 0o600 });
    writeFileSync(join(runDir, 'directory.ldif'), directoryLdif(directory), { mode: 0o600 });
    await slapadd(['-n0', '-F', configDir, '-l', join(runDir, 'config.ldif')]);
    await slapadd(['-q', '-F', configDir, '-b', baseDn, '-l', join(runDir, 'directory.ldif')]);
    handOver(runDir, account);
    const seedMs = Math.round(performance.now() - began);

    const logFile = join(this.logDir, `${this.name}.log`);
    const { server, port } = await startServerProcess(
      {},
      (port) => ({
        name: this.name,
        executable: slapdExecutable,
        // -d: stay in the foreground and log to stderr (256: one line per connection and operation).
        args: ['-F', configDir, '-h', `ldap://127.0.0.1:${port}/`, '-d', '256', ...(account ? ['-u', account.name, '-g', account.name] : [])],
        logFile,
      }),
      (server, port) =>
        waitUntilReady(server, () => bindsAs(`ldap://127.0.0.1:${port}`, directory.bindDn, directory.bindPassword), {
          what: `a bind as ${directory.bindDn} at ldap://127.0.0.1:${port}`,
        }),
    );
    const endpoint: SlapdEndpoint = {
      provisioning: 'native',
      version: await slapdVersion(),
      logFile,
      proxyUpstream: `127.0.0.1:${port}`,
      url: `ldap://127.0.0.1:${port}`,
      baseDn,
      userDn: `ou=people,${baseDn}`,
      groupDn: `ou=groups,${baseDn}`,
      bindDn: directory.bindDn,
      bindPassword: directory.bindPassword,
      users: directory.users,
      groups: directory.groups,
      seedMs,
      startMs: Math.round(performance.now() - began),
    };
    return new StartedSlapdServer(endpoint, () => server.stop().then(() => removeStateDir(runDir)), server);
  }
}

export class StartedSlapdServer extends StartedServer<SlapdEndpoint> {
  constructor(endpoint: SlapdEndpoint, stop: () => Promise<void>, process?: ServerProcess) {
    super(endpoint, stop, process);
  }

  getUrl(): string {
    return this.endpoint.url;
  }

  user(uid: string): LdapUser {
    const user = this.endpoint.users.find((candidate) => candidate.uid === uid);
    if (!user)
      throw new UnavailableError(`no user ${uid} in the seeded directory`, { where: this.endpoint.url, hint: 'seed it with withDirectory()' });
    return user;
  }
}

interface Directory {
  readonly bindDn: string;
  readonly bindPassword: string;
  readonly users: LdapUser[];
  readonly groups: LdapGroup[];
}

function newPassword(): string {
  return randomBytes(18).toString('base64url');
}

function newDirectory(seed: DirectorySeed): Directory {
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

function configLdif(runDir: string, dataDir: string, bindDn: string): string {
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

function directoryLdif(directory: Directory): string {
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

async function slapadd(args: readonly string[]): Promise<void> {
  requireInstalled(slapaddExecutable, 'slapadd');
  try {
    await promisify(execFile)(slapaddExecutable, [...args], { timeout: 30_000 });
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    throw new UnavailableError(`slapadd ${args.join(' ')} failed: ${typeof stderr === 'string' ? stderr.trim().split('\n').pop() : String(error)}`, {
      where: slapaddExecutable,
      hint: installHint,
      cause: error,
    });
  }
}

async function bindsAs(url: string, dn: string, password: string): Promise<true | undefined> {
  const client = new Client({ url, timeout: 2_000, connectTimeout: 2_000 });
  try {
    await client.bind(dn, password);
    return true;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

async function slapdVersion(): Promise<string> {
  try {
    const { stderr } = await promisify(execFile)(slapdExecutable, ['-VV'], { timeout: 5_000 });
    return /slapd (\d+\.\d+\.\d+)/.exec(stderr)?.[1] ?? 'unknown';
  } catch (error) {
    // slapd -VV exits 0 on 2.5, but some builds exit 1 after printing the version.
    const stderr = (error as { stderr?: unknown }).stderr;
    return (typeof stderr === 'string' && /slapd (\d+\.\d+\.\d+)/.exec(stderr)?.[1]) || 'unknown';
  }
}
