/**
 * OpenLDAP's `slapd` (Debian's package, `install/slapd.sh`) as a local process on a free 127.0.0.1
 * port, with a directory made fresh for each run (`slapd-directory.ts`) loaded with `slapadd`
 * before the server starts, in a private state folder removed at stop. As root it runs as
 * Debian's `openldap` account.
 *
 *   await using ldap = await new SlapdServer().withLogDir(dir).start();
 *   ldap.endpoint.url; ldap.endpoint.bindDn; ldap.endpoint.users;
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'ldapts';
import { UnavailableError } from '../model/errors';
import type { ServerInfo, ServerKind } from './contract';
import { requireInstalled, startServerProcess, waitUntilReady, type ServerProcess } from './native-process';
import { StartedServer } from './server-module';
import { handOver, privateStateDir, removeStateDir, serviceAccountFor, type ServiceAccount } from './service-account';
import {
  baseDn,
  configLdif,
  defaultDirectorySeed,
  directoryLdif,
  newDirectory,
  type DirectorySeed,
  type LdapGroup,
  type LdapUser,
} from './slapd-directory';

export const slapdExecutable = '/usr/sbin/slapd';
export const slapaddExecutable = '/usr/sbin/slapadd';
const installHint = 'run bash install/slapd.sh';

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

const defaultLogDir = join(tmpdir(), 'secrets-conformance', 'servers');

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

/** The run's LDAP directory, for Vault's `ldap` auth method. */
export const slapdServer: ServerKind<SlapdEndpoint> = {
  name: 'slapd',
  start: ({ logDir }) => new SlapdServer().withLogDir(logDir, 'slapd').start(),
};

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
