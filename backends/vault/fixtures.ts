/**
 * Vault fixtures in the backend's default layout (`connections/<id>`, `variables/<key>`,
 * `config/<key>`) under the run's KV mount, written with the root token. A session deletes every
 * path it wrote when it closes (KV v2: the metadata, so no version stays behind).
 */
import type { ConnectionFixture, FixtureStore, VariableVersions } from '../../suites/target';
import { ConfigurationError } from '../../model/errors';
import type { VaultAdmin } from './admin';
import type { KvVersion } from './admin';
import { quoteVaultPath } from './vault-paths';

/** Where the default kwargs read each kind, relative to the mount. */
const LAYOUT_PATH = { connections: 'connections', variables: 'variables', config: 'config' } as const;

export class VaultFixtures implements FixtureStore {
  private readonly written = new Set<string>();

  constructor(
    private readonly admin: Pick<VaultAdmin, 'read' | 'write' | 'delete'>,
    private readonly mount: string,
    private readonly version: KvVersion,
    /** A folder inside the mount that holds the layout (`team/asc-1a2b3c`); the mount's root when absent. */
    private readonly base?: string,
  ) {}

  async putConnection(connId: string, fixture: ConnectionFixture): Promise<void> {
    const data = 'uri' in fixture ? { conn_uri: fixture.uri } : 'raw' in fixture ? { conn_uri: fixture.raw } : { ...fixture.fields };
    await this.put(`${LAYOUT_PATH.connections}/${connId}`, data);
  }

  async putVariable(key: string, value: string): Promise<void> {
    await this.put(`${LAYOUT_PATH.variables}/${key}`, { value });
  }

  async putConfig(key: string, value: string): Promise<void> {
    await this.put(`${LAYOUT_PATH.config}/${key}`, { value });
  }

  async deleteConnection(connId: string): Promise<void> {
    await this.remove(`${LAYOUT_PATH.connections}/${connId}`);
  }

  async deleteVariable(key: string): Promise<void> {
    await this.remove(`${LAYOUT_PATH.variables}/${key}`);
  }

  /** KV v2 keeps every version: read them by number, roll back by writing one again. */
  get versions(): VariableVersions | undefined {
    if (this.version !== 2) return undefined;
    const path = (key: string) => `${LAYOUT_PATH.variables}/${key}`;
    return {
      scheme: 'KV v2 version',
      current: async (key) => valueOf(await this.readVersion(path(key), null)),
      previous: async (key) => {
        const latest = await this.latestVersion(path(key));
        return latest > 1 ? valueOf(await this.readVersion(path(key), latest - 1)) : null;
      },
      // What `vault kv rollback` does: the old version's data written again as the newest.
      rollBack: async (key) => {
        const latest = await this.latestVersion(path(key));
        const data = latest > 1 ? await this.readVersion(path(key), latest - 1) : null;
        if (data === null)
          throw new ConfigurationError(`variable "${key}" has no earlier version to roll back to`, {
            what: 'fixture',
            where: `mount ${this.mount}`,
            hint: 'write the variable twice first',
          });
        await this.put(path(key), data);
      },
    };
  }

  private async latestVersion(path: string): Promise<number> {
    const answer = await this.admin.read(`the versions of ${path}`, `${quoteVaultPath(this.mount)}/metadata/${quoteVaultPath(this.within(path))}`);
    const latest = (answer?.data as { current_version?: unknown } | undefined)?.current_version;
    return typeof latest === 'number' ? latest : 0;
  }

  private async readVersion(path: string, version: number | null): Promise<Record<string, unknown> | null> {
    const query = version === null ? '' : `?version=${version}`;
    const answer = await this.admin.read(
      `version ${version ?? 'latest'} of ${path}`,
      `${quoteVaultPath(this.mount)}/data/${quoteVaultPath(this.within(path))}${query}`,
    );
    const data = (answer?.data as { data?: unknown } | undefined)?.data;
    return data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : null;
  }

  /** Removes every path written; tries them all, then reports the first failure. */
  async removeAll(): Promise<void> {
    const failures: unknown[] = [];
    for (const path of [...this.written]) await this.remove(path).catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  }

  private within(path: string): string {
    return this.base === undefined ? path : `${this.base}/${path}`;
  }

  private async put(path: string, data: Record<string, unknown>): Promise<void> {
    this.written.add(path);
    const quoted = quoteVaultPath(this.within(path));
    const mount = quoteVaultPath(this.mount);
    if (this.version === 2) await this.admin.write(`the fixture at ${path}`, `${mount}/data/${quoted}`, { data });
    else await this.admin.write(`the fixture at ${path}`, `${mount}/${quoted}`, data);
  }

  private async remove(path: string): Promise<void> {
    const quoted = quoteVaultPath(this.within(path));
    const mount = quoteVaultPath(this.mount);
    await this.admin.delete(`the fixture at ${path}`, this.version === 2 ? `${mount}/metadata/${quoted}` : `${mount}/${quoted}`);
    this.written.delete(path);
  }
}

function valueOf(data: Record<string, unknown> | null): string | null {
  const value = data?.value;
  return typeof value === 'string' ? value : null;
}
