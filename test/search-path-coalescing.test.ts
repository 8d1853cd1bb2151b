import { describe, expect, it } from 'vitest';
import { FakeClock } from '../model/clock';
import { BaseSecretsBackend } from '../model/contract';
import { UnavailableError } from '../model/errors';
import { SearchPath } from '../model/search-path';
import { SecretCache } from '../model/secret-cache';

/** A backend whose answers are held until the test releases them, counting what it was asked. */
class GatedBackend extends BaseSecretsBackend {
  readonly kind = 'GatedBackend';
  readonly asked: string[] = [];
  private readonly gates: Array<() => void> = [];

  constructor(
    private readonly values: Record<string, string>,
    private readonly failing = false,
  ) {
    super();
  }

  release(): void {
    for (const open of this.gates.splice(0)) open();
  }

  async getConnValue(connId: string): Promise<string | null> {
    return this.answer(`conn:${connId}`, this.values[`conn:${connId}`] ?? null);
  }

  async getVariable(key: string): Promise<string | null> {
    return this.answer(`var:${key}`, this.values[`var:${key}`] ?? null);
  }

  private async answer(what: string, value: string | null): Promise<string | null> {
    this.asked.push(what);
    await new Promise<void>((open) => this.gates.push(open));
    if (this.failing) throw new UnavailableError(`${what}: down on purpose`, { where: this.kind });
    return value;
  }
}

function cached(backend: GatedBackend, mode: 'core' | 'sdk' = 'core', enabled = true): SearchPath {
  return new SearchPath([backend], { mode, cache: new SecretCache({ enabled, clock: new FakeClock() }) });
}

/** Starts `count` lookups, lets them all reach the chain, then opens the gates. */
async function concurrently<T>(backend: GatedBackend, count: number, lookup: () => Promise<T>): Promise<T[]> {
  const pending = Array.from({ length: count }, lookup);
  await new Promise<void>((settled) => setImmediate(settled));
  backend.release();
  return Promise.all(pending);
}

describe('SearchPath coalesces concurrent cold lookups when a cache is on', () => {
  it('five concurrent variable lookups ask the backend once and all get the value', async () => {
    const backend = new GatedBackend({ 'var:k': 'v1' });
    const path = cached(backend);
    const outcomes = await concurrently(backend, 5, () => path.resolveVariable('k'));
    expect(backend.asked).toEqual(['var:k']);
    expect(outcomes.map((o) => o.value)).toEqual(['v1', 'v1', 'v1', 'v1', 'v1']);
    expect(await path.resolveVariable('k')).toMatchObject({ value: 'v1', servedBy: 'cache' });
    expect(backend.asked).toHaveLength(1);
  });

  it('keys as the cache does: a connection and a variable of one id, and two ids, are not shared', async () => {
    const backend = new GatedBackend({ 'var:k': 'v1', 'conn:k': 'http://h.example', 'var:other': 'v2' });
    const path = cached(backend, 'sdk');
    const [variable, connection, other] = await concurrently(backend, 1, () =>
      Promise.all([path.getVariable('k'), path.getConnection('k'), path.getVariable('other')]),
    ).then((all) => all[0] ?? []);
    expect(variable).toBe('v1');
    expect(connection?.host).toBe('h.example');
    expect(other).toBe('v2');
    expect([...backend.asked].sort()).toEqual(['conn:k', 'var:k', 'var:other']);
  });

  it('connections are shared too', async () => {
    const backend = new GatedBackend({ 'conn:db': 'postgres://u:p@db.example/x' });
    const path = cached(backend);
    const connections = await concurrently(backend, 4, () => path.getConnection('db'));
    expect(backend.asked).toEqual(['conn:db']);
    expect(connections.every((c) => c?.host === 'db.example')).toBe(true);
  });

  it('a shared failure reaches every caller with its own failure list, and the next lookup asks again', async () => {
    const backend = new GatedBackend({}, true);
    const path = cached(backend, 'sdk');
    const outcomes = await concurrently(backend, 3, () => path.resolveVariable('k'));
    expect(backend.asked).toHaveLength(1);
    expect(outcomes.map((o) => [o.value, o.failures.length])).toEqual([
      [null, 1],
      [null, 1],
      [null, 1],
    ]);
    expect(new Set(outcomes.map((o) => o.failures)).size).toBe(3);
    await concurrently(backend, 1, () => path.resolveVariable('k'));
    expect(backend.asked).toHaveLength(2);
  });

  it("without a cache, or with a disabled one, every lookup is Airflow's own: N lookups, N reads", async () => {
    for (const path of [(b: GatedBackend) => new SearchPath([b]), (b: GatedBackend) => cached(b, 'core', false)]) {
      const backend = new GatedBackend({ 'var:k': 'v1' });
      const chain = path(backend);
      await concurrently(backend, 4, () => chain.getVariable('k'));
      expect(backend.asked).toHaveLength(4);
    }
  });
});
