/** Runs `bin/secrets-conformance.js` as a user would, in a clean environment, with bounded time. */
import { spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunReport } from '../../reports/model';

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The outer vitest's own variables (VITEST_*, the outer run's ASC_*) must not leak into the run
 * under test, or it would inherit the outer run id, selection and CI setting.
 */
function cleanEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('VITEST') || key.startsWith('ASC_') || key === 'TEST' || key === 'NODE_ENV' || key === 'CI') continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

export function runCli(args: readonly string[], extraEnv: Record<string, string> = {}, timeoutMs = 220_000): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin/secrets-conformance.js'), ...args], {
      cwd: PACKAGE_ROOT,
      env: cleanEnvironment(extraEnv),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`secrets-conformance ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** The one run folder a fresh `--reports-dir` holds (besides `latest/`). */
export async function onlyRunDir(reportsRoot: string): Promise<string> {
  const runs = (await readdir(reportsRoot)).filter((name) => name !== 'latest' && !name.startsWith('.'));
  if (runs.length !== 1) throw new Error(`expected one run folder in ${reportsRoot}, found ${runs.length}: ${runs.join(', ')}`);
  return join(reportsRoot, runs[0] ?? '');
}

export async function readRunReport(runDir: string): Promise<RunReport> {
  return JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8')) as RunReport;
}
