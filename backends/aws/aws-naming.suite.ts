/**
 * AWS naming: how the amazon provider's two backends turn an id into a secret or parameter name,
 * when they send no request at all, and how Secrets Manager re-keys a JSON secret (spec §7.2,
 * §7.3; provider 9.39.0). Secrets are written under the store's own names (`storeNames`), not
 * through the Airflow-id fixture store, so a backend cannot pass by sharing the store's mistake.
 * "No request" is proven by a counting HTTP proxy in front of moto (so it holds for any
 * implementation, Airflow's own through the bridge included), with a positive control through the
 * same proxy each time.
 */
import { ConnectionFormatError } from '../../model/errors';
import type { CountingProxy } from '../../containers/request-log-proxy';
import { withCountingProxy } from '../../suites/network';
import { awsStoreOf } from './layout';
import type { StoreNames, TargetDefinition } from '../../suites/target';
import { expectConnection, expectNotFound, expectRejects, expectSecret } from '../../suites/expect-secret';
import { defineSuite, type CaseContext, type ConformanceCase } from '../../suites/suite';
import { embedCanary, trickyValues } from '../../suites/values';

const SM_PY = 'providers/amazon/aws/secrets/secrets_manager.py';
const SSM_PY = 'providers/amazon/aws/secrets/systems_manager.py';

function storeNames(ctx: CaseContext): StoreNames {
  const names = ctx.fixtures.storeNames;
  if (!names) throw new Error(`target ${ctx.target.name} declares aws-naming but its fixtures offer no storeNames`);
  return names;
}

function isSecretsManager(target: TargetDefinition): boolean {
  return awsStoreOf(target)?.service === 'secretsmanager';
}

/** Fails unless no request reaches moto through the proxy while `body` runs. */
async function expectNoRequest<T>(proxy: CountingProxy, what: string, body: () => Promise<T>): Promise<T> {
  const before = proxy.requests;
  const result = await body();
  const sent = proxy.requests - before;
  if (sent !== 0) throw new Error(`${what}: expected no request, ${sent} reached moto`);
  return result;
}

/** Fails unless `body` sends at least one request through the proxy: the counter's positive control. */
async function expectRequest<T>(proxy: CountingProxy, what: string, body: () => Promise<T>): Promise<T> {
  const before = proxy.requests;
  const result = await body();
  if (proxy.requests === before) throw new Error(`${what}: expected a request, none reached moto (is the proxy in the path?)`);
  return result;
}

/** Python json.dumps of a flat object of ASCII text, null and integers, written independently of the backend. */
function pythonDumps(entries: ReadonlyArray<readonly [string, string | number | null | Record<string, string>]>): string {
  const dump = (value: unknown): string =>
    value !== null && typeof value === 'object'
      ? `{${Object.entries(value)
          .map(([k, v]) => `${JSON.stringify(k)}: ${dump(v)}`)
          .join(', ')}}`
      : JSON.stringify(value);
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}: ${dump(value)}`).join(', ')}}`;
}

// ---------------------------------------------------------------------------------------------
// Both services.

