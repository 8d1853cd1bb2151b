/**
 * A private PostgreSQL cluster (Debian's binaries, `/usr/lib/postgresql/15/bin`) in a folder made
 * for the run: `initdb` with SCRAM password authentication, then `postgres` itself in the
 * foreground on a free 127.0.0.1 port (its Unix socket in the run folder, not /var/run). PostgreSQL
 * refuses to run as root: as root the cluster belongs to, and runs as, Debian's `postgres` account.
 *
 * After the start, the role Vault's database secrets engine connects as is set up the least-privilege
 * way: `vault_admin`, LOGIN CREATEROLE, not a superuser, owning the `airflow` database and its
 * `public` schema (so it can grant on them to the users it creates), with one table to read.
 *
 *   await using pg = await new PostgresServer().withLogDir(dir).start();
 *   pg.endpoint.port; pg.endpoint.vaultAdmin; connectPostgres(pg.endpoint, { user, password });
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { UnavailableError } from '../model/errors';
import type { ServerInfo, ServerKind } from './contract';
import { requireInstalled, startServerProcess, waitUntilReady, type ServerProcess } from './native-process';
import { StartedServer } from './server-module';
import { handOver, privateStateDir, removeStateDir, serviceAccountFor, type ServiceAccount } from './service-account';

export const postgresBinDir = '/usr/lib/postgresql/15/bin';
const installHint = 'apt-get install postgresql-15 (Debian creates the postgres account)';
/** util-linux's setpriv switches user and then execs: the server keeps the pid we spawned. */
const setpriv = '/usr/bin/setpriv';

export interface PostgresLogin {
  readonly user: string;
  readonly password: string;
}

export interface PostgresEndpoint extends ServerInfo {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The cluster's superuser (made by initdb): setup and checks only. */
  readonly superuser: PostgresLogin;
  /** The role Vault's database secrets engine connects as. */
  readonly vaultAdmin: PostgresLogin;
  /** The database the dynamic users are for; holds `public.dag_runs`. */
  readonly database: string;
  /** Milliseconds: initdb; spawn to a first answer; the vault_admin role and database. */
  readonly phasesMs: { readonly initdb: number; readonly started: number; readonly roleSetup: number };
}

const defaultLogDir = join(tmpdir(), 'secrets-conformance', 'servers');

export class PostgresServer {
  private logDir = defaultLogDir;
  private name = 'postgres';
  private binDir = postgresBinDir;

  withLogDir(logDir: string, name?: string): this {
    this.logDir = logDir;
    if (name) this.name = name;
    return this;
  }

  withBinDir(binDir: string): this {
    this.binDir = binDir;
    return this;
  }

  async start(): Promise<StartedPostgresServer> {
    const postgres = join(this.binDir, 'postgres');
    requireInstalled(postgres, 'postgres 15');
    const account = serviceAccountFor('postgres', installHint);
    const began = performance.now();
    mkdirSync(this.logDir, { recursive: true });
    const runDir = privateStateDir(this.name);
    try {
      return await this.startIn(runDir, postgres, account, began);
    } catch (error) {
      removeStateDir(runDir);
      throw error;
    }
  }

