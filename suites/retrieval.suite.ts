/**
 * Retrieval: what is stored comes back, field by field, as Airflow would read it.
 * Most cases store a connection as a URI: every backend that holds URIs must return the same
 * fields, so these also pin the URI rules of spec §6.1 through each real backend.
 */
import { expectConnection, expectSecret } from './expect-secret';
import { defineSuite, type CaseContext, type ConformanceCase } from './suite';
import { percentEncode } from './values';
import { hasCapability, type TargetDefinition } from './target';

function parserOf(ctx: CaseContext): 'sdk' | 'core' {
  return ctx.target.parser ?? 'sdk';
}

/** Seeds a URI under a fresh id and reads the connection back through the target's backend. */
async function seedAndRead(ctx: CaseContext, uri: string, hint = 'conn') {
  const connId = ctx.ids.next(hint);
  await ctx.fixtures.putConnection(connId, { uri });
  return { connId, connection: await ctx.backend.getConnection(connId) };
}

/** A postgres connection as fields, with conn_type written the long way (`postgresql`). */
function postgresFields(password: string, extra: Record<string, unknown>): Record<string, unknown> {
  return { conn_type: 'postgresql', host: 'db.example.com', login: 'svc_reader', password, schema: 'analytics', port: 5432, extra };
}

function structuredConnectionCases(target: TargetDefinition): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  if (hasCapability(target, 'json-connections')) {
    cases.push(
      {
        name: 'a connection stored as JSON comes back with every field',
        rule: '§6.4 from_json: conn_type normalised (postgresql -> postgres), port an int, extra an object',
        needs: ['connections', 'json-connections'],
        async run(ctx) {
          const connId = ctx.ids.next('json');
          const password = ctx.secrets.token('pw');
          await ctx.fixtures.putConnection(connId, { fields: postgresFields(password, { sslmode: 'require', nested: { retries: [1, 2] } }) });
          expectConnection(
            await ctx.backend.getConnection(connId),
            {
              connType: 'postgres',
              host: 'db.example.com',
              login: 'svc_reader',
              password,
              schema: 'analytics',
              port: 5432,
              extra: { sslmode: 'require', nested: { retries: [1, 2] } },
            },
            `connection "${connId}"`,
          );
        },
      },
      {
        name: 'a JSON port given as a string becomes an integer',
        rule: '§6.4 from_json: a truthy port is passed through int()',
        needs: ['connections', 'json-connections'],
        async run(ctx) {
          const connId = ctx.ids.next('jsonport');
          await ctx.fixtures.putConnection(connId, {
            fields: { conn_type: 'mysql', host: 'mysql.internal', port: '6543', password: ctx.secrets.token('pw') },
          });
          expectConnection(await ctx.backend.getConnection(connId), { port: 6543, connType: 'mysql' }, `connection "${connId}"`);
        },
      },
      {
        name: 'a JSON port past 2^53 keeps every digit',
        rule: '§6.4 from_json: int(port) is a Python int, exact at any size (a JavaScript number would make 9007199254740993 ...992)',
        needs: ['connections', 'json-connections'],
        async run(ctx) {
          const connId = ctx.ids.next('bigport');
          await ctx.fixtures.putConnection(connId, {
            fields: { conn_type: 'http', host: 'api.internal', port: '9007199254740993', password: ctx.secrets.token('pw') },
          });
          expectConnection(await ctx.backend.getConnection(connId), { port: 9007199254740993n, connType: 'http' }, `connection "${connId}"`);
        },
      },
    );
  }
  if (hasCapability(target, 'field-connections')) {
    cases.push({
      name: 'a connection stored as fields keeps conn_type as written',
      rule: '§5.2 file objects are built with Connection(**fields): no conn_type normalisation, extra_dejson dumped into extra',
      needs: ['connections', 'field-connections'],
      async run(ctx) {
        const connId = ctx.ids.next('fields');
        const password = ctx.secrets.token('pw');
        await ctx.fixtures.putConnection(connId, { fields: postgresFields(password, { sslmode: 'require' }) });
        expectConnection(
          await ctx.backend.getConnection(connId),
          {
            connType: 'postgresql',
            host: 'db.example.com',
            login: 'svc_reader',
            password,
            schema: 'analytics',
            port: 5432,
            extra: { sslmode: 'require' },
          },
          `connection "${connId}"`,
        );
      },
    });
  }
  return cases;
}

