/**
 * Kubernetes fixtures in the layout Airflow's backend reads: one Secret per id in the run's
 * namespace, labelled `<kind label>=<id>`, the value base64 under `data.value`. Every Secret also
 * carries the run label, so residue counts find it. A session deletes what it wrote when it closes.
 * Every write returns once the API server's watch cache holds it (`cacheCaughtUp`): the backend
 * lists with `resourceVersion=0`, which the cache answers.
 */
import { createHash } from 'node:crypto';
import { connectionFixtureText, type ConnectionFixture, type FixtureStore } from '../../suites/target';
import type { KubernetesAdmin } from './admin';
import { DEFAULT_CONFIG_LABEL, DEFAULT_CONNECTIONS_LABEL, DEFAULT_DATA_KEY, DEFAULT_VARIABLES_LABEL } from './kubernetes-backend';
import { RUN_LABEL } from './run-setup';

type Kind = 'connection' | 'variable' | 'config';

const LABEL_OF: Readonly<Record<Kind, string>> = {
  connection: DEFAULT_CONNECTIONS_LABEL,
  variable: DEFAULT_VARIABLES_LABEL,
  config: DEFAULT_CONFIG_LABEL,
};

/** A Secret written as is, for the family's own cases (several matches, other keys, other namespaces). */
export interface RawSecret {
  readonly name: string;
  /** The run's namespace when absent. */
  readonly namespace?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Plain text by key; stored base64 under `data`. */
  readonly data: Readonly<Record<string, string>>;
}

export class KubernetesFixtures implements FixtureStore {
  /** `namespace/name` of every Secret this session wrote. */
  private readonly written = new Map<string, { namespace: string; name: string }>();

  constructor(
    private readonly admin: KubernetesAdmin,
    readonly namespace: string,
    private readonly runTag: string,
  ) {}

  /** The Secret's name for an id: ids may hold characters a name may not, so a hash of it. */
  nameFor(kind: Kind, id: string): string {
    return `${kind}-${createHash('sha256').update(id).digest('hex').slice(0, 20)}`;
  }

  async putConnection(connId: string, fixture: ConnectionFixture): Promise<void> {
    await this.putKind('connection', connId, connectionFixtureText(fixture));
  }

  async putVariable(key: string, value: string): Promise<void> {
    await this.putKind('variable', key, value);
  }

  async putConfig(key: string, value: string): Promise<void> {
    await this.putKind('config', key, value);
  }

  async deleteConnection(connId: string): Promise<void> {
    await this.remove(this.namespace, this.nameFor('connection', connId));
  }

  async deleteVariable(key: string): Promise<void> {
    await this.remove(this.namespace, this.nameFor('variable', key));
  }

  /** Writes `secret` exactly (replacing one of the same name this session wrote). */
  async putRaw(secret: RawSecret): Promise<void> {
    const namespace = secret.namespace ?? this.namespace;
    const body = {
      metadata: { name: secret.name, namespace, labels: { ...secret.labels, [RUN_LABEL]: this.runTag } },
      type: 'Opaque',
      data: Object.fromEntries(Object.entries(secret.data).map(([key, text]) => [key, Buffer.from(text, 'utf8').toString('base64')])),
    };
    const key = `${namespace}/${secret.name}`;
    if (this.written.has(key)) {
      await this.admin.replaceSecret(namespace, body);
    } else {
      this.written.set(key, { namespace, name: secret.name });
      await this.admin.createSecret(namespace, body);
    }
    await this.admin.cacheCaughtUp(namespace);
  }

  async removeAll(): Promise<void> {
    const failures: unknown[] = [];
    for (const { namespace, name } of [...this.written.values()]) await this.remove(namespace, name).catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  }

  private async putKind(kind: Kind, id: string, value: string): Promise<void> {
    await this.putRaw({ name: this.nameFor(kind, id), labels: { [LABEL_OF[kind]]: id }, data: { [DEFAULT_DATA_KEY]: value } });
  }

  private async remove(namespace: string, name: string): Promise<void> {
    await this.admin.deleteSecret(namespace, name);
    this.written.delete(`${namespace}/${name}`);
    await this.admin.cacheCaughtUp(namespace).catch(() => undefined);
  }
}
