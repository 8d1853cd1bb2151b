/**
 * A deliberately broken custom backend, kept to prove the suite fails a backend that gets Airflow's
 * rules wrong, and says which rules. It reads the environment like Airflow's
 * EnvironmentVariablesBackend, with two bugs people really write:
 *
 *   1. names are upper-cased ASCII-only, so `straße` looks for `STRAßE` instead of `STRASSE`;
 *   2. an empty variable is treated as missing, although for Airflow `""` is a found value.
 *
 *   npm test -- --backend=./examples/broken-custom-backend/broken-env-backend.ts   # fails, naming the cases
 */
import { BaseSecretsBackend, type SecretsBackend } from '../../model/contract';

export const conformance = {
  name: 'broken-env-backend',
  store: { layout: 'env' },
} as const;

function asciiUpper(text: string): string {
  return text.replace(/[a-z]/g, (letter) => letter.toUpperCase());
}

class BrokenEnvironmentBackend extends BaseSecretsBackend {
  readonly kind = 'BrokenEnvironmentBackend';

  async getConnValue(connId: string): Promise<string | null> {
    return process.env[`AIRFLOW_CONN_${asciiUpper(connId)}`] ?? null;
  }

  async getVariable(key: string): Promise<string | null> {
    return process.env[`AIRFLOW_VAR_${asciiUpper(key)}`] || null;
  }
}

export function createBackend(): SecretsBackend {
  return new BrokenEnvironmentBackend();
}