export const retrievalSuite = defineSuite({
  id: 'retrieval',
  title: 'Retrieval',
  level: 'core',
  cases: (target) => [
    {
      name: 'a connection stored as a URI comes back with every field',
      rule: '§6.1 URI parsing: scheme -> conn_type (postgresql -> postgres), userinfo, host, port, path -> schema, query -> extra',
      needs: ['connections'],
      async run(ctx) {
        const password = ctx.secrets.token('pw');
        const { connId, connection } = await seedAndRead(ctx, `postgresql://svc_reader:${password}@db.example.com:5432/analytics?sslmode=require`);
        expectConnection(
          connection,
          {
            connType: 'postgres',
            host: 'db.example.com',
            login: 'svc_reader',
            password,
            schema: 'analytics',
            port: 5432,
            extra: { sslmode: 'require' },
          },
          `connection "${connId}"`,
        );
      },
    },
    {
      name: 'get_conn_value returns the stored URI text unchanged',
      rule: '§1.2 get_conn_value returns the raw stored value; deserialization happens in get_connection',
      needs: ['connections', 'conn-value'],
      async run(ctx) {
        const connId = ctx.ids.next('raw');
        const uri = `mysql://app:${ctx.secrets.token('pw')}@MySQL.Internal:3306/Orders?charset=utf8`;
        await ctx.fixtures.putConnection(connId, { uri });
        expectSecret(await ctx.backend.getConnValue(connId), uri, `get_conn_value("${connId}")`);
      },
    },
    ...structuredConnectionCases(target),
    {
      name: 'a variable comes back exactly as stored',
      rule: '§1.2 get_variable returns the stored string, undeserialized',
      needs: ['variables'],
      async run(ctx) {
        const key = ctx.ids.next('var');
        const value = ctx.secrets.token('value');
        await ctx.fixtures.putVariable(key, value);
        expectSecret(await ctx.backend.getVariable(key), value, `variable "${key}"`);
      },
    },
    {
      name: 'an empty variable is found as the empty string',
      rule: '§1.2 only None means "not found" for variables; "" is a value and stops the search',
      needs: ['variables', 'empty-values'],
      async run(ctx) {
        const key = ctx.ids.next('emptyvar');
        await ctx.fixtures.putVariable(key, '');
        expectSecret(await ctx.backend.getVariable(key), '', `variable "${key}"`);
      },
    },
    {
      name: 'a config value comes back as stored',
      rule: "§3.3 get_config returns the stored string for a sensitive option's _secret path",
      needs: ['config'],
      async run(ctx) {
        const key = ctx.ids.next('cfg');
        const value = ctx.secrets.token('cfg');
        if (!ctx.fixtures.putConfig) throw new Error(`target ${ctx.target.name} declares config but its fixture store cannot write it`);
        await ctx.fixtures.putConfig(key, value);
        expectSecret(await ctx.backend.getConfig(key), value, `config "${key}"`);
      },
    },
    {
      name: 'dashes in the scheme become underscores in conn_type',
      rule: '§6.1.3 conn_type normalisation: every "-" becomes "_"',
      needs: ['connections'],
      async run(ctx) {
        const { connId, connection } = await seedAndRead(ctx, `google-cloud-platform://svc:${ctx.secrets.token('pw')}@gcp.example`);
        expectConnection(connection, { connType: 'google_cloud_platform', host: 'gcp.example' }, `connection "${connId}"`);
      },
    },
    {
      name: 'the host is lower-cased',
      rule: '§6.1.6 the host comes from urlsplit().hostname, which lower-cases it',
      needs: ['connections'],
      async run(ctx) {
        const { connId, connection } = await seedAndRead(ctx, `mysql://app:${ctx.secrets.token('pw')}@DB.Example.COM:3306/Orders`);
        expectConnection(connection, { host: 'db.example.com', schema: 'Orders', port: 3306 }, `connection "${connId}"`);
      },
    },
    {
      name: 'a host with an encoded slash keeps its case',
      rule: '§6.1.6 a host containing "/" is re-read from the raw netloc, keeping its case',
      needs: ['connections'],
      async run(ctx) {
        const { connId, connection } = await seedAndRead(ctx, `postgres://app:${ctx.secrets.token('pw')}@%2FVar%2FRun%2FPg/Main`);
        expectConnection(connection, { host: '/Var/Run/Pg', schema: 'Main' }, `connection "${connId}"`);
      },
    },
    {
      name: 'a host with its own protocol keeps it',
      rule: '§6.1.1 two "://" mean host-with-protocol: spark://k8s://h:443 gives host "k8s://h"',
      needs: ['connections'],
      async run(ctx) {
        const { connId, connection } = await seedAndRead(ctx, 'spark://k8s://100.68.0.1:443?deploy-mode=cluster');
        expectConnection(
          connection,
          { connType: 'spark', host: 'k8s://100.68.0.1', port: 443, extra: { 'deploy-mode': 'cluster' } },
          `connection "${connId}"`,
        );
      },
    },
    {
      name: 'percent-encoded login, password and schema are decoded',
      rule: '§6.3 login, password and schema are unquote()d',
      needs: ['connections'],
      async run(ctx) {
        const password = ctx.secrets.mark('p@ss/w:rd%+?#&=');
        const { connId, connection } = await seedAndRead(
          ctx,
          `postgres://${percentEncode('user@corp')}:${percentEncode(password)}@db.example.com/${percentEncode('my/db name')}`,
        );
        expectConnection(connection, { login: 'user@corp', password, schema: 'my/db name' }, `connection "${connId}"`);
      },
    },
    {
      name: 'query values are strings (sdk) or JSON-typed (core)',
      rule: '§6.1.10 the task SDK keeps query values as strings; core json.loads each non-empty value',
      needs: ['connections'],
      async run(ctx) {
        const { connId, connection } = await seedAndRead(
          ctx,
          `http://svc:${ctx.secrets.token('pw')}@api.example?timeout=30&verify=true&name=abc&blank=`,
        );
        const extra =
          parserOf(ctx) === 'core'
            ? { timeout: 30, verify: true, name: 'abc', blank: '' }
            : { timeout: '30', verify: 'true', name: 'abc', blank: '' };
        expectConnection(connection, { extra }, `connection "${connId}" (${parserOf(ctx)} parser)`);
      },
    },
    {
      name: 'the last duplicate query key wins and blank values are kept',
      rule: '§6.1.10 dict(parse_qsl(query, keep_blank_values=True))',
      needs: ['connections'],
      async run(ctx) {
        const { connId, connection } = await seedAndRead(ctx, `http://svc:${ctx.secrets.token('pw')}@api.example?a=first&a=last&b=&c=x+y`);
        expectConnection(connection, { extra: { a: 'last', b: '', c: 'x y' } }, `connection "${connId}"`);
      },
    },
    {
      name: '__extra__ carries a nested extra and wins over other parameters',
      rule: '§6.1.10 when __extra__ is in the query, extra is its JSON and the other parameters are ignored',
      needs: ['connections'],
      async run(ctx) {
        const extra = { token: ctx.secrets.token('tok'), nested: { list: [1, 'two', null], flag: false } };
        const { connId, connection } = await seedAndRead(ctx, `http://api.example/?__extra__=${percentEncode(JSON.stringify(extra))}&ignored=yes`);
        expectConnection(connection, { extra }, `connection "${connId}"`);
      },
    },
  ],
});
