import { describe, expect, it } from 'vitest';
import { FakeClock } from '../model/clock';
import { Connection } from '../model/connection/connection';
import { BaseSecretsBackend, type SecretsBackend } from '../model/contract';
import { ConfigurationError, UnavailableError } from '../model/errors';
import { InMemoryMetastoreBackend } from '../model/metastore';
import { airflowSearchPath, SearchPath } from '../model/search-path';
import { SecretCache } from '../model/secret-cache';

/** A backend over fixed maps that counts the lookups reaching it. */
class MapBackend extends BaseSecretsBackend {
  calls = 0;
  constructor(
    readonly kind: string,
    private readonly connections: Record<string, string> = {},
    private readonly variables: Record<string, string> = {},
  ) {
    super({ parser: 'core' });
  }

  async getConnValue(connId: string): Promise<string | null> {
    this.calls += 1;
    return this.connections[connId] ?? null;
  }

  async getVariable(key: string): Promise<string | null> {
    this.calls += 1;
    return this.variables[key] ?? null;
  }

  override async getConfig(key: string): Promise<string | null> {
    return `config of ${key} from ${this.kind}`;
  }

  setVariableForTest(key: string, value: string): void {
    this.variables[key] = value;
  }
}

class BrokenBackend implements SecretsBackend {
  readonly kind = 'BrokenBackend';
  calls = 0;
  private fail(): never {
    this.calls += 1;
    throw new UnavailableError('cannot reach the store', { where: 'BrokenBackend' });
  }
  async getConnValue(): Promise<string | null> {
    return this.fail();
  }
  async getConnection(): Promise<Connection | null> {
    return this.fail();
  }
  async getVariable(): Promise<string | null> {
    return this.fail();
  }
  async getConfig(): Promise<string | null> {
    return this.fail();
  }
}

function cacheOn(clock = new FakeClock()): SecretCache {
  return new SecretCache({ enabled: true, clock });
}

