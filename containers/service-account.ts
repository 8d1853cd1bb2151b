/**
 * The system account a packaged server runs as (Debian's `postgres`, `openldap`). PostgreSQL
 * refuses to run as root, and slapd should not: when this process is root, a server's files are
 * handed to that account and the server runs as it. When this process is not root, the server
 * runs as whoever we are, which both accept.
 */
import { chmodSync, chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError } from '../model/errors';

export interface ServiceAccount {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** `undefined`: not root, run as ourselves. */
export function serviceAccountFor(name: string, installHint: string): ServiceAccount | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === name);
  if (!entry || entry.length < 4) {
    throw new ConfigurationError(`system user ${name} not found, and the server must not run as root`, {
      what: name,
      where: '/etc/passwd',
      hint: installHint,
    });
  }
  return { name, uid: Number(entry[2]), gid: Number(entry[3]) };
}

/** Hands `path` and everything under it to the account. */
export function handOver(path: string, account: ServiceAccount | undefined): void {
  if (!account) return;
  chownSync(path, account.uid, account.gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) handOver(child, account);
    else chownSync(child, account.uid, account.gid);
  }
}

/**
 * A fresh folder for a server's state (data, configuration, sockets) in the system's temporary
 * folder, whose parents every account may traverse: a log folder made by mkdtemp is 0700 and
 * root's, which the service account could not enter. Only the owner may enter this one.
 */
export function privateStateDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `asc-${name}-`));
  chmodSync(dir, 0o700);
  return dir;
}

/** State is per run: removed once the server has stopped (its log stays in the log folder). */
export function removeStateDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