function commonCases(target: TargetDefinition): ConformanceCase[] {
  const sm = isSecretsManager(target);
  const section = sm ? '§7.2' : '§7.3';
  const file = sm ? SM_PY : SSM_PY;
  return [
    {
      name: 'a prefix with trailing slashes names <prefix>/<id>',
      rule: `${section} the prefix is rstrip()-ed of its separator, then build_path(prefix, id) (${file})`,
      needs: ['variables', 'aws-naming'],
      async run(ctx) {
        const names = storeNames(ctx);
        const key = ctx.ids.next('pfx');
        const value = ctx.secrets.token('v');
        await names.put(`${names.root}/custom/${key}`, value);
        const backend = ctx.session.backend({ variables_prefix: `${names.root}/custom//` });
        expectSecret(await backend.getVariable(key), value, `variable "${key}" under "${names.root}/custom//"`);
      },
    },
    {
      name: 'a null prefix disables that kind of lookup with no request',
      rule: `${section} a prefix of None makes get_conn_value / get_variable / get_config return None before any call (${file})`,
      needs: ['connections', 'conn-value', 'variables', 'config', 'aws-naming'],
      async run(ctx) {
        const connId = ctx.ids.next('off');
        const key = ctx.ids.next('off');
        const password = ctx.secrets.token('pw');
        const value = ctx.secrets.token('v');
        await ctx.fixtures.putConnection(connId, { uri: `mysql://app:${password}@db.example/x` });
        await ctx.fixtures.putVariable(key, value);
        if (!ctx.fixtures.putConfig) throw new Error(`target ${ctx.target.name} declares config but cannot write it`);
        await ctx.fixtures.putConfig(key, value);
        await withCountingProxy(ctx, async ({ proxy, backend }) => {
          const disabled = backend({ connections_prefix: null, variables_prefix: null, config_prefix: null });
          await expectNoRequest(proxy, 'lookups with every prefix null', async () => {
            expectNotFound(await disabled.getConnValue(connId), `get_conn_value("${connId}") with connections_prefix null`);
            expectNotFound(await disabled.getConnection(connId), `connection "${connId}" with connections_prefix null`);
            expectNotFound(await disabled.getVariable(key), `variable "${key}" with variables_prefix null`);
            expectNotFound(await disabled.getConfig(key), `config "${key}" with config_prefix null`);
          });
          const enabled = backend({ connections_prefix: null });
          await expectRequest(proxy, `variable "${key}" with its prefix set`, async () => {
            expectSecret(await enabled.getVariable(key), value, `variable "${key}" with variables_prefix set`);
          });
        });
      },
    },
    {
      name: 'a lookup pattern must match at the start of the id, in any case; a miss sends no request',
      rule: `${section} re.match(pattern, id, re.IGNORECASE): anchored at the start only, case-insensitive; no match returns None with no call (${file})`,
      needs: ['connections', 'variables', 'config', 'aws-naming'],
      async run(ctx) {
        // Ids start with "asc_"; the miss has "asc_" too, just not at the start.
        const hit = ctx.ids.plain('pat');
        const miss = `x${ctx.ids.plain('pat')}`;
        const password = ctx.secrets.token('pw');
        for (const id of [hit, miss]) {
          await ctx.fixtures.putConnection(id, { uri: `mysql://app:${password}@db.example/x` });
          await ctx.fixtures.putVariable(id, ctx.secrets.token('v'));
          await ctx.fixtures.putConfig?.(id, ctx.secrets.token('c'));
        }
        await withCountingProxy(ctx, async ({ proxy, backend: through }) => {
          const backend = through({
            connections_lookup_pattern: 'ASC_',
            variables_lookup_pattern: 'ASC_[0-9A-F]+_',
            config_lookup_pattern: 'asc',
          });
          await expectRequest(proxy, `ids starting with "asc_" against upper-case patterns`, async () => {
            expectConnection(await backend.getConnection(hit), { password }, `connection "${hit}" with pattern "ASC_"`);
            if ((await backend.getVariable(hit)) === null) throw new Error(`variable "${hit}" was not found with pattern "ASC_[0-9A-F]+_"`);
            if ((await backend.getConfig(hit)) === null) throw new Error(`config "${hit}" was not found with pattern "asc"`);
          });
          await expectNoRequest(proxy, `ids with "asc_" only after their first character`, async () => {
            expectNotFound(await backend.getConnection(miss), `connection "${miss}" with pattern "ASC_"`);
            expectNotFound(await backend.getVariable(miss), `variable "${miss}" with pattern "ASC_[0-9A-F]+_"`);
            expectNotFound(await backend.getConfig(miss), `config "${miss}" with pattern "asc"`);
          });
        });
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Secrets Manager.

function jsonFieldCases(): ConformanceCase[] {
  return trickyValues
    .filter((value) => value.text !== '')
    .map((value) => ({
      name: `a JSON secret's fields holding ${value.label} round-trip through the re-keying`,
      rule: `§7.2 json.loads, re-keying and json.dumps keep login, password and extra values verbatim (${SM_PY})`,
      needs: ['connections', 'aws-naming', ...value.needs],
      async run(ctx: CaseContext) {
        const connId = ctx.ids.next('smjson');
        const text = embedCanary(value.text, ctx.secrets.canary);
        await ctx.fixtures.putConnection(connId, {
          fields: { conn_type: 'http', host: 'api.example', login: text, password: text, extra: { note: text, list: [text] } },
        });
        expectConnection(
          await ctx.backend.getConnection(connId),
          { login: text, password: text, extra: { note: text, list: [text] } },
          `connection "${connId}" (${value.label})`,
        );
      },
    }));
}

const secretsManagerCases: ConformanceCase[] = [
  {
    name: "a custom sep joins prefix and id, after rstrip(sep) took the prefix's trailing sep characters",
    rule: `§7.2 prefix.rstrip(sep) strips any trailing character of sep, then build_path(prefix, id, sep) (${SM_PY})`,
    needs: ['variables', 'aws-naming'],
    async run(ctx) {
      const names = storeNames(ctx);
      const key = ctx.ids.next('sep');
      const value = ctx.secrets.token('v');
      await names.put(`${names.root}/team+=${key}`, value);
      // Where a backend that ignores sep would look: it must not be read.
      await names.put(`${names.root}/team/${key}`, ctx.secrets.token('decoy'));
      const backend = ctx.session.backend({ variables_prefix: `${names.root}/team=+=`, sep: '+=' });
      expectSecret(await backend.getVariable(key), value, `variable "${key}" with prefix "${names.root}/team=+=" and sep "+="`);
    },
  },
  {
    name: 'an empty prefix makes the id itself the secret name',
    rule: `§7.2 a falsy prefix skips build_path: the secret id is the conn_id or key as given (${SM_PY})`,
    needs: ['variables', 'aws-naming'],
    async run(ctx) {
      const names = storeNames(ctx);
      const key = `${names.root}/bare/${ctx.ids.next('bare')}`;
      const value = ctx.secrets.token('v');
      await names.put(key, value);
      const backend = ctx.session.backend({ variables_prefix: '' });
      expectSecret(await backend.getVariable(key), value, `variable "${key}" with variables_prefix ""`);
    },
  },
  {
    name: 'a binary-only secret is not found',
    rule: `§7.2 the value is response.get("SecretString"): a SecretBinary-only secret gives None (${SM_PY})`,
    needs: ['variables', 'aws-naming'],
    async run(ctx) {
      const names = storeNames(ctx);
      if (!names.putBinary) throw new Error(`target ${ctx.target.name} cannot write a binary secret`);
      const key = ctx.ids.next('bin');
      await names.putBinary(`${names.root}/bin/${key}`, new TextEncoder().encode(ctx.secrets.token('bin')));
      await withCountingProxy(ctx, async ({ proxy, backend: through }) => {
        const backend = through({ variables_prefix: `${names.root}/bin` });
        await expectRequest(proxy, `variable "${key}" stored as SecretBinary`, async () => {
          expectNotFound(await backend.getVariable(key), `variable "${key}" stored as SecretBinary`);
        });
      });
    },
  },
  {
    name: 'a JSON secret with Airflow field names comes back with every field',
    rule: `§7.2 the field names are their own first alias: re-keying keeps them, then from_json (postgresql -> postgres, port an int) (${SM_PY})`,
    needs: ['connections', 'aws-naming'],
    async run(ctx) {
      const connId = ctx.ids.next('smfields');
      const password = ctx.secrets.token('pw');
      await ctx.fixtures.putConnection(connId, {
        fields: {
          conn_type: 'postgresql',
          host: 'db.example.com',
          login: 'svc',
          password,
          schema: 'analytics',
          port: '5432',
          extra: { sslmode: 'require' },
        },
      });
      expectConnection(
        await ctx.backend.getConnection(connId),
        { connType: 'postgres', host: 'db.example.com', login: 'svc', password, schema: 'analytics', port: 5432, extra: { sslmode: 'require' } },
        `connection "${connId}"`,
      );
    },
  },
  {
    name: 'JSON aliases (user, pass, remote_host, database, engine) are re-keyed and re-serialised',
    rule: `§7.2 _standardize_secret_keys maps each alias to its field; get_conn_value returns json.dumps of the seven fields in order (${SM_PY})`,
    needs: ['connections', 'conn-value', 'aws-naming'],
    async run(ctx) {
      const connId = ctx.ids.next('alias');
      const password = ctx.secrets.token('pw');
      await ctx.fixtures.putConnection(connId, {
        raw: JSON.stringify({
          engine: 'postgresql',
          user: 'svc',
          pass: password,
          remote_host: 'db.example.com',
          port: '5432',
          database: 'analytics',
          extra: { sslmode: 'require' },
        }),
      });
      const expectedText = pythonDumps([
        ['login', 'svc'],
        ['password', password],
        ['host', 'db.example.com'],
        ['port', '5432'],
        ['schema', 'analytics'],
        ['conn_type', 'postgresql'],
        ['extra', { sslmode: 'require' }],
      ]);
      expectSecret(await ctx.backend.getConnValue(connId), expectedText, `get_conn_value("${connId}")`);
      expectConnection(
        await ctx.backend.getConnection(connId),
        { connType: 'postgres', login: 'svc', password, host: 'db.example.com', port: 5432, schema: 'analytics', extra: { sslmode: 'require' } },
        `connection "${connId}"`,
      );
    },
  },
  {
    name: "the first alias in the secret's own key order wins",
    rule: `§7.2 next(v for k, v in secret.items() if k in words): key order, not alias order (${SM_PY})`,
    needs: ['connections', 'aws-naming'],
    async run(ctx) {
      const connId = ctx.ids.next('order');
      await ctx.fixtures.putConnection(connId, {
        raw: JSON.stringify({
          username: 'first',
          login: 'second',
          server: 'first.example',
          host: 'second.example',
          conn_id: 'mysql',
          conn_type: 'http',
          password: ctx.secrets.token('pw'),
        }),
      });
      expectConnection(
        await ctx.backend.getConnection(connId),
        { login: 'first', host: 'first.example', connType: 'mysql' },
        `connection "${connId}"`,
      );
    },
  },
  {
    name: 'JSON keys that are neither fields nor aliases are dropped, not refused',
    rule: `§7.2 only the seven fields are kept: description, region or a misspelt passwd vanish before from_json (${SM_PY})`,
    needs: ['connections', 'aws-naming'],
    async run(ctx) {
      const connId = ctx.ids.next('dropped');
      const password = ctx.secrets.token('pw');
      await ctx.fixtures.putConnection(connId, {
        raw: JSON.stringify({
          conn_type: 'http',
          host: 'api.example',
          password,
          description: 'kept nowhere',
          region: 'eu-west-1',
          passwd: ctx.secrets.token('typo'),
        }),
      });
      const connection = await ctx.backend.getConnection(connId);
      expectConnection(connection, { connType: 'http', host: 'api.example', password, login: null, extra: {} }, `connection "${connId}"`);
      if (connection?.description) throw new Error(`connection "${connId}": description should have been dropped by the re-keying`);
    },
  },
  {
    name: 'extra_conn_words adds aliases, its "user" key meaning login',
    rule: `§7.2 extra_conn_words extends each field's alias list; "user" is read as "login" for backwards compatibility (${SM_PY})`,
    needs: ['connections', 'aws-naming'],
    async run(ctx) {
      const connId = ctx.ids.next('words');
      const password = ctx.secrets.token('pw');
      await ctx.fixtures.putConnection(connId, {
        raw: JSON.stringify({ engine: 'mysql', principal: 'svc', secret_token: password, endpoint: 'db.example.com' }),
      });
      const plain = await ctx.backend.getConnection(connId);
      expectConnection(plain, { connType: 'mysql', login: null, password: null, host: null }, `connection "${connId}" without extra_conn_words`);
      const backend = ctx.session.backend({ extra_conn_words: { user: ['principal'], password: ['secret_token'], host: ['endpoint'] } });
      expectConnection(
        await backend.getConnection(connId),
        { connType: 'mysql', login: 'svc', password, host: 'db.example.com' },
        `connection "${connId}" with extra_conn_words`,
      );
    },
  },
  {
    name: 'a secret starting with "{" that is not JSON fails in get_conn_value',
    rule: `§7.2 get_conn_value json.loads every value that starts with "{": a decode error propagates before deserialization (${SM_PY})`,
    needs: ['connections', 'conn-value', 'aws-naming'],
    async run(ctx) {
      const connId = ctx.ids.next('badjson');
      const password = ctx.secrets.token('pw');
      await ctx.fixtures.putConnection(connId, { raw: ` {"conn_type": "http", "password": "${password}", ` });
      await expectRejects(ctx.backend.getConnValue(connId), ConnectionFormatError, `get_conn_value("${connId}")`, [password]);
      await expectRejects(ctx.backend.getConnection(connId), ConnectionFormatError, `connection "${connId}"`, [password]);
    },
  },
  ...jsonFieldCases(),
];

// ---------------------------------------------------------------------------------------------
// Parameter Store.

const parameterStoreCases: ConformanceCase[] = [
  {
    name: 'a prefix without a leading slash still reads /<prefix>/<id>',
    rule: `§7.3 _ensure_leading_slash(build_path(prefix, id)): the name always starts with "/" (${SSM_PY})`,
    needs: ['variables', 'aws-naming'],
    async run(ctx) {
      const names = storeNames(ctx);
      const key = ctx.ids.next('slash');
      const value = ctx.secrets.token('v');
      await names.put(`${names.root}/noslash/${key}`, value);
      const prefix = `${names.root.replace(/^\/+/, '')}/noslash`;
      const backend = ctx.session.backend({ variables_prefix: prefix });
      expectSecret(await backend.getVariable(key), value, `variable "${key}" with variables_prefix "${prefix}"`);
    },
  },
  {
    name: 'an empty prefix reads /<id>',
    rule: `§7.3 build_path("", id) is "/" + id (${SSM_PY})`,
    needs: ['variables', 'aws-naming'],
    async run(ctx) {
      const names = storeNames(ctx);
      const key = `${names.root.replace(/^\/+/, '')}/bare/${ctx.ids.next('bare')}`;
      const value = ctx.secrets.token('v');
      await names.put(`/${key}`, value);
      const backend = ctx.session.backend({ variables_prefix: '' });
      expectSecret(await backend.getVariable(key), value, `variable "${key}" with variables_prefix ""`);
    },
  },
  {
    name: 'a JSON value is not re-keyed: an alias key is refused by from_json',
    rule: `§7.3 the value goes to deserialize_connection as stored; only Secrets Manager re-keys, so "user" is an unexpected keyword (${SSM_PY})`,
    needs: ['connections', 'json-connections', 'aws-naming'],
    async run(ctx) {
      const connId = ctx.ids.next('noalias');
      const password = ctx.secrets.token('pw');
      await ctx.fixtures.putConnection(connId, { raw: JSON.stringify({ conn_type: 'http', user: 'svc', password }) });
      await expectRejects(ctx.backend.getConnection(connId), ConnectionFormatError, `connection "${connId}"`, [password]);
    },
  },
];

export const awsNamingSuite = defineSuite({
  id: 'aws-naming',
  title: 'AWS naming',
  level: 'core',
  requires: 'aws-naming',
  cases: (target) => [...commonCases(target), ...(isSecretsManager(target) ? secretsManagerCases : parameterStoreCases)],
});
