/**
 * A throw-away PostgreSQL server for a deployment whose metastore is PostgreSQL: the machine's
 * PostgreSQL binaries (initdb, postgres), a data folder under `dir`, 127.0.0.1 on a free port, trust
 * authentication for one role. PostgreSQL refuses to run as root, so as root it runs as the `postgres`
 * user. Ready when the server says so on its log.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN_DIRS = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'];
const READY_TIMEOUT_MS = 60_000;

export function postgresBinDir(): string | null {
  return BIN_DIRS.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) ?? null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The command as the server's own user (`postgres` when we are root). */
function asServerUser(file: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
}

export interface StartedPostgres {
  /** A SQLAlchemy URL for `database`, as Airflow's sql_alchemy_conn takes it. */
  url(database: string): string;
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startPostgres(dir: string): Promise<StartedPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL binaries not found');
  const data = join(dir, 'pgdata');
  mkdirSync(data, { recursive: true });
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
    chownSync(data, Number(stdout.trim()), Number(gid.trim()));
  }
  const [initFile, initArgs] = asServerUser(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'airflow', '--no-sync']);
  await run(initFile, initArgs);
  const port = await freePort();
  const [file, args] = asServerUser(join(bin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
  ]);
  const server: ChildProcess = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(
      () => reject(new Error(`PostgreSQL did not get ready within ${READY_TIMEOUT_MS} ms: ${log.slice(-500)}`)),
      READY_TIMEOUT_MS,
    );
    server.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
      if (log.includes('ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`PostgreSQL exited with ${code}: ${log.slice(-500)}`));
    });
  });
  return {
    url: (database) => `postgresql+psycopg2://airflow@127.0.0.1:${port}/${database}`,
    async createDatabase(name) {
      await run(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'airflow', name]);
    },
    async stop() {
      if (server.exitCode !== null) return;
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    },
  };
}
