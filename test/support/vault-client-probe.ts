/**
 * Runs `vault_client_probe.py` in the Airflow venv: hvac and the hashicorp provider's VaultBackend
 * against the same production-mode servers the TypeScript side talks to.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const airflowPython = process.env.ASC_AIRFLOW_PYTHON ?? resolve(repoRoot, '.cache/airflow-venv/bin/python');
/** Airflow logs to stdout: the probe's answer is the JSON line after this marker. */
const answerMarker = '@@vault-client-probe-answer@@';
const probeScript = resolve(repoRoot, 'test/support/vault_client_probe.py');

export function airflowVenvMissing(): string | false {
  return existsSync(airflowPython) ? false : `the Airflow venv is not installed at ${airflowPython}; run npm run servers:install`;
}

export type ProbeAnswer =
  | { readonly ok: true; readonly value: Record<string, unknown> | string | null }
  | { readonly ok: false; readonly error: { type: string; message: string; root_type: string; root_message: string } };

export function runVaultClientProbe(request: Record<string, unknown>, env: Record<string, string> = {}): Promise<ProbeAnswer> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      airflowPython,
      [probeScript],
      {
        timeout: 120_000,
        // No metadata database is needed to build a secrets backend; keep Airflow's home out of ~.
        env: {
          ...process.env,
          AIRFLOW_HOME: resolve(repoRoot, '.cache/airflow-home-vault-probe'),
          AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${resolve(repoRoot, '.cache/airflow-home-vault-probe/airflow.db')}`,
          ...env,
        },
      },
      (error, stdout, stderr) => {
        const marker = stdout.lastIndexOf(answerMarker);
        if (marker >= 0) {
          resolvePromise(JSON.parse(stdout.slice(marker + answerMarker.length)) as ProbeAnswer);
          return;
        }
        reject(new Error(`vault_client_probe.py gave no answer (${error?.message ?? 'no error'}): ${stderr.slice(-800)}`));
      },
    );
    child.stdin?.end(JSON.stringify(request));
  });
}

/** Several requests in one interpreter: Airflow's import costs seconds per start. */
export async function runVaultClientProbes(requests: readonly Record<string, unknown>[], env: Record<string, string> = {}): Promise<ProbeAnswer[]> {
  const answers = (await runVaultClientProbe({ batch: requests }, env)) as unknown;
  if (!Array.isArray(answers) || answers.length !== requests.length)
    throw new Error('vault_client_probe.py answered a batch with something else than one answer per request');
  return answers as ProbeAnswer[];
}
