/**
 * AWS fixtures: Airflow ids to the names the provider reads by default (`<root>/<kind>/<id>`) under
 * the run's root, removed when the session closes; `storeNames` writes under the store's own names.
 */
import { connectionFixtureText, type ConnectionFixture, type FixtureStore, type StoreNames, type VariableVersions } from '../../suites/target';
import { fixtureError, type ServiceStore } from './stores';

export type Kind = 'connections' | 'variables' | 'config';

export class AwsFixtures implements FixtureStore {
  /** What this session wrote, by name, so it can be removed and copied to moto-iam. */
  private readonly written = new Map<string, string>();
  readonly storeNames: StoreNames;

  constructor(
    private readonly store: ServiceStore,
    readonly root: string,
    private readonly targetName: string,
  ) {
    const owned = (name: string) => {
      if (!name.startsWith(`${root}/`)) {
        throw fixtureError(`"${name}" is outside this run's root "${root}"`, targetName, `start the name with ${root}/`);
      }
    };
    this.storeNames = {
      root,
      put: async (name, value) => {
        owned(name);
        await this.write(name, value);
      },
      ...(store.putBinary
        ? {
            putBinary: async (name: string, value: Uint8Array) => {
              owned(name);
              this.written.set(name, '');
              await store.putBinary?.(name, value);
            },
          }
        : {}),
    };
  }

  nameOf(kind: Kind, id: string): string {
    return `${this.root}/${kind}/${id}`;
  }

  get versions(): VariableVersions {
    const named = this.store.versions;
    const name = (key: string) => this.nameOf('variables', key);
    return {
      scheme: named.scheme,
      current: (key) => named.current(name(key)),
      previous: (key) => named.previous(name(key)),
      rollBack: (key) => named.rollBack(name(key)),
      ...(named.stageAndPromote
        ? {
            stageAndPromote: async (key: string, value: string) => {
              this.written.set(name(key), value);
              await named.stageAndPromote?.(name(key), value);
            },
          }
        : {}),
      ...(named.unqualifiedReadIgnoresStageMoves ? { unqualifiedReadIgnoresStageMoves: named.unqualifiedReadIgnoresStageMoves } : {}),
    };
  }

  /** The value this session wrote for an id, if any. */
  valueOf(kind: Kind, id: string): string | undefined {
    return this.written.get(this.nameOf(kind, id));
  }

  async putConnection(connId: string, fixture: ConnectionFixture): Promise<void> {
    await this.write(this.nameOf('connections', connId), connectionFixtureText(fixture));
  }

  async putVariable(key: string, value: string): Promise<void> {
    await this.write(this.nameOf('variables', key), value);
  }

  async putConfig(key: string, value: string): Promise<void> {
    await this.write(this.nameOf('config', key), value);
  }

  async deleteConnection(connId: string): Promise<void> {
    await this.remove(this.nameOf('connections', connId));
  }

  async deleteVariable(key: string): Promise<void> {
    await this.remove(this.nameOf('variables', key));
  }

  /** Removes everything written; keeps going past a failure and reports the first. */
  async removeAll(): Promise<void> {
    const failures: unknown[] = [];
    for (const name of [...this.written.keys()]) await this.remove(name).catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  }

  private async write(name: string, value: string): Promise<void> {
    // Recorded first: a write that fails halfway may still have created the secret.
    this.written.set(name, value);
    await this.store.put(name, value);
  }

  private async remove(name: string): Promise<void> {
    await this.store.remove(name);
    this.written.delete(name);
  }
}
