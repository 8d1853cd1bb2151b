/**
 * `secrets-conformance connection ...` as a user runs it: a real child process, its exit code,
 * stdout and stderr.
 */
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = resolve(repoRoot, 'bin/secrets-conformance.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(...args: string[]): Promise<Run> {
  return new Promise((resolveRun) => {
    execFile(process.execPath, [cli, ...args], { cwd: repoRoot, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolveRun({ code, stdout, stderr });
    });
  });
}

describe('secrets-conformance connection', () => {
  it('parse prints the SDK view as one JSON object and exits 0', async () => {
    const result = await run('connection', 'parse', 'postgresql://us%40er:p%2Fw@HoSt:5432/db?a=1&a=2&b=');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({
      conn_type: 'postgres',
      host: 'host',
      login: 'us@er',
      password: 'p/w',
      schema: 'db',
      port: 5432,
      extra: { a: '2', b: '' },
    });
  });

  it('parse --parser=core types query values and drops an empty password', async () => {
    const result = await run('connection', 'parse', 'mysql://user:@h?timeout=30&ssl=true', '--parser=core');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ login: 'user', password: null, extra: { timeout: 30, ssl: true } });
  });

  it('uri prints what get_uri() builds from JSON', async () => {
    const result = await run('connection', 'uri', '{"conn_type": "google-cloud-platform", "extra": {"project": "p 1"}}');
    expect(result).toEqual({ code: 0, stdout: 'google-cloud-platform:///?project=p+1\n', stderr: '' });
  });

  it('bad input exits 1 with one ConnectionFormatError line that hides the password', async () => {
    const result = await run('connection', 'parse', 'postgres://admin:Hunter2Secret@db:notaport/app');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^ConnectionFormatError: Port could not be cast to integer value/);
    expect(result.stderr).not.toContain('Hunter2Secret');
  });

  it('more than two "://" is reported with the URI redacted', async () => {
    const result = await run('connection', 'parse', 'postgres://admin:Hunter2Secret@a://b://c', '--parser', 'core');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ConnectionFormatError: Invalid connection string: more than two ":\/\/" in postgres:\/\/\*\*\*@a:\/\/b:\/\/c/);
    expect(result.stderr).not.toContain('Hunter2Secret');
  });

  it.each([
    [['connection', 'parse'], /missing the connection value/],
    [['connection', 'parse', 'x://h', '--parser=orm'], /unknown parser "orm"/],
    [['connection', 'parse', 'x://h', '--verbose'], /unknown option "--verbose"/],
    [['connection', 'frobnicate', 'x://h'], /unknown action "frobnicate"/],
  ])('wrong usage %j exits 2 with a UsageError', async (args, message) => {
    const result = await run(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^UsageError: /);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
