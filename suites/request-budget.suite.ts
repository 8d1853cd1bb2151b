/**
 * Request budgets: what a lookup costs upstream. For networked
 * targets a logging proxy between the backend and its server counts every request by what it is
 * for, and the first case holds the backend's own counter against it, so the failover suite may
 * trust that counter. For every target, counted backends show what reaches a backend through the
 * chain: nothing on a cache hit, once for N concurrent cold lookups while the cache is on.
 */
import { InMemoryMetastoreBackend } from '../model/metastore';
import type { SecretsBackend } from '../model/contract';
import type { ObservedRequest, TargetNetwork } from './target';
import { CountingBackend } from './doubles';
import { expectConnection, expectSecret } from './expect-secret';
import { LOOKUP_LATENCY, requestsMetric, timed } from './measure';
import { backendAt, networkOf, startLogProxyBefore } from './network';
import type { RequestLogProxy } from '../containers/request-log-proxy';
import { defineSuite, type CaseContext, type ConformanceCase } from './suite';

/** Concurrent cold lookups of one id in the coalescing cases. */
const CONCURRENT_LOOKUPS = 10;
/**
 * Why the coalescing cases are not run for Airflow's own search path: it does not coalesce, and
 * through the bridge, which answers one request at a time, they would pass for the wrong reason.
 */
const COALESCING_IS_REFERENCE_ONLY =
  "sharing one walk among concurrent cold lookups goes beyond Airflow: 3.3.2's SecretCache has no in-flight sharing " +
  '(airflow/sdk/execution_time/cache.py: a miss raises NotPresentException and each caller asks the backends), and the bridge ' +
  'answers one request at a time, so concurrent lookups through it would find a warm cache and pass for the wrong reason';
/** Warm lookups timed for the latency figures. */
const WARM_LOOKUPS = 10;

interface Tally {
  readonly auth: number;
  readonly read: number;
  readonly other: number;
  readonly total: number;
}

function tally(network: TargetNetwork, requests: readonly ObservedRequest[]): Tally {
  const counts = { auth: 0, read: 0, other: 0 };
  for (const request of requests) counts[network.requestKind(request)] += 1;
  return { ...counts, total: requests.length };
}

function since(network: TargetNetwork, proxy: RequestLogProxy, from: number): Tally {
  return tally(network, proxy.requests.slice(from));
}

function describeTally(counted: Tally): string {
  return `${counted.total} request(s): ${counted.read} read, ${counted.auth} authentication, ${counted.other} other`;
}

async function withLogProxy(ctx: CaseContext, body: (proxy: RequestLogProxy, network: TargetNetwork) => Promise<void>): Promise<void> {
  const network = networkOf(ctx.target);
  const proxy = await startLogProxyBefore(ctx, network);
  try {
    await body(proxy, network);
  } finally {
    await proxy.close();
  }
}

function expectTally(counted: Tally, expected: { read: number; authAtMost: number }, what: string): void {
  if (counted.read !== expected.read || counted.auth > expected.authAtMost || counted.other !== 0) {
    throw new Error(
      `${what}: ${describeTally(counted)}; expected ${expected.read} read, at most ${expected.authAtMost} authentication, nothing else`,
    );
  }
}

function uri(ctx: CaseContext): { uri: string; password: string } {
  const password = ctx.secrets.token('pw');
  return { uri: `postgres://app:${password}@db.example:5432/orders`, password };
}

