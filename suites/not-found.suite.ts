/**
 * Not found: a missing secret is `null` (Airflow's `None`), never an error, so the search path
 * can ask the next backend; and an empty connection value counts as missing.
 */
import { ConnectionFormatError } from '../model/errors';
import { expectNotFound, expectRejects } from './expect-secret';
import { defineSuite } from './suite';

export const notFoundSuite = defineSuite({
  id: 'not-found',
  title: 'Not found',
  level: 'core',
  cases: () => [
    {
      name: 'a missing connection is not found',
      rule: '§1.2 get_connection returns None for a missing id, so the next backend is asked',
      needs: ['connections'],
      runsReadOnly: true,
      async run(ctx) {
        const connId = ctx.ids.next('missing');
        expectNotFound(await ctx.backend.getConnection(connId), `connection "${connId}"`);
      },
    },
    {
      name: 'get_conn_value of a missing connection is null',
      rule: '§1.2 get_conn_value returns None for a missing id',
      needs: ['connections', 'conn-value'],
      runsReadOnly: true,
      async run(ctx) {
        const connId = ctx.ids.next('missing');
        expectNotFound(await ctx.backend.getConnValue(connId), `get_conn_value("${connId}")`);
      },
    },
    {
      name: 'a missing variable is not found',
      rule: '§1.2 get_variable returns None for a missing key',
      needs: ['variables'],
      runsReadOnly: true,
      async run(ctx) {
        const key = ctx.ids.next('missing');
        expectNotFound(await ctx.backend.getVariable(key), `variable "${key}"`);
      },
    },
    {
      name: 'a missing config key is not found',
      rule: '§1.2 get_config returns None for a missing key',
      needs: ['config'],
      runsReadOnly: true,
      async run(ctx) {
        const key = ctx.ids.next('missing');
        expectNotFound(await ctx.backend.getConfig(key), `config "${key}"`);
      },
    },
    {
      name: 'a neighbouring id is not found',
      rule: '§1.2 lookups are exact: a stored id does not answer for its prefix or an extension of it',
      needs: ['variables'],
      async run(ctx) {
        const key = ctx.ids.next('exact');
        await ctx.fixtures.putVariable(key, ctx.secrets.token('value'));
        expectNotFound(await ctx.backend.getVariable(`${key}_more`), `variable "${key}_more"`);
        // A prefix ending in a letter or digit: a label value (Kubernetes) may not end in "_" or "-".
        const prefix = key.slice(0, -1).replace(/[^A-Za-z0-9]+$/, '');
        expectNotFound(await ctx.backend.getVariable(prefix), `variable "${prefix}"`);
      },
    },
    {
      name: 'an empty connection value counts as not found',
      rule: '§1.2 get_connection tests the value for truthiness: "" is not found, unlike variables',
      needs: ['connections', 'conn-value', 'empty-values'],
      async run(ctx) {
        const connId = ctx.ids.next('emptyconn');
        await ctx.fixtures.putConnection(connId, { raw: '' });
        expectNotFound(await ctx.backend.getConnection(connId), `connection "${connId}" stored as ""`);
      },
    },
    {
      name: 'a whitespace-only connection value is a format error, not a connection',
      rule: '§1.2 deserialize_connection strips the value; an empty result fails (IndexError), a backend error the chain skips',
      needs: ['connections', 'conn-value'],
      async run(ctx) {
        const connId = ctx.ids.next('blankconn');
        await ctx.fixtures.putConnection(connId, { raw: '  \t ' });
        await expectRejects(ctx.backend.getConnection(connId), ConnectionFormatError, `connection "${connId}" stored as blanks`);
      },
    },
  ],
});
