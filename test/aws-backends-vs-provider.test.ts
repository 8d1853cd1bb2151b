/**
 * The same logic as the installed amazon provider 9.39.0 has it (differential, when the Airflow venv
 * is there): re-keyed secrets and the names of secrets and parameters, case for case.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SecretsManagerBackend } from '../backends/aws/secrets-manager-backend';
import { SystemsManagerParameterStoreBackend } from '../backends/aws/parameter-store-backend';
import { rekey } from './support/aws-rekey';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const airflowPython = process.env.ASC_AIRFLOW_PYTHON ?? resolve(repoRoot, '.cache/airflow-venv/bin/python');

const PROVIDER_ORACLE = `
import json, sys
from airflow.providers.amazon.aws.secrets.secrets_manager import SecretsManagerBackend
from airflow.providers.amazon.aws.secrets.systems_manager import SystemsManagerParameterStoreBackend
cases = json.load(sys.stdin)
out = {"rekey": [], "sm": [], "ssm": []}
for case in cases["rekey"]:
    try:
        backend = SecretsManagerBackend(extra_conn_words=case["words"])
        out["rekey"].append(json.dumps(backend._standardize_secret_keys(json.loads(case["secret"]))))
    except Exception as error:
        out["rekey"].append("error " + type(error).__name__)
for case in cases["sm"]:
    backend = SecretsManagerBackend(**case["kwargs"])
    backend._get_secret_value = lambda secret_id, path: path
    out["sm"].append(backend.get_variable(case["id"]))
for case in cases["ssm"]:
    backend = SystemsManagerParameterStoreBackend(**case["kwargs"])
    backend._get_parameter_value = lambda ssm_path: ssm_path
    out["ssm"].append(backend.get_variable(case["id"]))
print(json.dumps(out))
`;

const REKEY_CASES: Array<{ secret: string; words: Record<string, unknown> }> = [
  { secret: '{"user": "a", "login": "b", "key": "k", "engine": "postgresql", "database": "d", "port": "5432", "extra": {"x": 1}}', words: {} },
  {
    secret: '{"username": "u", "user_name": "v", "pass": "p", "password": "q", "server": "s", "remote_host": "r", "schema": "sc", "database": "db"}',
    words: {},
  },
  { secret: '{"connection_type": "mysql", "conn_id": "x", "extra": "{\\"a\\": 1}", "port": 5432.0, "host": "H", "1": "digit key"}', words: {} },
  {
    secret: '{"principal": "p", "token": "t", "where": "w", "kind": "k", "db": "d", "opts": {"o": true}}',
    words: { user: ['principal'], password: ['token'], host: ['where'], conn_type: ['kind'], schema: ['db'], extra: ['opts'] },
  },
  { secret: '{"login": "both", "usr": "second"}', words: { user: ['usr'], login: ['usr'] } },
  { secret: '{"hq": "characters"}', words: { host: 'hq' } },
  { secret: '{"x": 1}', words: { bogus: ['x'] } },
  { secret: '{"password": "pässwörd 🔑", "login": "\\u00e9\\ud83d\\udd11", "port": 1e2, "extra": [1, 2.5, null, true]}', words: {} },
  { secret: '{"login": "dup1", "login": "dup2", "host": "h"}', words: {} },
];

const NAME_IDS = ['my_db', 'Prod_DB', 'x', 'a/b', 'team--id'];
const SM_KWARGS: Array<Record<string, unknown>> = [
  {},
  { variables_prefix: 'p//' },
  { variables_prefix: '' },
  { variables_prefix: '/' },
  { variables_prefix: null },
  { variables_prefix: 'team=+=', sep: '+=' },
  { variables_prefix: 'a--b--', sep: '--' },
  { variables_prefix: 'x', sep: '' },
  { variables_lookup_pattern: 'PROD' },
  { variables_lookup_pattern: 'b' },
  { variables_lookup_pattern: '' },
  { variables_lookup_pattern: '(?P<t>[a-z])_' },
];
const SSM_KWARGS: Array<Record<string, unknown>> = [
  {},
  { variables_prefix: 'no/slash/' },
  { variables_prefix: '' },
  { variables_prefix: '//' },
  { variables_prefix: null },
  { variables_prefix: '/with/slash' },
  { variables_lookup_pattern: 'my' },
  { variables_lookup_pattern: 'DB' },
];

async function askProvider(input: unknown): Promise<{ rekey: string[]; sm: Array<string | null>; ssm: Array<string | null> }> {
  const home = mkdtempSync(join(tmpdir(), 'asc-aws-oracle-'));
  try {
    const child = spawn(airflowPython, ['-c', PROVIDER_ORACLE], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        AIRFLOW_HOME: home,
        AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${home}/airflow.db`,
      },
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const code = await new Promise<number | null>((resolveExit, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error('the provider oracle did not finish within 120 s'));
      }, 120_000);
      child.on('error', reject);
      child.on('close', (exitCode) => {
        clearTimeout(timer);
        resolveExit(exitCode);
      });
      child.stdin.end(JSON.stringify(input));
    });
    if (code !== 0) throw new Error(`the provider oracle exited with ${code}: ${Buffer.concat(stderr).toString().slice(-1500)}`);
    return JSON.parse(Buffer.concat(stdout).toString('utf8').trim().split('\n').at(-1) ?? '{}');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function ours(make: () => string): string {
  try {
    return make();
  } catch (error) {
    return `error ${(error as Error).name}`;
  }
}

describe('against the installed amazon provider 9.39.0', () => {
  it('re-keys JSON secrets and names secrets and parameters exactly as the provider does', { timeout: 150_000 }, async (ctx) => {
    if (!existsSync(airflowPython)) {
      const note = `not run: Airflow venv missing at ${airflowPython}; run bash install/airflow.sh`;
      if (process.env.CI === 'true') throw new Error(note);
      ctx.skip(note);
    }
    const sm = SM_KWARGS.flatMap((kwargs) => NAME_IDS.map((id) => ({ kwargs, id })));
    const ssm = SSM_KWARGS.flatMap((kwargs) => NAME_IDS.map((id) => ({ kwargs, id })));
    const theirs = await askProvider({ rekey: REKEY_CASES, sm, ssm });
    const mine = {
      rekey: REKEY_CASES.map(({ secret, words }) => ours(() => rekey(secret, words)).replace('ConfigurationError', 'KeyError')),
      sm: sm.map(({ kwargs, id }) => new SecretsManagerBackend(kwargs).nameFor('variable', id)),
      ssm: ssm.map(({ kwargs, id }) => new SystemsManagerParameterStoreBackend(kwargs).nameFor('variable', id)),
    };
    // Python's TypeError for a non-list extra_conn_words entry is our ConfigurationError too.
    expect(mine.rekey).toEqual(theirs.rekey.map((text) => text.replace('TypeError', 'KeyError')));
    expect(mine.sm).toEqual(theirs.sm);
    expect(mine.ssm).toEqual(theirs.ssm);
  });
});
