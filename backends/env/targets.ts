/**
 * The `env` target: our EnvironmentVariablesBackend reading this process's environment
 * (`AIRFLOW_CONN_<ID>` / `AIRFLOW_VAR_<KEY>`).
 */
import { referenceDescription, runTag, type Capability, type TargetDefinition, type TargetSession } from '../../suites/target';
import { ConfigurationError } from '../../model/errors';
import { CONNECTION_ENV_PREFIX, EnvironmentVariablesBackend, VARIABLE_ENV_PREFIX } from '../../model/environment-variables';
import { EnvironmentFixtures } from './fixtures';

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
    throttling: 'no server: nothing answers "slow down"',
    versions: 'an environment variable holds its current value only',
    'staged-rotation': 'an environment variable holds its current value only',
  },
  servers: [],
  // os.environ holds any name without '=' or NUL: upper-casing (str.upper) is the rule under test.
  store: { layout: 'env', idShapes: ['upper-case', 'dash', 'dot', 'slash', 'leading-digit', 'non-ascii'] },
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
    const marker = `ASC_${runTag(environment.runId).toUpperCase()}_`;
    return Object.keys(process.env).filter(
      (name) => (name.startsWith(CONNECTION_ENV_PREFIX) || name.startsWith(VARIABLE_ENV_PREFIX)) && name.includes(marker),
    ).length;
  },
};
