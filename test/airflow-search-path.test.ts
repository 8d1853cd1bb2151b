/**
 * Airflow's own search path and SecretCache through the bridge (targets/airflow-search-path.ts,
 * bridge/airflow_search_path.py): both modes, the cache's TTL edge on a fake clock, its settings as
 * Airflow reads them, failures kept, counts carried back to the doubles, and what cannot be
 * translated. The stand-ins and Airflow's own backends answer; no server is needed.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { AirflowSearchPath, AirflowSecretCache } from '../targets/airflow-search-path';
import { FakeClock } from '../model/clock';
import { CommandBackend } from '../targets/command-backend';
import { stopCommandProcesses } from '../targets/command-process';
import type { SecretsBackend } from '../model/contract';
import { EnvironmentVariablesBackend, variableEnvName } from '../model/environment-variables';
import { ConfigurationError, UnavailableError } from '../model/errors';
import { InMemoryMetastoreBackend } from '../model/metastore';
import { SecretCache } from '../model/secret-cache';
import { CountingBackend, FailingBackend } from '../suites/doubles';
import { ENVIRONMENT_VARIABLES_BACKEND_CLASS as ENVIRONMENT_VARIABLES_BACKEND } from '../backends/env/airflow-twin';
import { airflowBridge, airflowPython } from '../targets/airflow-bridge';

const secret = (hint: string) => `${hint}${randomBytes(6).toString('hex')}`;

function requireAirflow(context: TestContext): void {
  if (existsSync(airflowPython())) return;
  const note = `not run: the Airflow venv is missing at ${airflowPython()}; run bash install/airflow.sh`;
  if (process.env.CI === 'true') throw new Error(note);
  context.skip(note);
}

function chain(backends: SecretsBackend[], options: { cache?: AirflowSecretCache; mode?: 'core' | 'sdk' } = {}): AirflowSearchPath {
  return new AirflowSearchPath(backends, { ...options, bridge: () => airflowBridge() });
}

afterAll(async () => {
  await stopCommandProcesses();
});

describe("Airflow's search path through the bridge", { timeout: 120_000 }, () => {
  it('the first backend that has a variable wins; a miss falls through; nothing anywhere is null', async (context) => {
    requireAirflow(context);
    const first = new InMemoryMetastoreBackend();
    const second = new InMemoryMetastoreBackend();
    first.setVariable('shadowed', 'from first');
    second.setVariable('shadowed', 'from second');
    second.setVariable('behind', 'from second');
    const path = chain([first, second]);
    const shadowed = await path.resolveVariable('shadowed');
    expect(shadowed).toMatchObject({ value: 'from first', servedBy: 'MetastoreBackend', failures: [] });
    expect((await path.resolveVariable('behind')).value).toBe('from second');
    expect(await path.resolveVariable('nowhere')).toEqual({ value: null, servedBy: null, failures: [] });
    expect(await path.getConnection('nowhere')).toBeNull();
  });

  it('a failing backend is skipped, its failure kept as our error class, and its calls counted', async (context) => {
    requireAirflow(context);
    const failing = new FailingBackend();
    const metastore = new InMemoryMetastoreBackend();
    metastore.setVariable('k', 'v');
    metastore.setConnection('c', `postgres://meta:${secret('pw')}@metastore.example:5432/meta`);
    const path = chain([failing, metastore]);
    const variable = await path.resolveVariable('k');
    expect(variable.value).toBe('v');
    expect(variable.failures).toHaveLength(1);
    expect(variable.failures[0]?.backend).toBe('FailingBackend');
    expect(variable.failures[0]?.error).toBeInstanceOf(UnavailableError);
    const connection = await path.resolveConnection('c');
    expect(connection.value?.host).toBe('metastore.example');
    expect(connection.failures).toHaveLength(1);
    expect(failing.calls).toBe(2);
  });

  it('"" is a found variable (the search stops) but not a connection (it goes on)', async (context) => {
    requireAirflow(context);
    const key = `asc_empty_${randomBytes(4).toString('hex')}`;
    const env = new EnvironmentVariablesBackend({ env: { [variableEnvName(key)]: '', [`AIRFLOW_CONN_${key.toUpperCase()}`]: '' } });
    const metastore = new InMemoryMetastoreBackend();
    metastore.setVariable(key, 'meta');
    metastore.setConnection(key, 'postgres://meta@metastore.example/meta');
    const counted = new CountingBackend(metastore);
    const path = chain([env, counted]);
    expect(await path.getVariable(key)).toBe('');
    expect(counted.counts.variables).toBe(0);
    expect((await path.getConnection(key))?.host).toBe('metastore.example');
    expect(counted.counts.connections).toBe(1);
  });

  it('a cached variable is served until strictly older than the TTL, on the fake clock', async (context) => {
    requireAirflow(context);
    const clock = new FakeClock();
    const metastore = new InMemoryMetastoreBackend();
    metastore.setVariable('ttl', 'before');
    const path = chain([metastore], { cache: new AirflowSecretCache({ enabled: true, ttlSeconds: 60, clock }) });
    expect(await path.getVariable('ttl')).toBe('before');
    metastore.setVariable('ttl', 'after');
    clock.advanceSeconds(60);
    expect(await path.resolveVariable('ttl')).toMatchObject({ value: 'before', servedBy: 'cache' });
    clock.advance(1);
    expect(await path.getVariable('ttl')).toBe('after');
  });

  it("without a TTL the cache keeps Airflow's own fallback (15 minutes)", async (context) => {
    requireAirflow(context);
    const clock = new FakeClock();
    const metastore = new InMemoryMetastoreBackend();
    metastore.setVariable('default', 'before');
    const path = chain([metastore], { cache: new AirflowSecretCache({ enabled: true, clock }) });
    await path.getVariable('default');
    metastore.setVariable('default', 'after');
    clock.advanceSeconds(900);
    expect(await path.getVariable('default')).toBe('before');
    clock.advance(1);
    expect(await path.getVariable('default')).toBe('after');
  });

  it('a variable miss is cached in core mode, not in sdk mode; a disabled cache caches nothing', async (context) => {
    requireAirflow(context);
    for (const mode of ['core', 'sdk'] as const) {
      const metastore = new InMemoryMetastoreBackend();
      const path = chain([metastore], { mode, cache: new AirflowSecretCache({ enabled: true, clock: new FakeClock() }) });
      expect(await path.getVariable('late')).toBeNull();
      metastore.setVariable('late', 'now');
      expect(await path.getVariable('late'), mode).toBe(mode === 'core' ? null : 'now');
    }
    const metastore = new InMemoryMetastoreBackend();
    metastore.setVariable('k', 'one');
    const off = chain([metastore], { cache: new AirflowSecretCache({ enabled: false, clock: new FakeClock() }) });
    await off.getVariable('k');
    metastore.setVariable('k', 'two');
    expect(await off.getVariable('k')).toBe('two');
  });

  it('two caches do not share entries (Airflow keeps one per process; the bridge swaps them per call)', async (context) => {
    requireAirflow(context);
    const metastore = new InMemoryMetastoreBackend();
    metastore.setVariable('shared', 'one');
    const first = chain([metastore], { cache: new AirflowSecretCache({ enabled: true, clock: new FakeClock() }) });
    await first.getVariable('shared');
    metastore.setVariable('shared', 'two');
    const second = chain([metastore], { cache: new AirflowSecretCache({ enabled: true, clock: new FakeClock() }) });
    expect(await second.getVariable('shared')).toBe('two');
    expect(await first.getVariable('shared')).toBe('one');
  });

  it('Variable.set invalidates the entry; a cached connection is rebuilt from its URI', async (context) => {
    requireAirflow(context);
    const metastore = new InMemoryMetastoreBackend();
    metastore.setVariable('set', 'before');
    metastore.setConnection('lossy', 'http://API.Example.COM');
    const path = chain([metastore], { cache: new AirflowSecretCache({ enabled: true, clock: new FakeClock() }) });
    expect(await path.getVariable('set')).toBe('before');
    await path.setVariable('set', 'after');
    expect(await path.getVariable('set')).toBe('after');
    const first = await path.resolveConnection('lossy');
    const cached = await path.resolveConnection('lossy');
    expect(first.servedBy).toBe('MetastoreBackend');
    expect(cached.servedBy).toBe('cache');
    expect(cached.value?.host).toBe('api.example.com');
  });

  it('config is asked of the head only, and never of a default backend at the head', async (context) => {
    requireAirflow(context);
    const key = `asc_cfg_${randomBytes(4).toString('hex')}`;
    const bridge = airflowBridge();
    const env = new CommandBackend({ command: bridge, backend: ENVIRONMENT_VARIABLES_BACKEND, kind: 'EnvironmentVariablesBackend' });
    try {
      // Airflow's EnvironmentVariablesBackend serves no config: None from the head, none asked behind it.
      const counted = new CountingBackend(new InMemoryMetastoreBackend());
      expect(await chain([env, counted]).getConfig(key)).toBeNull();
      expect(counted.counts.config).toBe(0);
      const failing = new FailingBackend();
      const error = await chain([failing])
        .getConfig(key)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(String((error as Error).message)).toMatch(/Cannot retrieve config from alternative secrets backend/);
      expect(await chain([new InMemoryMetastoreBackend(), failing]).getConfig(key)).toBeNull();
    } finally {
      await env.close();
    }
  });

  it('a backend with no stand-in in the bridge, or a reference cache, is a ConfigurationError naming it', async (context) => {
    requireAirflow(context);
    const foreign: SecretsBackend = {
      kind: 'SomebodysBackend',
      getConnValue: async () => null,
      getConnection: async () => null,
      getVariable: async () => null,
      getConfig: async () => null,
    };
    await expect(chain([foreign]).getVariable('k')).rejects.toThrow(/SomebodysBackend cannot run inside Airflow's search path/);
    expect(() => new AirflowSearchPath([], { cache: new SecretCache({ enabled: true }), bridge: () => airflowBridge() })).toThrow(ConfigurationError);
  });
});
