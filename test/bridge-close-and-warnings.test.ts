/**
 * What the Airflow bridge does with a Python class beyond its lookups: it runs the class's own close()
 * when the harness closes the backend (the `close` op, and the end of input), with what close() raises
 * reported, never lost; and the warnings the class raises reach the bridge's log, which the run's
 * canary scan reads, as a deployment's Airflow logs them.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '../model/errors';
import { scanTextForCanary } from '../reports/canary-scan';
import { createSecretValues } from '../suites/case-context';
import { airflowBridgeCommand } from '../targets/airflow-bridge';
import { CommandBackend } from '../targets/command-backend';
import { CommandProcess, stopCommandProcesses } from '../targets/command-process';
import { requireAirflow } from './support/bridge-harness';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'bridge-close-warnings-'));
const fixtures = join(repoRoot, 'test', 'fixtures');
let bridges = 0;

/** A bridge process of its own, with its own log file, stopped by the test (its stdin ended). */
function bridge(mirror = false): { command: CommandProcess; logFile: string } {
  bridges += 1;
  const logFile = join(scratch, `bridge-${bridges}.log`);
  const command = new CommandProcess(airflowBridgeCommand(['--sys-path', fixtures]), {
    cwd: repoRoot,
    keepWarm: true,
    logFile,
    ...(mirror ? { mirrorPrefixes: ['AIRFLOW_VAR_'] } : {}),
  });
  return { command, logFile };
}

const closed = (name: string) => existsSync(join(scratch, `${name}.closed`));

afterAll(async () => {
  await stopCommandProcesses();
});

describe("the bridge runs a backend's own close()", () => {
  it('at the close op: a backend releasing what it holds there has released it once close() resolves', async (context) => {
    requireAirflow(context);
    const { command } = bridge();
    try {
      const backend = new CommandBackend({ command, backend: 'closing_backends.ClosingBackend', kwargs: { record_dir: scratch, name: 'at-op' } });
      expect(await backend.getVariable('closing_backends_missing')).toBeNull();
      expect(closed('at-op')).toBe(false);
      await backend.close();
      expect(closed('at-op')).toBe(true);
    } finally {
      await command.stop();
    }
  });

  it('at the end of input: the backends still open are closed before the process ends', async (context) => {
    requireAirflow(context);
    const { command } = bridge();
    const backend = new CommandBackend({ command, backend: 'closing_backends.ClosingBackend', kwargs: { record_dir: scratch, name: 'at-eof' } });
    expect(await backend.getVariable('closing_backends_missing')).toBeNull();
    await command.stop();
    expect(closed('at-eof')).toBe(true);
  });

  it('what close() raises is an error answer, its credential withheld; at the end of input, a line of the log', async (context) => {
    requireAirflow(context);
    const token = `tok${randomBytes(6).toString('hex')}`;
    const { command, logFile } = bridge();
    const kwargs = { record_dir: scratch, token };
    const atOp = new CommandBackend({ command, backend: 'closing_backends.FailingCloseBackend', kwargs: { ...kwargs, name: 'failing-op' } });
    const atEof = new CommandBackend({ command, backend: 'closing_backends.FailingCloseBackend', kwargs: { ...kwargs, name: 'failing-eof' } });
    expect(await atOp.getVariable('closing_backends_missing')).toBeNull();
    expect(await atEof.getVariable('closing_backends_missing')).toBeNull();
    const error = await atOp.close().catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).message).toContain('RuntimeError');
    expect((error as UnavailableError).message).toContain('could not revoke the lease');
    expect((error as UnavailableError).message).not.toContain(token);
    expect((error as UnavailableError).credentialWithheld).toBe(true);
    expect(closed('failing-op')).toBe(true);
    await command.stop();
    expect(closed('failing-eof')).toBe(true);
    const line = readFileSync(logFile, 'utf8')
      .split('\n')
      .find((text) => text.includes('closing h2 at the end of input failed'));
    expect(line).toMatch(/failed: RuntimeError: could not revoke the lease/);
    expect(line).not.toContain(token);
  });
});

describe("a backend's warnings reach the log the canary scan reads", () => {
  /** Looks `key` up through `backendClass` with a canary-carrying value seeded, and answers the bridge's whole log. */
  async function logOfLookup(backendClass: string, key: string, value: string): Promise<string> {
    const name = `AIRFLOW_VAR_${key.toUpperCase()}`;
    const { command, logFile } = bridge(true);
    process.env[name] = value;
    try {
      const backend = new CommandBackend({ command, backend: backendClass });
      expect(await backend.getVariable(key)).toBe(value);
      await backend.close();
    } finally {
      delete process.env[name];
      await command.stop();
    }
    return readFileSync(logFile, 'utf8');
  }

  it('a warning quoting the value read is a canary leak of the log', async (context) => {
    requireAirflow(context);
    const secrets = createSecretValues(`cnry${randomBytes(8).toString('hex')}`);
    const log = await logOfLookup('warning_backends.ValueWarningBackend', 'warned_value', secrets.token('value'));
    expect(log).toContain('this lookup path is deprecated');
    expect(scanTextForCanary('bridge log', log, secrets.canary)).toEqual([{ source: 'bridge log', occurrences: 1 }]);
  });

  it('a warning naming the key only is logged (DeprecationWarning included) and leaks nothing', async (context) => {
    requireAirflow(context);
    const secrets = createSecretValues(`cnry${randomBytes(8).toString('hex')}`);
    const log = await logOfLookup('warning_backends.KeyWarningBackend', 'warned_key', secrets.token('value'));
    expect(log).toMatch(/variable warned_key is read through a deprecated lookup path/);
    expect(scanTextForCanary('bridge log', log, secrets.canary)).toEqual([]);
  });
});
