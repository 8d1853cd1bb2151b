/**
 * The `env` target: Airflow's EnvironmentVariablesBackend reading this process's environment.
 * Fixtures are `process.env` entries named as Airflow names them; a session puts back whatever
 * it changed when it closes.
 */
import { ConfigurationError } from '../backends/errors';
import {
  CONNECTION_ENV_PREFIX,
  connectionEnvName,
  EnvironmentVariablesBackend,
  VARIABLE_ENV_PREFIX,
  variableEnvName,
} from '../backends/environment-variables';
import { referenceDescription, runTag, type Capability, type ConnectionFixture, type FixtureStore, type TargetDefinition, type TargetSession } from './target';

function connectionText(fixture: ConnectionFixture): string {
  if ('uri' in fixture) return fixture.uri;
  if ('raw' in fixture) return fixture.raw;
  // deserialize_connection reads a value starting with "{" as Connection.from_json.
  return JSON.stringify(fixture.fields);
}

class EnvironmentFixtures implements FixtureStore {
  /** What each name held before this session first changed it (`undefined`: it was unset). */
  private readonly previous = new Map<string, string | undefined>();

  async putConnection(connId: string, fixture: ConnectionFixture): Promise<void> {
    this.set(connectionEnvName(connId), connectionText(fixture));
  }

  async putVariable(key: string, value: string): Promise<void> {
    this.set(variableEnvName(key), value);
  }

  async deleteConnection(connId: string): Promise<void> {
    this.unset(connectionEnvName(connId));
  }

  async deleteVariable(key: string): Promise<void> {
    this.unset(variableEnvName(key));
  }

  restore(): void {
    for (const [name, value] of this.previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    this.previous.clear();
  }

  private remember(name: string): void {
    if (!this.previous.has(name)) this.previous.set(name, process.env[name]);
  }

  private set(name: string, value: string): void {
    if (name.includes('\0') || value.includes('\0')) {
      // Node would silently cut the value at the NUL; a real environment cannot hold one either.
      throw new ConfigurationError(`cannot set ${name.split('\0')[0]}: an environment entry cannot hold a NUL character`, {
        what: 'fixture',
        where: 'env target',
        hint: 'use a value without U+0000',
      });
    }
    this.remember(name);
    process.env[name] = value;
  }

  private unset(name: string): void {
    this.remember(name);
    delete process.env[name];
  }
}

/** A store read without credentials cannot fail authentication or authorisation. */
const NO_CREDENTIALS: Partial<Record<Capability, string>> = {
  'auth-wrong-credentials': 'the process environment is read without credentials',
  'auth-expired-credentials': 'the process environment is read without credentials',
  'auth-policy': 'the process environment has no access policy',
};

export const envTarget: TargetDefinition = {
  name: 'env',
  family: 'env',
  summary: 'EnvironmentVariablesBackend: AIRFLOW_CONN_<ID> / AIRFLOW_VAR_<KEY> in the process environment',
  backendKind: 'EnvironmentVariablesBackend',
  capabilities: [
    'connections',
    'conn-value',
    'variables',
    'json-connections',
    'env-var-names',
    'empty-values',
    'multiline-values',
    'large-values',
    'mutable',
    'residue',
  ],
  missingCapabilityReasons: {
    config: 'EnvironmentVariablesBackend has no get_config; Airflow reads AIRFLOW__SECTION__KEY itself, never through a secrets backend',
    'field-connections': 'an environment variable holds text only; structured connections are stored as JSON text (json-connections)',
    'raw-files': 'the environment backend reads no files',
    ...NO_CREDENTIALS,
    'vault-paths': 'not a Vault backend',
    'network-faults': 'the process environment is read in memory: there is no connection to fault',
    versions: 'an environment variable holds its current value only',
    'staged-rotation': 'an environment variable holds its current value only',
  },
  servers: [],
  parser: 'sdk',
  describe: () => referenceDescription('EnvironmentVariablesBackend', { kwargs: {} }),
  async open(): Promise<TargetSession> {
    const fixtures = new EnvironmentFixtures();
    return {
      fixtures,
      backend(kwargs = {}) {
        const names = Object.keys(kwargs);
        if (names.length > 0) {
          throw new ConfigurationError(`EnvironmentVariablesBackend takes no keyword arguments, got ${names.join(', ')}`, {
            what: 'backend_kwargs',
            where: 'env target',
            hint: 'drop the kwargs: the backend reads the process environment only',
          });
        }
        return new EnvironmentVariablesBackend({ parser: 'sdk' });
      },
      async close() {
        fixtures.restore();
      },
    };
  },
  async residue(environment) {
    const marker = `_ASC_${runTag(environment.runId).toUpperCase()}_`;
    return Object.keys(process.env).filter(
      (name) => (name.startsWith(CONNECTION_ENV_PREFIX) || name.startsWith(VARIABLE_ENV_PREFIX)) && name.includes(marker),
    ).length;
  },
};
