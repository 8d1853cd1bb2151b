/**
 * `--airflow-config`: the deployment's `[secrets] backend` and `backend_kwargs`, read by Airflow
 * 3.3.2's own configuration parser (through the bridge), with the environment taking precedence as
 * in Airflow; malformed kwargs are dropped with Airflow's warning and flagged on the target; the
 * class's layout kwargs are kept and the store's address (here: file paths) replaced.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, type TestContext } from 'vitest';
import { commandProcess, stopCommandProcesses, type CommandProcess } from '../targets/command-process';
import { ConfigurationError } from '../model/errors';
import { expectRejects } from '../suites/expect-secret';
import { ENVIRONMENT_VARIABLES_BACKEND_CLASS as ENVIRONMENT_VARIABLES_BACKEND } from '../backends/env/airflow-twin';
import { airflowLocalTarget, LOCAL_FILESYSTEM_BACKEND_CLASS as LOCAL_FILESYSTEM_BACKEND } from '../backends/local/airflow-twin';
import { buildRegistry } from '../runner/run-selection';
import { airflowBridgeCommand, airflowPython, installedAirflowVersions } from '../targets/airflow-bridge';
import { deploymentSpec } from '../targets/custom-target-specs';
import { readAirflowConfig, type AirflowConfigReading } from '../targets/airflow-config';
import { targetsFromSpec } from '../targets/custom-targets';
import type { TargetEnvironment } from '../suites/target';

const scratch = mkdtempSync(join(tmpdir(), 'airflow-config-'));
const VAULT_BACKEND = 'airflow.providers.hashicorp.secrets.vault.VaultBackend';
let files = 0;
let bridge: CommandProcess | undefined;
const environment: TargetEnvironment = { runId: 'airflow-config-test', canary: 'cnryairflowconfigtest', scratchDir: scratch, servers: {} };
const { layouts } = buildRegistry();

function cfg(secrets: string): string {
  files += 1;
  const path = join(scratch, `airflow-${files}.cfg`);
  writeFileSync(path, `[core]\nload_examples = False\n\n[secrets]\n${secrets}\n`);
  return path;
}

function read(path: string, env: Record<string, string> = {}): Promise<AirflowConfigReading> {
  return readAirflowConfig(path, env, bridge);
}

function reading(overrides: Partial<AirflowConfigReading>): AirflowConfigReading {
  return {
    backend: ENVIRONMENT_VARIABLES_BACKEND,
    kwargs: {},
    warnings: [],
    backend_from_environment: false,
    kwargs_from_environment: false,
    per_key_overrides: [],
    ...overrides,
  };
}

beforeEach((context: TestContext) => {
  if (existsSync(airflowPython())) {
    bridge ??= commandProcess(airflowBridgeCommand(), { keepWarm: true });
    return;
  }
  const note = `not run: the Airflow venv is missing at ${airflowPython()}; run bash install/airflow.sh`;
  if (process.env.CI === 'true') throw new Error(note);
  context.skip(note);
});

afterAll(async () => {
  await stopCommandProcesses();
});

describe('[secrets] as Airflow 3.3.2 reads it', () => {
  const fileKwargs = '{"connections_file_path": "/etc/airflow/conns.yml", "variables_file_path": "/etc/airflow/vars.yml"}';

  it('takes backend and backend_kwargs from the file', async () => {
    const result = await read(cfg(`backend = ${LOCAL_FILESYSTEM_BACKEND}\nbackend_kwargs = ${fileKwargs}`));
    expect(result.backend).toBe(LOCAL_FILESYSTEM_BACKEND);
    expect(result.kwargs).toEqual({ connections_file_path: '/etc/airflow/conns.yml', variables_file_path: '/etc/airflow/vars.yml' });
    expect(result.warnings).toEqual([]);
    expect(result.backend_from_environment).toBe(false);
  });

  it('AIRFLOW__SECRETS__BACKEND and AIRFLOW__SECRETS__BACKEND_KWARGS win over the file', async () => {
    const path = cfg(`backend = ${LOCAL_FILESYSTEM_BACKEND}\nbackend_kwargs = ${fileKwargs}`);
    const result = await read(path, {
      AIRFLOW__SECRETS__BACKEND: VAULT_BACKEND,
      AIRFLOW__SECRETS__BACKEND_KWARGS: '{"mount_point": "airflow", "url": "https://vault.corp:8200"}',
    });
    expect(result.backend).toBe(VAULT_BACKEND);
    expect(result.kwargs).toEqual({ mount_point: 'airflow', url: 'https://vault.corp:8200' });
    expect(result).toMatchObject({ backend_from_environment: true, kwargs_from_environment: true });
  });

  it('a per-key AIRFLOW__SECRETS__BACKEND_KWARG__<KEY> overrides that key of the JSON, as a raw string', async () => {
    const path = cfg(`backend = ${VAULT_BACKEND}\nbackend_kwargs = {"mount_point": "airflow", "kv_engine_version": 2}`);
    const result = await read(path, { AIRFLOW__SECRETS__BACKEND_KWARG__KV_ENGINE_VERSION: '1' });
    expect(result.kwargs).toEqual({ mount_point: 'airflow', kv_engine_version: '1' });
    expect(result.per_key_overrides).toEqual(['kv_engine_version']);
  });

  it('malformed JSON: Airflow warns and passes no kwargs at all', async () => {
    const result = await read(cfg(`backend = ${LOCAL_FILESYSTEM_BACKEND}\nbackend_kwargs = {"connections_file_path": "/etc/c.json",`));
    expect(result.kwargs).toEqual({});
    expect(result.warnings).toEqual(['Failed to parse [secrets] backend_kwargs as JSON, defaulting to no kwargs.']);
  });

  it('JSON that is not an object: a warning when it is truthy, silence when it is empty', async () => {
    const list = await read(cfg(`backend = ${ENVIRONMENT_VARIABLES_BACKEND}\nbackend_kwargs = ["a"]`));
    expect(list.kwargs).toEqual({});
    expect(list.warnings).toEqual(['Failed to parse [secrets] backend_kwargs into a dict, defaulting to no kwargs.']);
    // `if not backend_kwargs: backend_kwargs = {}` comes first: [], 0, "" and null are no kwargs, no warning.
    const empty = await read(cfg(`backend = ${ENVIRONMENT_VARIABLES_BACKEND}\nbackend_kwargs = []`));
    expect(empty).toMatchObject({ kwargs: {}, warnings: [] });
  });

  it('a cfg without a backend reads as none; a missing file is refused', async () => {
    expect((await read(cfg('backend_kwargs = {}'))).backend).toBeNull();
    await expectRejects(read(join(scratch, 'nowhere.cfg')), ConfigurationError, 'a missing airflow.cfg');
  });
});

describe('the deployment as a target', () => {
  const path = 'deploy/airflow.cfg';

  it('malformed kwargs are flagged in the backend kind and the flags', () => {
    const warning = 'Failed to parse [secrets] backend_kwargs as JSON, defaulting to no kwargs.';
    const spec = deploymentSpec(path, reading({ warnings: [warning] }), new Set(), layouts);
    expect(spec.backendKind).toBe(`${ENVIRONMENT_VARIABLES_BACKEND} [backend_kwargs ignored: not a JSON object]`);
    expect(spec.flags).toEqual([`Airflow: ${warning}`]);
    expect(spec).toMatchObject({ name: 'airflow-cfg:EnvironmentVariablesBackend', layout: 'env', parser: 'sdk', kwargs: {} });
  });

  it('LocalFilesystemBackend: file paths are replaced by the session files, the format follows their extension', () => {
    const spec = deploymentSpec(
      path,
      reading({ backend: LOCAL_FILESYSTEM_BACKEND, kwargs: { connections_file_path: '/etc/c.yml', variables_file_path: '/etc/v.yml' } }),
      new Set(),
      layouts,
    );
    expect(spec).toMatchObject({ layout: 'local', format: 'yaml', parser: 'core', kwargs: {} });
    expect(spec.notes).toContain("replaced by the test store's: connections_file_path, variables_file_path");
  });

  it('VaultBackend keeps its layout kwargs and drops address and credentials', () => {
    const spec = deploymentSpec(
      path,
      reading({
        backend: VAULT_BACKEND,
        kwargs: { url: 'https://vault.corp', token: 'hvs.real', mount_point: 'airflow', connections_path: 'conns', kv_engine_version: 1 },
      }),
      new Set(),
      layouts,
    );
    expect(spec.kwargs).toEqual({ mount_point: 'airflow', connections_path: 'conns', kv_engine_version: 1 });
    expect(JSON.stringify(spec)).not.toContain('hvs.real');
    expect(spec.notes).toContain("replaced by the test store's: url, token");
  });

  it('an empty backend or a class of unknown layout is a ConfigurationError with a hint', () => {
    expect(() => deploymentSpec(path, reading({ backend: null }), new Set(), layouts)).toThrow(/\[secrets\] backend is empty/);
    expect(() => deploymentSpec(path, reading({ backend: 'my_company.secrets.OwnBackend' }), new Set(), layouts)).toThrow(ConfigurationError);
    expect(() => deploymentSpec(path, reading({ backend: 'my_company.secrets.OwnBackend' }), new Set(), layouts)).toThrow(/cannot tell which store/);
  });

  it('describes itself for the certificate: class, origin, Airflow versions, kept kwargs, flags', () => {
    const warning = 'Failed to parse [secrets] backend_kwargs as JSON, defaulting to no kwargs.';
    const [target] = targetsFromSpec(deploymentSpec(path, reading({ warnings: [warning] }), new Set(), layouts), layouts);
    const description = target!.describe?.(environment);
    expect(description).toMatchObject({ backendClass: ENVIRONMENT_VARIABLES_BACKEND, origin: 'custom', kwargs: {}, flags: [`Airflow: ${warning}`] });
    expect(description?.versions['apache-airflow']).toBe(installedAirflowVersions()['apache-airflow']);
    expect(airflowLocalTarget.describe?.(environment)).toMatchObject({ backendClass: LOCAL_FILESYSTEM_BACKEND, origin: 'airflow' });
  });

  it('names stay unique within a run', () => {
    const taken = new Set<string>(['airflow-cfg:EnvironmentVariablesBackend']);
    expect(deploymentSpec(path, reading({}), taken, layouts).name).toBe('airflow-cfg:EnvironmentVariablesBackend-2');
  });
});
