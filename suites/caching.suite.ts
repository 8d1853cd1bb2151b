/**
 * Caching: Airflow's SecretCache in front of the whole search path (spec §3.4), driven by a fake
 * clock so the TTL edge is exact: an entry is served while it is not strictly older than the TTL.
 */
import { InMemoryMetastoreBackend } from '../model/metastore';
import { expectConnection, expectNotFound, expectSecret } from './expect-secret';
import { CountingBackend } from './doubles';
import { defineSuite, type CaseContext } from './suite';
import { hasCapability, type Capability, type TargetDefinition } from './target';

const DEFAULT_TTL_SECONDS = 900;

function cachedPath(ctx: CaseContext, options: { ttlSeconds?: number; mode?: 'core' | 'sdk' } = {}) {
  const metastore = new InMemoryMetastoreBackend();
  const cache = ctx.cache({ ttlSeconds: options.ttlSeconds });
  const path = ctx.searchPath([ctx.backend, metastore], { cache, mode: options.mode ?? 'core' });
  return { path, metastore };
}

function structured(target: TargetDefinition): Capability | null {
  if (hasCapability(target, 'json-connections')) return 'json-connections';
  if (hasCapability(target, 'field-connections')) return 'field-connections';
  return null;
}

export const cachingSuite = defineSuite({
  id: 'caching',
  title: 'Caching',
  level: 'lookup-and-caching',
  cases: (target) => {
    const structuredKind = structured(target);
    return [
      {
        name: 'a cached variable is served until it is strictly older than the TTL',
        rule: '§3.4 an entry expires when now - stored > ttl (strictly greater), default ttl 900 s',
        needs: ['variables', 'mutable'],
        async run(ctx) {
          const key = ctx.ids.next('ttl');
          const before = ctx.secrets.token('v1');
          const after = ctx.secrets.token('v2');
          const { path } = cachedPath(ctx);
          await ctx.fixtures.putVariable(key, before);
          expectSecret(await path.getVariable(key), before, `variable "${key}" first read`);
          await ctx.fixtures.putVariable(key, after);
          ctx.clock.advanceSeconds(DEFAULT_TTL_SECONDS);
          expectSecret(await path.getVariable(key), before, `variable "${key}" exactly ${DEFAULT_TTL_SECONDS} s later (cached)`);
          ctx.clock.advance(1);
          expectSecret(await path.getVariable(key), after, `variable "${key}" 1 ms past the TTL`);
        },
      },
      {
        name: 'cache_ttl_seconds is honoured',
        rule: '§3.1 [secrets] cache_ttl_seconds sets the TTL',
        needs: ['variables', 'mutable'],
        async run(ctx) {
          const key = ctx.ids.next('ttl60');
          const before = ctx.secrets.token('v1');
          const after = ctx.secrets.token('v2');
          const { path } = cachedPath(ctx, { ttlSeconds: 60 });
          await ctx.fixtures.putVariable(key, before);
          await path.getVariable(key);
          await ctx.fixtures.putVariable(key, after);
          ctx.clock.advanceSeconds(60);
          expectSecret(await path.getVariable(key), before, `variable "${key}" at 60 s with ttl 60`);
          ctx.clock.advance(1);
          expectSecret(await path.getVariable(key), after, `variable "${key}" just past 60 s with ttl 60`);
        },
      },
      {
        name: 'without the cache a change is seen at once',
        rule: '§3.1 [secrets] use_cache is False by default: every lookup reaches the backends',
        needs: ['variables', 'mutable'],
        async run(ctx) {
          const key = ctx.ids.next('nocache');
          const after = ctx.secrets.token('v2');
          const path = ctx.searchPath([ctx.backend, new InMemoryMetastoreBackend()]);
          await ctx.fixtures.putVariable(key, ctx.secrets.token('v1'));
          await path.getVariable(key);
          await ctx.fixtures.putVariable(key, after);
          expectSecret(await path.getVariable(key), after, `variable "${key}" with no cache`);
        },
      },
      {
        name: 'a variable miss is cached in core mode until the TTL passes',
        rule: '§3.4 core get_variable_from_secrets saves None too (negative caching); it expires like any entry',
        needs: ['variables'],
        async run(ctx) {
          const key = ctx.ids.next('neg');
          const value = ctx.secrets.token('late');
          const { path } = cachedPath(ctx, { mode: 'core' });
          expectNotFound(await path.getVariable(key), `variable "${key}" before it exists`);
          await ctx.fixtures.putVariable(key, value);
          ctx.clock.advanceSeconds(DEFAULT_TTL_SECONDS);
          expectNotFound(await path.getVariable(key), `variable "${key}" within the TTL of a cached miss`);
          ctx.clock.advance(1);
          expectSecret(await path.getVariable(key), value, `variable "${key}" after the cached miss expired`);
        },
      },
      {
        name: 'a variable miss is not cached in sdk mode',
        rule: '§3.4 the task SDK saves only found values and ignores a cached None',
        needs: ['variables'],
        async run(ctx) {
          const key = ctx.ids.next('sdkneg');
          const value = ctx.secrets.token('late');
          const { path } = cachedPath(ctx, { mode: 'sdk' });
          expectNotFound(await path.getVariable(key), `variable "${key}" before it exists`);
          await ctx.fixtures.putVariable(key, value);
          expectSecret(await path.getVariable(key), value, `variable "${key}" right after it was created`);
        },
      },
      {
        name: 'a connection miss is never cached',
        rule: '§3.4 save_connection_uri ignores None: connections are not negatively cached',
        needs: ['connections'],
        async run(ctx) {
          const connId = ctx.ids.next('connneg');
          const password = ctx.secrets.token('pw');
          const { path } = cachedPath(ctx);
          expectNotFound(await path.getConnection(connId), `connection "${connId}" before it exists`);
          await ctx.fixtures.putConnection(connId, { uri: `mysql://app:${password}@late.example/x` });
          expectConnection(await path.getConnection(connId), { password, host: 'late.example' }, `connection "${connId}" right after it was created`);
        },
      },
      {
        name: 'a changed connection is seen only after the TTL',
        rule: '§3.4 connections are cached for the TTL like variables',
        needs: ['connections', 'mutable'],
        async run(ctx) {
          const connId = ctx.ids.next('connttl');
          const before = ctx.secrets.token('pw1');
          const after = ctx.secrets.token('pw2');
          const { path } = cachedPath(ctx);
          await ctx.fixtures.putConnection(connId, { uri: `mysql://app:${before}@db.example/x` });
          await path.getConnection(connId);
          await ctx.fixtures.putConnection(connId, { uri: `mysql://app:${after}@db.example/x` });
          ctx.clock.advanceSeconds(DEFAULT_TTL_SECONDS);
          expectConnection(await path.getConnection(connId), { password: before }, `connection "${connId}" within the TTL`);
          ctx.clock.advance(1);
          expectConnection(await path.getConnection(connId), { password: after }, `connection "${connId}" past the TTL`);
        },
      },
      ...(structuredKind
        ? [
            {
              name: 'a cached connection is rebuilt from its URI, losing what a URI cannot carry',
              rule: '§3.4 connections are cached as get_uri() strings and re-parsed: the host is lower-cased, an empty login is dropped',
              needs: ['connections', structuredKind] as Capability[],
              async run(ctx: CaseContext) {
                const connId = ctx.ids.next('lossy');
                const { path } = cachedPath(ctx);
                await ctx.fixtures.putConnection(connId, { fields: { conn_type: 'http', host: 'API.Example.COM', login: '' } });
                expectConnection(await path.getConnection(connId), { host: 'API.Example.COM', login: '' }, `connection "${connId}" first read`);
                expectConnection(await path.getConnection(connId), { host: 'api.example.com', login: null }, `connection "${connId}" from the cache`);
              },
            },
          ]
        : []),
      {
        name: 'setting a variable invalidates its cache entry',
        rule: '§3.4 Variable.set writes to the metastore and calls invalidate_variable',
        needs: ['variables'],
        async run(ctx) {
          const key = ctx.ids.next('inval');
          const before = ctx.secrets.token('v1');
          const after = ctx.secrets.token('v2');
          const { path, metastore } = cachedPath(ctx);
          metastore.setVariable(key, before);
          expectSecret(await path.getVariable(key), before, `variable "${key}" before set`);
          await path.setVariable(key, after);
          expectSecret(await path.getVariable(key), after, `variable "${key}" right after set`);
        },
      },
      {
        name: 'a cache hit does not reach the backends',
        rule: '§3.4 the cache is checked before any backend is asked',
        needs: ['variables', 'connections'],
        async run(ctx) {
          const key = ctx.ids.next('hit');
          const connId = ctx.ids.next('hit');
          await ctx.fixtures.putVariable(key, ctx.secrets.token('v'));
          await ctx.fixtures.putConnection(connId, { uri: `mysql://app:${ctx.secrets.token('pw')}@db.example/x` });
          const counted = new CountingBackend(ctx.backend);
          const path = ctx.searchPath([counted, new InMemoryMetastoreBackend()], { cache: ctx.cache() });
          for (let i = 0; i < 3; i += 1) {
            await path.getVariable(key);
            await path.getConnection(connId);
          }
          if (counted.counts.variables !== 1 || counted.counts.connections !== 1) {
            throw new Error(
              `3 reads each reached the backend ${counted.counts.variables} (variable) and ${counted.counts.connections} (connection) times; expected 1 and 1`,
            );
          }
        },
      },
    ];
  },
});
