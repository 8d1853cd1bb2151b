/**
 * What the bridge protocol tests share: a case that needs Airflow is skipped (failed on CI) when the
 * venv is missing, and each test file writes its input files into its own scratch folder.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'vitest';
import { airflowPython } from '../../targets/airflow-bridge';

export function requireAirflow(context: TestContext): void {
  if (existsSync(airflowPython())) return;
  const note = `not run: the Airflow venv is missing at ${airflowPython()}; run bash install/airflow.sh`;
  if (process.env.CI === 'true') throw new Error(note);
  context.skip(note);
}

/** Writes `content` to `name` in `folder` and answers its path. */
export function scratchWriter(folder: string): (name: string, content: string) => string {
  return (name, content) => {
    const path = join(folder, name);
    writeFileSync(path, content);
    return path;
  };
}