const networkedCases: ConformanceCase[] = [
  {
    name: 'a cold connection lookup costs one read and at most one authentication; the backend counts them right',
    rule:
      '§7 one lookup, one read; authentication once per backend instance (provider 4.8.4 sends no lookup-self, ' +
      "this reference sends one for a token). The backend's own request counter equals what a proxy saw",
    needs: ['connections', 'network-faults'],
    async run(ctx) {
      const connId = ctx.ids.next('cold');
      const { uri: text, password } = uri(ctx);
      await ctx.fixtures.putConnection(connId, { uri: text });
      await withLogProxy(ctx, async (proxy, network) => {
        const backend = backendAt(ctx, proxy.address);
        const lookup = await timed(() => backend.getConnection(connId));
        expectConnection(lookup.value, { password, host: 'db.example' }, `connection "${connId}" through the logging proxy`);
        const counted = tally(network, proxy.requests);
        expectTally(counted, { read: 1, authAtMost: 1 }, `cold lookup of connection "${connId}"`);
        // A backend that counts its own requests (the failover suite relies on it) must count these.
        const own = backend.requestsSent;
        if (own !== undefined && own !== counted.total) {
          throw new Error(`${backend.kind} counts ${own} request(s), the proxy saw ${counted.total}: its counter cannot be trusted`);
        }
        ctx.record(requestsMetric('cold connection lookup'), counted.total, 'requests');
        ctx.record(LOOKUP_LATENCY, lookup.ms, 'ms');
      });
    },
  },
  {
    name: 'a variable lookup on a warm backend costs exactly one read',
    rule: '§7 after the first lookup, each variable lookup is one request, no authentication',
    needs: ['variables', 'network-faults'],
    async run(ctx) {
      const key = ctx.ids.next('warm');
      const value = ctx.secrets.token('v');
      await ctx.fixtures.putVariable(key, value);
      await withLogProxy(ctx, async (proxy, network) => {
        const backend = backendAt(ctx, proxy.address);
        expectSecret(await backend.getVariable(key), value, `variable "${key}" first read`);
        for (let i = 0; i < WARM_LOOKUPS; i += 1) {
          const from = proxy.requests.length;
          const lookup = await timed(() => backend.getVariable(key));
          expectSecret(lookup.value, value, `variable "${key}" warm read ${i + 1}`);
          expectTally(since(network, proxy, from), { read: 1, authAtMost: 0 }, `warm read ${i + 1} of variable "${key}"`);
          ctx.record(LOOKUP_LATENCY, lookup.ms, 'ms');
        }
        ctx.record(requestsMetric('variable lookup'), 1, 'requests');
      });
    },
  },
  {
    name: 'a cache hit sends nothing upstream',
    rule: '§3.4 the cache is checked before any backend is asked: a hit costs zero requests',
    needs: ['variables', 'connections', 'network-faults'],
    async run(ctx) {
      const key = ctx.ids.next('hit');
      const connId = ctx.ids.next('hit');
      const value = ctx.secrets.token('v');
      const { uri: text, password } = uri(ctx);
      await ctx.fixtures.putVariable(key, value);
      await ctx.fixtures.putConnection(connId, { uri: text });
      await withLogProxy(ctx, async (proxy, network) => {
        const path = ctx.searchPath([backendAt(ctx, proxy.address), new InMemoryMetastoreBackend()], { cache: ctx.cache() });
        expectSecret(await path.getVariable(key), value, `variable "${key}" first read`);
        expectConnection(await path.getConnection(connId), { password }, `connection "${connId}" first read`);
        const from = proxy.requests.length;
        for (let i = 0; i < 3; i += 1) {
          expectSecret(await path.getVariable(key), value, `variable "${key}" from the cache`);
          expectConnection(await path.getConnection(connId), { password }, `connection "${connId}" from the cache`);
        }
        const hits = since(network, proxy, from);
        if (hits.total !== 0) throw new Error(`6 cache hits sent ${describeTally(hits)} upstream; expected none`);
        ctx.record(requestsMetric('cache hit'), hits.total, 'requests');
      });
    },
  },
  {
    name: 'one authentication per backend instance, reused by every lookup',
    rule: '§7.1 the provider authenticates once (cached client) and reuses the token; never a login per lookup',
    needs: ['variables', 'network-faults'],
    async run(ctx) {
      const key = ctx.ids.next('auth');
      const value = ctx.secrets.token('v');
      await ctx.fixtures.putVariable(key, value);
      await withLogProxy(ctx, async (proxy, network) => {
        const perInstance: number[] = [];
        for (const instance of [1, 2]) {
          const from = proxy.requests.length;
          const backend = backendAt(ctx, proxy.address);
          for (let i = 0; i < 5; i += 1)
            expectSecret(await backend.getVariable(key), value, `variable "${key}", instance ${instance}, read ${i + 1}`);
          const counted = since(network, proxy, from);
          expectTally(counted, { read: 5, authAtMost: 1 }, `5 lookups on backend instance ${instance}`);
          perInstance.push(counted.auth);
        }
        // A backend that authenticates does so for each new instance, the same way.
        if (perInstance[0] !== perInstance[1]) throw new Error(`authentications per instance differ: ${perInstance.join(' and ')}`);
        ctx.record(requestsMetric('backend instance (authentication)'), perInstance[0] ?? 0, 'requests');
      });
    },
  },
  {
    name: `${CONCURRENT_LOOKUPS} concurrent cold lookups of one variable make one upstream read with the cache on`,
    rule: "§3.4 (reference chain, beyond Airflow): the cached chain shares one in-flight lookup per id; Airflow's SecretCache would send one read per lookup",
    needs: ['variables', 'network-faults'],
    referenceOnly: COALESCING_IS_REFERENCE_ONLY,
    async run(ctx) {
      const key = ctx.ids.next('herd');
      const value = ctx.secrets.token('v');
      await ctx.fixtures.putVariable(key, value);
      await withLogProxy(ctx, async (proxy, network) => {
        const path = ctx.searchPath([backendAt(ctx, proxy.address), new InMemoryMetastoreBackend()], { cache: ctx.cache() });
        const answers = await Promise.all(Array.from({ length: CONCURRENT_LOOKUPS }, () => path.getVariable(key)));
        answers.forEach((answer, i) => expectSecret(answer, value, `variable "${key}", concurrent lookup ${i + 1}`));
        const counted = tally(network, proxy.requests);
        expectTally(counted, { read: 1, authAtMost: 1 }, `${CONCURRENT_LOOKUPS} concurrent cold lookups of variable "${key}"`);
        ctx.record(requestsMetric(`${CONCURRENT_LOOKUPS} concurrent cold lookups`), counted.read, 'requests');
      });
    },
  },
];

