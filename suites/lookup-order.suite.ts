/**
 * Lookup order: the target as Airflow's custom backend at the head of the search path, with a
 * metastore stand-in behind it. First hit wins, a miss falls through, a failing backend is skipped
 * and recorded, "" stops a variable search but not a connection search, config asks only the head.
 */
import { InMemoryMetastoreBackend } from '../model/metastore';
import { expectConnection, expectNotFound, expectSecret } from './expect-secret';
import { CountingBackend, FailingBackend } from './doubles';
import { defineSuite } from './suite';

function metastoreUri(password: string): string {
  return `postgres://meta:${password}@metastore.example:5432/meta`;
}

export const lookupOrderSuite = defineSuite({
  id: 'lookup-order',
  title: 'Lookup order',
  level: 'lookup-and-caching',
  cases: () => [
    {
      name: 'the custom backend shadows the metastore for variables',
      rule: '§2.3 variables: the first backend whose value is not None wins',
      needs: ['variables'],
      async run(ctx) {
        const key = ctx.ids.next('shadow');
        const mine = ctx.secrets.token('mine');
        const metastore = new InMemoryMetastoreBackend();
        metastore.setVariable(key, ctx.secrets.token('meta'));
        await ctx.fixtures.putVariable(key, mine);
        const path = ctx.searchPath([ctx.backend, metastore]);
        expectSecret(await path.getVariable(key), mine, `variable "${key}" through [target, metastore]`);
      },
    },
    {
      name: 'the custom backend shadows the metastore for connections',
      rule: '§2.3 connections: the first truthy connection wins',
      needs: ['connections'],
      async run(ctx) {
        const connId = ctx.ids.next('shadow');
        const password = ctx.secrets.token('mine');
        const metastore = new InMemoryMetastoreBackend();
        metastore.setConnection(connId, metastoreUri(ctx.secrets.token('meta')));
        await ctx.fixtures.putConnection(connId, { uri: `mysql://app:${password}@mine.example:3306/x` });
        const path = ctx.searchPath([ctx.backend, metastore]);
        expectConnection(await path.getConnection(connId), { host: 'mine.example', password }, `connection "${connId}"`);
      },
    },
    {
      name: 'a variable missing from the target falls through to the metastore',
      rule: '§2.3 None from a backend means ask the next one',
      needs: ['variables'],
      async run(ctx) {
        const key = ctx.ids.next('fall');
        const value = ctx.secrets.token('meta');
        const metastore = new InMemoryMetastoreBackend();
        metastore.setVariable(key, value);
        const outcome = await ctx.searchPath([ctx.backend, metastore]).resolveVariable(key);
        expectSecret(outcome.value, value, `variable "${key}" through [target, metastore]`);
        if (outcome.servedBy !== metastore.kind) throw new Error(`served by ${outcome.servedBy}, expected the metastore`);
      },
    },
    {
      name: 'a connection missing from the target falls through to the metastore',
      rule: '§2.3 None from a backend means ask the next one',
      needs: ['connections'],
      async run(ctx) {
        const connId = ctx.ids.next('fall');
        const password = ctx.secrets.token('meta');
        const metastore = new InMemoryMetastoreBackend();
        metastore.setConnection(connId, metastoreUri(password));
        const path = ctx.searchPath([ctx.backend, metastore]);
        expectConnection(await path.getConnection(connId), { host: 'metastore.example', password }, `connection "${connId}"`);
      },
    },
    {
      name: 'a failing backend before the target is skipped and recorded',
      rule: '§2.3 an exception from a backend is logged and the next backend is tried',
      needs: ['variables'],
      async run(ctx) {
        const key = ctx.ids.next('skip');
        const value = ctx.secrets.token('v');
        await ctx.fixtures.putVariable(key, value);
        const failing = new FailingBackend();
        const outcome = await ctx.searchPath([failing, ctx.backend]).resolveVariable(key);
        expectSecret(outcome.value, value, `variable "${key}" through [failing, target]`);
        if (outcome.failures.length !== 1 || outcome.failures[0]?.backend !== failing.kind) {
          throw new Error(`expected exactly one recorded failure from ${failing.kind}, got ${outcome.failures.length}`);
        }
      },
    },
    {
      name: 'a failing backend before the target is skipped for connections too',
      rule: '§2.3 an exception from a backend is logged and the next backend is tried',
      needs: ['connections'],
      async run(ctx) {
        const connId = ctx.ids.next('skip');
        const password = ctx.secrets.token('pw');
        await ctx.fixtures.putConnection(connId, { uri: `mysql://app:${password}@mine.example/x` });
        const outcome = await ctx.searchPath([new FailingBackend(), ctx.backend]).resolveConnection(connId);
        expectConnection(outcome.value, { password, host: 'mine.example' }, `connection "${connId}"`);
        if (outcome.failures.length !== 1) throw new Error(`expected one recorded failure, got ${outcome.failures.length}`);
      },
    },
    {
      name: 'an empty variable in the target stops the search',
      rule: '§1.2 "" is a found variable: the metastore is not asked',
      needs: ['variables', 'empty-values'],
      async run(ctx) {
        const key = ctx.ids.next('emptystop');
        await ctx.fixtures.putVariable(key, '');
        const metastore = new InMemoryMetastoreBackend();
        metastore.setVariable(key, ctx.secrets.token('meta'));
        const counted = new CountingBackend(metastore);
        expectSecret(await ctx.searchPath([ctx.backend, counted]).getVariable(key), '', `variable "${key}"`);
        if (counted.total !== 0) throw new Error(`the metastore was asked ${counted.total} time(s) after "" was found`);
      },
    },
    {
      name: 'an empty connection in the target falls through',
      rule: '§1.2 "" is not a connection: the metastore answers',
      needs: ['connections', 'conn-value', 'empty-values'],
      async run(ctx) {
        const connId = ctx.ids.next('emptyfall');
        await ctx.fixtures.putConnection(connId, { raw: '' });
        const password = ctx.secrets.token('meta');
        const metastore = new InMemoryMetastoreBackend();
        metastore.setConnection(connId, metastoreUri(password));
        const path = ctx.searchPath([ctx.backend, metastore]);
        expectConnection(await path.getConnection(connId), { host: 'metastore.example', password }, `connection "${connId}"`);
      },
    },
    {
      name: 'backends after a hit are not asked',
      rule: '§2.3 the loop returns at the first hit',
      needs: ['variables', 'connections'],
      async run(ctx) {
        const key = ctx.ids.next('short');
        const connId = ctx.ids.next('short');
        await ctx.fixtures.putVariable(key, ctx.secrets.token('v'));
        await ctx.fixtures.putConnection(connId, { uri: `mysql://app:${ctx.secrets.token('pw')}@mine.example/x` });
        const behind = new CountingBackend(new InMemoryMetastoreBackend());
        const path = ctx.searchPath([ctx.backend, behind]);
        await path.getVariable(key);
        await path.getConnection(connId);
        if (behind.total !== 0) throw new Error(`the backend after the hit was asked ${behind.total} time(s)`);
      },
    },
    {
      name: 'nothing anywhere is not found',
      rule: '§2.3 when every backend answers None the lookup finds nothing',
      needs: ['variables', 'connections'],
      async run(ctx) {
        const path = ctx.searchPath([ctx.backend, new InMemoryMetastoreBackend()]);
        const key = ctx.ids.next('nowhere');
        expectNotFound(await path.getVariable(key), `variable "${key}"`);
        expectNotFound(await path.getConnection(key), `connection "${key}"`);
      },
    },
    {
      name: 'config is asked of the custom backend only',
      rule: '§3.3 *_secret options call get_config on the one custom backend; env and metastore are never consulted',
      needs: ['config'],
      async run(ctx) {
        const key = ctx.ids.next('cfg');
        const value = ctx.secrets.token('cfg');
        if (!ctx.fixtures.putConfig) throw new Error(`target ${ctx.target.name} declares config but cannot write it`);
        await ctx.fixtures.putConfig(key, value);
        expectSecret(await ctx.searchPath([ctx.backend, new InMemoryMetastoreBackend()]).getConfig(key), value, `config "${key}" at the head`);
        expectNotFound(await ctx.searchPath([new InMemoryMetastoreBackend(), ctx.backend]).getConfig(key), `config "${key}" behind another backend`);
      },
    },
  ],
});