  private async startIn(runDir: string, postgres: string, account: ServiceAccount | undefined, began: number): Promise<StartedPostgresServer> {
    const dataDir = join(runDir, 'data');
    const superuser: PostgresLogin = { user: 'conformance', password: newPassword() };
    const passwordFile = join(runDir, 'superuser-password');
    writeFileSync(passwordFile, `${superuser.password}\n`, { mode: 0o600 });
    handOver(runDir, account);

    await this.runAs(account, 'initdb', [
      `--pgdata=${dataDir}`,
      `--username=${superuser.user}`,
      `--pwfile=${passwordFile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--no-locale',
      // A throwaway cluster: no fsync of the fresh files (seconds on a busy disk, nothing to lose).
      '--no-sync',
    ]);
    const initdb = Math.round(performance.now() - began);

    const logFile = join(this.logDir, `${this.name}.log`);
    const { server, port } = await startServerProcess(
      {},
      (port) => {
        const args = [
          '-D',
          dataDir,
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          `port=${port}`,
          '-c',
          `unix_socket_directories=${runDir}`,
          // No statement logging: CREATE ROLE ... PASSWORD (ours and the engine's) would put every
          // password in the log in plain text.
          '-c',
          'log_statement=none',
          // A throwaway cluster: CREATE DATABASE and the shutdown checkpoint need not wait for the disk.
          '-c',
          'fsync=off',
        ];
        return account
          ? { name: this.name, executable: setpriv, args: [...asAccount(account), postgres, ...args], logFile }
          : { name: this.name, executable: postgres, args, logFile };
      },
      (server, port) =>
        waitUntilReady(server, () => serverVersion(port, superuser), {
          what: `a login as ${superuser.user} at 127.0.0.1:${port}`,
        }),
    );
    const started = Math.round(performance.now() - began);
    try {
      const vaultAdmin: PostgresLogin = { user: 'vault_admin', password: newPassword() };
      const database = 'airflow';
      await setUpVaultAdmin(port, superuser, vaultAdmin, database);
      const roleSetup = Math.round(performance.now() - began);
      const endpoint: PostgresEndpoint = {
        provisioning: 'native',
        version: await serverVersion(port, superuser).then((version) => version ?? 'unknown'),
        logFile,
        proxyUpstream: `127.0.0.1:${port}`,
        host: '127.0.0.1',
        port,
        superuser,
        vaultAdmin,
        database,
        phasesMs: { initdb, started, roleSetup },
        startMs: roleSetup,
      };
      return new StartedPostgresServer(endpoint, () => fastShutdown(server).then(() => removeStateDir(runDir)), server);
    } catch (error) {
      await server.stop().catch(() => server.killNow());
      throw error;
    }
  }

  private async runAs(account: ServiceAccount | undefined, program: string, args: readonly string[]): Promise<void> {
    const executable = join(this.binDir, program);
    requireInstalled(executable, program);
    const [command, commandArgs] = account ? [setpriv, [...asAccount(account), executable, ...args]] : [executable, [...args]];
    try {
      // initdb reads LC_* to pick a locale; --no-locale settles it, a C locale keeps its messages plain.
      await promisify(execFile)(command, commandArgs, { timeout: 120_000, env: { ...process.env, LC_ALL: 'C' } });
    } catch (error) {
      const stderr = (error as { stderr?: unknown }).stderr;
      throw new UnavailableError(`${program} failed: ${typeof stderr === 'string' ? stderr.trim().split('\n').slice(-2).join(' ') : String(error)}`, {
        where: executable,
        hint: installHint,
        cause: error,
      });
    }
  }
}

/** The run's PostgreSQL, for Vault's database secrets engine. */
export const postgresServer: ServerKind<PostgresEndpoint> = {
  name: 'postgres',
  start: ({ logDir }) => new PostgresServer().withLogDir(logDir, 'postgres').start(),
};

export class StartedPostgresServer extends StartedServer<PostgresEndpoint> {}

/** A connected client to `database` (default: the endpoint's) as `login` (default: the superuser). */
export async function connectPostgres(
  endpoint: PostgresEndpoint,
  login: PostgresLogin = endpoint.superuser,
  database = endpoint.database,
): Promise<pg.Client> {
  const client = new pg.Client({ ...connectionOf(endpoint.port, login), database });
  await client.connect();
  return client;
}

/** `postgresql://{{username}}:{{password}}@...`: the template Vault's connection_url takes. */
export function vaultConnectionUrl(endpoint: PostgresEndpoint): string {
  return `postgresql://{{username}}:{{password}}@127.0.0.1:${endpoint.port}/${endpoint.database}?sslmode=disable`;
}

/**
 * SIGTERM is PostgreSQL's "smart" shutdown, which waits for every client to disconnect (Vault's
 * database engine keeps a pool open); SIGINT is "fast": sessions are ended, the cluster stops.
 */
async function fastShutdown(server: ServerProcess): Promise<void> {
  if (server.running) process.kill(server.pid, 'SIGINT');
  await server.stop();
}

function asAccount(account: ServiceAccount): string[] {
  return [`--reuid=${account.uid}`, `--regid=${account.gid}`, '--clear-groups', '--'];
}

function newPassword(): string {
  return randomBytes(18).toString('base64url');
}

function connectionOf(port: number, login: PostgresLogin): pg.ClientConfig {
  return { host: '127.0.0.1', port, user: login.user, password: login.password, database: 'postgres', connectionTimeoutMillis: 2_000 };
}

async function serverVersion(port: number, login: PostgresLogin): Promise<string | undefined> {
  const client = new pg.Client(connectionOf(port, login));
  try {
    await client.connect();
    const result = await client.query<{ server_version: string }>('SHOW server_version');
    return result.rows[0]?.server_version;
  } catch (error) {
    // 57P03: "the database system is starting up"; a refused connection: not listening yet.
    if ((error as { code?: unknown }).code === '57P03') return undefined;
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function setUpVaultAdmin(port: number, superuser: PostgresLogin, vaultAdmin: PostgresLogin, database: string): Promise<void> {
  const admin = new pg.Client(connectionOf(port, superuser));
  await admin.connect();
  try {
    // CREATE ROLE takes no bind parameters: the password is a literal, escaped by the client.
    await admin.query(`CREATE ROLE ${admin.escapeIdentifier(vaultAdmin.user)} LOGIN CREATEROLE PASSWORD ${admin.escapeLiteral(vaultAdmin.password)}`);
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)} OWNER ${admin.escapeIdentifier(vaultAdmin.user)}`);
  } finally {
    await admin.end();
  }
  const owner = new pg.Client({ ...connectionOf(port, vaultAdmin), database });
  await owner.connect();
  try {
    await owner.query('CREATE TABLE public.dag_runs (dag_id text PRIMARY KEY, state text NOT NULL)');
    await owner.query("INSERT INTO public.dag_runs VALUES ('example_dag', 'success')");
  } finally {
    await owner.end();
  }
}