function concurrentAnswers<T>(count: number, lookup: () => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: count }, lookup));
}

function counted(ctx: CaseContext): { backend: CountingBackend; chain: (withCache: boolean) => ReturnType<CaseContext['searchPath']> } {
  const backend = new CountingBackend(ctx.backend);
  return {
    backend,
    chain: (withCache) => ctx.searchPath([backend as SecretsBackend, new InMemoryMetastoreBackend()], withCache ? { cache: ctx.cache() } : {}),
  };
}

const chainCases: ConformanceCase[] = [
  {
    name: `${CONCURRENT_LOOKUPS} concurrent cold lookups reach the backend once with the cache on`,
    rule: '§3.4 (reference chain, beyond Airflow): with the cache on, concurrent lookups of one id share one walk over the backends, keyed like the cache',
    needs: ['variables', 'connections'],
    referenceOnly: COALESCING_IS_REFERENCE_ONLY,
    async run(ctx) {
      const key = ctx.ids.next('herd');
      const connId = ctx.ids.next('herd');
      const value = ctx.secrets.token('v');
      const { uri: text, password } = uri(ctx);
      await ctx.fixtures.putVariable(key, value);
      await ctx.fixtures.putConnection(connId, { uri: text });
      const { backend, chain } = counted(ctx);
      const path = chain(true);
      const variables = await concurrentAnswers(CONCURRENT_LOOKUPS, () => path.getVariable(key));
      variables.forEach((answer, i) => expectSecret(answer, value, `variable "${key}", concurrent lookup ${i + 1}`));
      const connections = await concurrentAnswers(CONCURRENT_LOOKUPS, () => path.getConnection(connId));
      connections.forEach((answer, i) => expectConnection(answer, { password }, `connection "${connId}", concurrent lookup ${i + 1}`));
      if (backend.counts.variables !== 1 || backend.counts.connections !== 1) {
        throw new Error(
          `${CONCURRENT_LOOKUPS} concurrent lookups each reached the backend ${backend.counts.variables} (variable) and ${backend.counts.connections} (connection) times; expected 1 and 1`,
        );
      }
      ctx.record(requestsMetric(`${CONCURRENT_LOOKUPS} concurrent cold lookups, backend calls`), backend.counts.variables, 'count');
    },
  },
  {
    name: `without the cache, ${CONCURRENT_LOOKUPS} concurrent lookups each reach the backend`,
    rule: "§3.1 use_cache is False by default and nothing is shared: every lookup asks the backends (Airflow's behaviour, kept)",
    needs: ['variables'],
    async run(ctx) {
      const key = ctx.ids.next('nocache');
      const value = ctx.secrets.token('v');
      await ctx.fixtures.putVariable(key, value);
      const { backend, chain } = counted(ctx);
      const path = chain(false);
      const answers = await concurrentAnswers(CONCURRENT_LOOKUPS, () => path.getVariable(key));
      answers.forEach((answer, i) => expectSecret(answer, value, `variable "${key}", concurrent lookup ${i + 1}`));
      if (backend.counts.variables !== CONCURRENT_LOOKUPS) {
        throw new Error(
          `${CONCURRENT_LOOKUPS} uncached concurrent lookups reached the backend ${backend.counts.variables} time(s); expected ${CONCURRENT_LOOKUPS}`,
        );
      }
    },
  },
];

export const requestBudgetSuite = defineSuite({
  id: 'request-budget',
  title: 'Request budget',
  level: 'resilience',
  // Networked cases need a network declaration; a bridged twin inheriting the capability has none.
  cases: (target) => [...(target.network ? networkedCases : []), ...chainCases],
});
