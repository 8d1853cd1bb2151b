/**
 * Env fixtures: `process.env` entries named as Airflow names them; a session puts back whatever it
 * changed when it closes.
 */
import { connectionFixtureText, type ConnectionFixture, type FixtureStore } from '../../suites/target';
import { ConfigurationError } from '../../model/errors';
import { connectionEnvName, variableEnvName } from '../../model/environment-variables';

export class EnvironmentFixtures implements FixtureStore {
  /** What each name held before this session first changed it (`undefined`: it was unset). */
  private readonly previous = new Map<string, string | undefined>();

  async putConnection(connId: string, fixture: ConnectionFixture): Promise<void> {
    this.set(connectionEnvName(connId), connectionFixtureText(fixture));
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
