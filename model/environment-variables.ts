/**
 * Airflow's EnvironmentVariablesBackend (spec §4): `AIRFLOW_CONN_<ID>` and `AIRFLOW_VAR_<KEY>`,
 * the id upper-cased the way Python's `str.upper()` does it and nothing else changed. The
 * environment is read on every call, so a variable set after construction is seen.
 */
import { BaseSecretsBackend, type BaseBackendOptions } from './contract';

export const CONNECTION_ENV_PREFIX = 'AIRFLOW_CONN_';
export const VARIABLE_ENV_PREFIX = 'AIRFLOW_VAR_';

export type Environment = Record<string, string | undefined>;

export interface EnvironmentVariablesBackendOptions extends BaseBackendOptions {
  /** Read at every lookup; `process.env` unless a test hands in its own record. */
  env?: Environment;
}

/**
 * Lower-case letters that the JS runtime's Unicode data upper-cases but Python 3.11's (Unicode
 * 14.0, the Airflow 3.3.2 reference venv) leaves alone: case pairs added in Unicode 16 and 17.
 * Found by comparing `chr(c).upper()` with `String.fromCodePoint(c).toUpperCase()` for every
 * code point; every other code point maps the same way in both, `ß` → `SS` included.
 */
const CASE_PAIRS_NEWER_THAN_PYTHON: ReadonlyArray<readonly [number, number]> = [
  [0x019b, 0x019b],
  [0x0264, 0x0264],
  [0x1c8a, 0x1c8a],
  [0xa7cd, 0xa7cd],
  [0xa7cf, 0xa7cf],
  [0xa7d3, 0xa7d3],
  [0xa7d5, 0xa7d5],
  [0xa7db, 0xa7db],
  [0x10d70, 0x10d85],
  [0x16ebb, 0x16ed3],
];

function hasNoPythonUpperCase(codePoint: number): boolean {
  return CASE_PAIRS_NEWER_THAN_PYTHON.some(([first, last]) => codePoint >= first && codePoint <= last);
}

/** Python's `str.upper()`: full Unicode case mapping (`ß` → `SS`, `ﬁ` → `FI`), per code point. */
export function pythonUpper(text: string): string {
  if (/^[\x00-\x7f]*$/.test(text)) return text.toUpperCase();
  let upper = '';
  for (const character of text) {
    upper += hasNoPythonUpperCase(character.codePointAt(0) ?? 0) ? character : character.toUpperCase();
  }
  return upper;
}

export function connectionEnvName(connId: string): string {
  return CONNECTION_ENV_PREFIX + pythonUpper(connId);
}

export function variableEnvName(key: string): string {
  return VARIABLE_ENV_PREFIX + pythonUpper(key);
}

export class EnvironmentVariablesBackend extends BaseSecretsBackend {
  readonly kind = 'EnvironmentVariablesBackend';
  /** The record read at every lookup (public so another implementation can be given the same entries). */
  readonly env: Environment;

  constructor(options: EnvironmentVariablesBackendOptions = {}) {
    super(options);
    this.env = options.env ?? process.env;
  }

  /** `""` is returned as is; the base `getConnection` then treats it as not found (falsy rule). */
  async getConnValue(connId: string): Promise<string | null> {
    return this.read(connectionEnvName(connId));
  }

  /** `""` is a found value for variables. */
  async getVariable(key: string): Promise<string | null> {
    return this.read(variableEnvName(key));
  }

  private read(name: string): string | null {
    const value = this.env[name];
    return typeof value === 'string' ? value : null;
  }
}
