import { describe, expect, it } from 'vitest';
import { connectionEnvName, EnvironmentVariablesBackend, pythonUpper, variableEnvName, type Environment } from '../model/environment-variables';

function backendWith(env: Environment): EnvironmentVariablesBackend {
  return new EnvironmentVariablesBackend({ env, parser: 'sdk' });
}

describe('pythonUpper', () => {
  it('applies full Unicode case mapping like str.upper()', () => {
    expect(pythonUpper('straße')).toBe('STRASSE');
    expect(pythonUpper('ﬁle')).toBe('FILE');
    expect(pythonUpper('ŉ')).toBe('ʼN');
    expect(pythonUpper('my-db.x/y_1')).toBe('MY-DB.X/Y_1');
  });

  it('leaves letters alone that Python 3.11 has no upper case for (case pairs from Unicode 16+)', () => {
    // U+A7CD and U+019B gained upper-case partners after Unicode 14.0; "ƛ".upper() == "ƛ" in 3.11.
    expect(pythonUpper('a\ua7cdb\u019b')).toBe('A\ua7cdB\u019b');
    expect(pythonUpper('\u{10d70}')).toBe('\u{10d70}');
  });
});

describe('EnvironmentVariablesBackend', () => {
  it('builds names from the prefix and the upper-cased id, nothing else changed', () => {
    expect(connectionEnvName('my-db.x/y')).toBe('AIRFLOW_CONN_MY-DB.X/Y');
    expect(variableEnvName('straße')).toBe('AIRFLOW_VAR_STRASSE');
  });

  it('finds a variable under its upper-case name only', async () => {
    const backend = backendWith({ AIRFLOW_VAR_GREETING: 'hello', AIRFLOW_VAR_lower: 'never' });
    expect(await backend.getVariable('greeting')).toBe('hello');
    expect(await backend.getVariable('GREETING')).toBe('hello');
    expect(await backend.getVariable('lower')).toBeNull();
  });

  it('never reads a lower-case connection name', async () => {
    const backend = backendWith({ AIRFLOW_CONN_my_db: 'postgres://u:p@h/s' });
    expect(await backend.getConnValue('my_db')).toBeNull();
    expect(await backend.getConnection('my_db')).toBeNull();
  });

  it('does not turn "-" into "_"', async () => {
    const backend = backendWith({ AIRFLOW_CONN_MY_DB: 'postgres://h' });
    expect(await backend.getConnValue('my-db')).toBeNull();
  });

  it('treats an empty connection as not found and an empty variable as found', async () => {
    const backend = backendWith({ AIRFLOW_CONN_EMPTY: '', AIRFLOW_VAR_EMPTY: '' });
    expect(await backend.getConnValue('empty')).toBe('');
    expect(await backend.getConnection('empty')).toBeNull();
    expect(await backend.getVariable('empty')).toBe('');
  });

  it('reads the environment at call time', async () => {
    const env: Environment = {};
    const backend = backendWith(env);
    expect(await backend.getVariable('late')).toBeNull();
    env.AIRFLOW_VAR_LATE = 'now here';
    expect(await backend.getVariable('late')).toBe('now here');
    delete env.AIRFLOW_VAR_LATE;
    expect(await backend.getVariable('late')).toBeNull();
  });

  it('returns a variable raw, JSON text included', async () => {
    const backend = backendWith({ AIRFLOW_VAR_JSON: ' {"a": 1} ' });
    expect(await backend.getVariable('json')).toBe(' {"a": 1} ');
  });

  it('parses a connection from a URI and from JSON text', async () => {
    const backend = backendWith({
      AIRFLOW_CONN_BY_URI: 'mysql://svc:s3cr%2Ft@db.example.com:3306/main',
      AIRFLOW_CONN_BY_JSON: '  {"conn_type": "http", "host": "api.example", "port": 8080}',
    });
    const byUri = await backend.getConnection('by_uri');
    expect(byUri).toMatchObject({ connType: 'mysql', login: 'svc', password: 's3cr/t', host: 'db.example.com', port: 3306, schema: 'main' });
    const byJson = await backend.getConnection('by_json');
    expect(byJson).toMatchObject({ connType: 'http', host: 'api.example', port: 8080 });
  });

  it('reads process.env by default', async () => {
    const name = `AIRFLOW_VAR_ASC_ENV_TEST_${process.pid}`;
    process.env[name] = 'from process';
    try {
      expect(await new EnvironmentVariablesBackend().getVariable(`asc_env_test_${process.pid}`)).toBe('from process');
    } finally {
      delete process.env[name];
    }
  });

  it('serves no config', async () => {
    expect(await backendWith({ AIRFLOW__CORE__X: '1' }).getConfig('core.x')).toBeNull();
  });
});
