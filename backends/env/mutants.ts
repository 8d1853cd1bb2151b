/**
 * Mutants of EnvironmentVariablesBackend's naming (spec §4): each reads the environment under
 * names of its own making, the way a hand-written backend plausibly would.
 */
import { deserializeConnection } from '../../model/connection/connection';
import { mutantsOn, ForwardingBackend, type MutantSpec, type MutantTarget } from '../../mutants/mutant';
import { connectionEnvName, variableEnvName } from '../../model/environment-variables';
import { envTarget } from './targets';

/**
 * Reads the environment under names of its own making; the naming mutants differ only in the
 * names they try (first set one wins). A kind without names is read by the real backend.
 */
class EnvironmentNamesBackend extends ForwardingBackend {
  constructor(
    inner: ConstructorParameters<typeof ForwardingBackend>[0],
    private readonly names: { connection?: (connId: string) => string[]; variable?: (key: string) => string[] },
  ) {
    super(inner);
  }

  private read(candidates: readonly string[]): string | null {
    for (const name of candidates) if (process.env[name] !== undefined) return process.env[name] ?? null;
    return null;
  }

  override async getConnValue(connId: string) {
    return this.names.connection ? this.read(this.names.connection(connId)) : this.inner.getConnValue(connId);
  }

  override async getConnection(connId: string) {
    if (!this.names.connection) return this.inner.getConnection(connId);
    const value = await this.getConnValue(connId);
    return value ? deserializeConnection(connId, value, 'sdk') : null;
  }

  override async getVariable(key: string) {
    return this.names.variable ? this.read(this.names.variable(key)) : this.inner.getVariable(key);
  }
}

const environmentNameCaseKept: MutantSpec = {
  name: 'env-names-not-upper-cased',
  breaks: '§4 reads AIRFLOW_CONN_<id> / AIRFLOW_VAR_<id> without upper-casing the id',
  backend: (real) => new EnvironmentNamesBackend(real, { connection: (id) => [`AIRFLOW_CONN_${id}`], variable: (key) => [`AIRFLOW_VAR_${key}`] }),
};

const dashesToUnderscores: MutantSpec = {
  name: 'env-names-dashes-to-underscores',
  breaks: '§4 turns "-", "." and "/" in an id into "_" in the environment name',
  backend: (real) => new EnvironmentNamesBackend(real, { connection: (id) => [`AIRFLOW_CONN_${id.replace(/[-./]/g, '_').toUpperCase()}`] }),
};

const asciiUpperCase: MutantSpec = {
  name: 'env-names-ascii-upper-case',
  breaks: "§4 upper-cases ASCII letters only, where Python's str.upper() maps ß to SS",
  backend: (real) => new EnvironmentNamesBackend(real, { variable: (key) => [`AIRFLOW_VAR_${key.replace(/[a-z]/g, (c) => c.toUpperCase())}`] }),
};

const caseInsensitiveNames: MutantSpec = {
  name: 'env-names-case-insensitive',
  breaks: '§4 also finds AIRFLOW_CONN_<id> / AIRFLOW_VAR_<id> written in lower case',
  backend: (real) =>
    new EnvironmentNamesBackend(real, {
      connection: (id) => [connectionEnvName(id), `AIRFLOW_CONN_${id}`],
      variable: (key) => [variableEnvName(key), `AIRFLOW_VAR_${key}`],
    }),
};

const prefixMatching: MutantSpec = {
  name: 'ids-matched-by-prefix',
  breaks: '§1.2 answers for an id with the secret of a longer or shorter id that shares its prefix',
  backend: (real) =>
    new (class extends ForwardingBackend {
      override async getVariable(key: string) {
        const exact = await this.inner.getVariable(key);
        if (exact !== null) return exact;
        const wanted = `AIRFLOW_VAR_${key.toUpperCase()}`;
        const near = Object.keys(process.env).find((name) => name.startsWith(wanted) || (name.startsWith('AIRFLOW_VAR_') && wanted.startsWith(name)));
        return near ? (process.env[near] ?? null) : null;
      }
    })(real),
};

const environmentNameMutants: readonly MutantSpec[] = [
  environmentNameCaseKept,
  dashesToUnderscores,
  asciiUpperCase,
  caseInsensitiveNames,
  prefixMatching,
];

export const envMutants: readonly MutantTarget[] = mutantsOn(
  [envTarget],
  environmentNameMutants.map((spec) => ({ ...spec, base: envTarget.name })),
);