describe('SearchPath lookup order', () => {
  it('asks the backends in order and stops at the first hit', async () => {
    const first = new MapBackend('First', { db: 'mysql://first-host' }, { v: 'first' });
    const second = new MapBackend('Second', { db: 'mysql://second-host', only2: 'mysql://two' }, { v: 'second', only2: 'two' });
    const path = new SearchPath([first, second]);
    const connection = await path.resolveConnection('db');
    expect(connection.value?.host).toBe('first-host');
    expect(connection.servedBy).toBe('First');
    expect(second.calls).toBe(0);
    expect(await path.resolveVariable('only2')).toEqual({ value: 'two', servedBy: 'Second', failures: [] });
    expect(await path.getConnection('absent')).toBeNull();
  });

  it('treats an empty connection as not found but an empty variable as found', async () => {
    const first = new MapBackend('First', { db: '' }, { v: '' });
    const second = new MapBackend('Second', { db: 'mysql://second-host' }, { v: 'second' });
    const path = new SearchPath([first, second]);
    expect((await path.resolveConnection('db')).servedBy).toBe('Second');
    expect(await path.resolveVariable('v')).toEqual({ value: '', servedBy: 'First', failures: [] });
  });

  it('records a throwing backend and goes on to the next', async () => {
    const broken = new BrokenBackend();
    const good = new MapBackend('Good', { db: 'mysql://h' }, { v: 'value' });
    const path = new SearchPath([broken, good]);
    const connection = await path.resolveConnection('db');
    expect(connection.servedBy).toBe('Good');
    expect(connection.failures).toHaveLength(1);
    expect(connection.failures[0]?.backend).toBe('BrokenBackend');
    expect(connection.failures[0]?.error).toBeInstanceOf(UnavailableError);
    const variable = await path.resolveVariable('v');
    expect(variable.value).toBe('value');
    expect(variable.failures.map((f) => f.backend)).toEqual(['BrokenBackend']);
    expect(await path.resolveVariable('absent')).toMatchObject({ value: null, servedBy: null, failures: [{ backend: 'BrokenBackend' }] });
  });

  it('asks only the first (custom) backend for config, and turns its failure into a ConfigurationError', async () => {
    const path = new SearchPath([new MapBackend('Custom'), new MapBackend('Env')]);
    expect(await path.getConfig('sql_alchemy_conn')).toBe('config of sql_alchemy_conn from Custom');
    const failing = new SearchPath([new BrokenBackend(), new MapBackend('Env')]);
    const error = await failing.getConfig('k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).cause).toBeInstanceOf(UnavailableError);
    expect(await new SearchPath([]).getConfig('k')).toBeNull();
  });
});

describe('SearchPath with a cache', () => {
  it('serves a connection from the cache as a URI rebuilt by the parser (lossy: description is gone)', async () => {
    const metastore = new InMemoryMetastoreBackend();
    metastore.setConnection(
      'db',
      Connection.fromFields(
        { conn_type: 'mysql', host: 'db.example', login: 'svc', password: 'p@ss w', port: 3306, description: 'not in a URI' },
        { connId: 'db', parser: 'core' },
      ),
    );
    const cache = cacheOn();
    const path = new SearchPath([metastore], { cache });
    const first = await path.resolveConnection('db');
    expect(first.servedBy).toBe('MetastoreBackend');
    expect(first.value?.description).toBe('not in a URI');
    metastore.deleteConnection('db');
    const second = await path.resolveConnection('db');
    expect(second.servedBy).toBe('cache');
    expect(second.value).toMatchObject({ connId: 'db', connType: 'mysql', host: 'db.example', login: 'svc', password: 'p@ss w', port: 3306 });
    expect(second.value?.description).toBeNull();
    expect(cache.getConnectionUri('db')).toBe(first.value?.getUri());
  });

  it('never caches a missing connection', async () => {
    const backend = new MapBackend('Only');
    const path = new SearchPath([backend], { cache: cacheOn() });
    await path.getConnection('absent');
    await path.getConnection('absent');
    expect(backend.calls).toBe(2);
  });

  it('core mode caches a variable miss, so a value added later stays unseen until the TTL passes', async () => {
    const clock = new FakeClock();
    const backend = new MapBackend('Only');
    const path = new SearchPath([backend], { cache: cacheOn(clock), mode: 'core' });
    expect(await path.getVariable('late')).toBeNull();
    backend.setVariableForTest('late', 'arrived');
    expect(await path.resolveVariable('late')).toEqual({ value: null, servedBy: 'cache', failures: [] });
    clock.advanceSeconds(900);
    expect(await path.getVariable('late')).toBeNull();
    clock.advance(1);
    expect(await path.getVariable('late')).toBe('arrived');
  });

  it('sdk mode ignores a cached miss and asks the backends again', async () => {
    const cache = cacheOn();
    const backend = new MapBackend('Only');
    const path = new SearchPath([backend], { cache, mode: 'sdk' });
    expect(await path.getVariable('late')).toBeNull();
    expect(cache.getVariable('late')).toEqual({ hit: false });
    cache.saveVariable('late', null);
    backend.setVariableForTest('late', 'arrived');
    expect(await path.resolveVariable('late')).toEqual({ value: 'arrived', servedBy: 'Only', failures: [] });
    expect(cache.getVariable('late')).toEqual({ hit: true, value: 'arrived' });
  });

  it('serves a found variable from the cache in both modes, shadowing a changed backend value', async () => {
    for (const mode of ['core', 'sdk'] as const) {
      const backend = new MapBackend('Only', {}, { v: 'old' });
      const path = new SearchPath([backend], { cache: cacheOn(), mode });
      expect(await path.getVariable('v')).toBe('old');
      backend.setVariableForTest('v', 'new');
      expect(await path.resolveVariable('v')).toMatchObject({ value: 'old', servedBy: 'cache' });
    }
  });

  it('setVariable writes to the metastore and drops the cached entry', async () => {
    const clock = new FakeClock();
    const cache = cacheOn(clock);
    const metastore = new InMemoryMetastoreBackend();
    const path = airflowSearchPath(null, { env: {}, metastore, cache });
    expect(await path.getVariable('k')).toBeNull();
    await path.setVariable('k', 'v1');
    expect(await metastore.getVariable('k')).toBe('v1');
    expect(await path.resolveVariable('k')).toMatchObject({ value: 'v1', servedBy: 'MetastoreBackend' });
    await path.deleteVariable('k');
    expect(await path.getVariable('k')).toBeNull();
  });

  it('setVariable does not override a shadowing environment variable', async () => {
    const path = airflowSearchPath(null, { env: { AIRFLOW_VAR_K: 'from env' } });
    await path.setVariable('k', 'in metastore');
    expect(await path.resolveVariable('k')).toMatchObject({ value: 'from env', servedBy: 'EnvironmentVariablesBackend' });
  });

  it('refuses setVariable when no backend can store variables', async () => {
    await expect(new SearchPath([new MapBackend('Only')]).setVariable('k', 'v')).rejects.toBeInstanceOf(ConfigurationError);
  });
});

describe('airflowSearchPath', () => {
  it('builds [custom, env, metastore] and falls through in that order', async () => {
    const custom = new MapBackend('Custom', {}, { from_custom: 'c' });
    const metastore = new InMemoryMetastoreBackend();
    metastore.setVariable('from_metastore', 'm');
    metastore.setConnection('db', 'postgresql://svc@pg.example/main');
    const path = airflowSearchPath(custom, { env: { AIRFLOW_VAR_FROM_ENV: 'e', AIRFLOW_VAR_FROM_CUSTOM: 'shadowed' }, metastore });
    expect(path.backends.map((b) => b.kind)).toEqual(['Custom', 'EnvironmentVariablesBackend', 'MetastoreBackend']);
    expect(await path.getVariable('from_custom')).toBe('c');
    expect(await path.getVariable('from_env')).toBe('e');
    expect(await path.getVariable('from_metastore')).toBe('m');
    expect(await path.getConnection('db')).toMatchObject({ connType: 'postgres', host: 'pg.example', schema: 'main' });
    expect(airflowSearchPath(null).backends.map((b) => b.kind)).toEqual(['EnvironmentVariablesBackend', 'MetastoreBackend']);
  });
});

describe('InMemoryMetastoreBackend', () => {
  it('matches ids exactly, keeps an empty variable, and parses stored text with the core parser', async () => {
    const metastore = new InMemoryMetastoreBackend();
    metastore.setVariable('empty', '');
    metastore.setConnection('by_json', '{"conn_type": "postgresql", "host": "h"}');
    expect(await metastore.getVariable('empty')).toBe('');
    expect(await metastore.getVariable('EMPTY')).toBeNull();
    expect(await metastore.getConnection('by_json')).toMatchObject({ connType: 'postgres', host: 'h', parser: 'core' });
    expect(await metastore.getConnection('BY_JSON')).toBeNull();
    await expect(metastore.getConnValue('by_json')).rejects.toBeInstanceOf(ConfigurationError);
  });
});
