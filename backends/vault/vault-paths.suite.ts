/**
 * Vault paths: how Airflow's VaultBackend turns an id into a KV read, and a KV secret into a
 * connection or a variable (spec §7.1; provider 4.8.4 `airflow/providers/hashicorp/secrets/vault.py`
 * and `_internal_client/vault_client.py`). Where a rule says "no request", a counting HTTP proxy
 * in front of Vault proves it, with a positive control through the same proxy.
 */
import { ConnectionFormatError } from '../../model/errors';
import type { CountingProxy } from '../../containers/request-log-proxy';
import { withCountingProxy } from '../../suites/network';
import { vaultStoreOf, type VaultStore } from './layout';
import type { TargetDefinition } from '../../suites/target';
import { expectConnection, expectNotFound, expectRejects, expectSecret } from '../../suites/expect-secret';
import { defineSuite, type CaseContext, type ConformanceCase } from '../../suites/suite';

const VAULT_PY = 'providers/hashicorp/secrets/vault.py';
const CLIENT_PY = 'providers/hashicorp/_internal_client/vault_client.py';

function layout(ctx: CaseContext): VaultStore {
  const found = vaultStoreOf(ctx.target);
  if (!found) throw new Error(`target ${ctx.target.name} declares vault-paths but has no Vault layout`);
  return found;
}

function mountOf(ctx: CaseContext): string {
  return layout(ctx).mount(ctx.environment);
}

function expectRequests(proxy: CountingProxy, expected: 'none' | 'some', before: number, what: string): void {
  const sent = proxy.requests - before;
  if (expected === 'none' && sent !== 0) throw new Error(`${what}: ${sent} request(s) reached Vault, expected none`);
  if (expected === 'some' && sent === 0) throw new Error(`${what}: no request reached Vault, so the proxy proves nothing`);
}

function uriWith(ctx: CaseContext, host: string): { uri: string; password: string } {
  const password = ctx.secrets.token('pw');
  return { uri: `mysql://app:${password}@${host}:3306/orders`, password };
}

function kvTwoCases(target: TargetDefinition): ConformanceCase[] {
  if (vaultStoreOf(target)?.kvEngineVersion !== 2) return [];
  return [
    {
      name: 'KV v2 reads the latest version',
      rule: `§7.1 read_secret_version(version=None) returns the newest version (${CLIENT_PY} get_secret)`,
      needs: ['variables', 'mutable', 'vault-paths'],
      async run(ctx) {
        const key = ctx.ids.next('versions');
        const latest = ctx.secrets.token('v3');
        for (const value of [ctx.secrets.token('v1'), ctx.secrets.token('v2'), latest]) await ctx.fixtures.putVariable(key, value);
        expectSecret(await ctx.backend.getVariable(key), latest, `variable "${key}" after three versions`);
      },
    },
    {
      name: 'a connection secret with no keys is an empty connection, not "not found"',
      rule: `§7.1 get_conn_value tests the response for None only: {} becomes "{}" and Connection.from_json("{}") (${VAULT_PY})`,
      needs: ['connections', 'vault-paths'],
      async run(ctx) {
        const connId = ctx.ids.next('nokeys');
        await ctx.fixtures.putConnection(connId, { fields: {} });
        expectConnection(
          await ctx.backend.getConnection(connId),
          { connType: null, host: null, password: null },
          `connection "${connId}" stored as {}`,
        );
        expectSecret(await ctx.backend.getConnValue(connId), '{}', `get_conn_value("${connId}")`);
      },
    },
  ];
}

export const vaultPathsSuite = defineSuite({
  id: 'vault-paths',
  title: 'Vault paths',
  level: 'core',
  requires: 'vault-paths',
  cases: (target) => [
    {
      name: 'mount_point=None reads the first id segment as the mount',
      rule: `§7.1 mount_point None: "<mount>/<id>" reads <mount>, path <kind path>/<id> (${VAULT_PY} _parse_path)`,
      needs: ['connections', 'variables', 'vault-paths'],
      async run(ctx) {
        const connId = ctx.ids.next('mountless');
        const key = ctx.ids.next('mountless');
        const { uri, password } = uriWith(ctx, 'mounted.example');
        const value = ctx.secrets.token('v');
        await ctx.fixtures.putConnection(connId, { uri });
        await ctx.fixtures.putVariable(key, value);
        const backend = ctx.session.backend({ mount_point: null });
        const mount = mountOf(ctx);
        expectConnection(await backend.getConnection(`${mount}/${connId}`), { host: 'mounted.example', password }, `connection "${mount}/${connId}"`);
        expectSecret(await backend.getVariable(`${mount}/${key}`), value, `variable "${mount}/${key}"`);
      },
    },
    {
      name: 'under mount_point=None an id without "/" is not found, with no request',
      rule: `§7.1 _parse_path returns (None, None) for an id without "/": None before any call to Vault (${VAULT_PY})`,
      needs: ['connections', 'variables', 'config', 'vault-paths'],
      async run(ctx) {
        const connId = ctx.ids.nextWithout(['slash'], 'noslash');
        await ctx.fixtures.putConnection(connId, { uri: uriWith(ctx, 'db.example').uri });
        await withCountingProxy(ctx, async ({ proxy, backend: through }) => {
          const backend = through({ mount_point: null });
          expectNotFound(await backend.getConnection(connId), `connection "${connId}" under mount_point=None`);
          expectNotFound(await backend.getConnValue(connId), `get_conn_value("${connId}") under mount_point=None`);
          expectNotFound(await backend.getVariable(connId), `variable "${connId}" under mount_point=None`);
          expectNotFound(await backend.getConfig(connId), `config "${connId}" under mount_point=None`);
          expectRequests(proxy, 'none', 0, 'ids without "/" under mount_point=None');
          const control = await backend.getConnection(`${mountOf(ctx)}/${connId}`);
          if (control === null) throw new Error('the control lookup with the mount in the id found nothing');
          expectRequests(proxy, 'some', 0, 'the control lookup');
        });
      },
    },
    {
      name: 'an empty mount_point is read like None',
      rule: `§7.1 the provider tests "if not self.mount_point": "" splits the id like None (${VAULT_PY} _parse_path; spec §7.1 names None only)`,
      needs: ['variables', 'vault-paths'],
      async run(ctx) {
        const key = ctx.ids.nextWithout(['slash'], 'emptymount');
        const value = ctx.secrets.token('v');
        await ctx.fixtures.putVariable(key, value);
        const backend = ctx.session.backend({ mount_point: '' });
        expectSecret(await backend.getVariable(`${mountOf(ctx)}/${key}`), value, `variable "${mountOf(ctx)}/${key}" with mount_point=""`);
        expectNotFound(await backend.getVariable(key), `variable "${key}" (no "/") with mount_point=""`);
      },
    },
    {
      name: 'a *_path of None disables that kind of lookup, with no request',
      rule: `§7.1 connections_path / variables_path / config_path None: None without a call (${VAULT_PY} _get_secret, get_config)`,
      needs: ['connections', 'variables', 'config', 'vault-paths'],
      async run(ctx) {
        const id = ctx.ids.next('disabled');
        const value = ctx.secrets.token('v');
        if (!ctx.fixtures.putConfig) throw new Error(`target ${ctx.target.name} declares config but cannot write it`);
        await ctx.fixtures.putConnection(id, { uri: uriWith(ctx, 'db.example').uri });
        await ctx.fixtures.putVariable(id, value);
        await ctx.fixtures.putConfig(id, value);
        await withCountingProxy(ctx, async ({ proxy, backend: through }) => {
          const noConnections = through({ connections_path: null });
          const noVariables = through({ variables_path: null });
          const noConfig = through({ config_path: null });
          expectNotFound(await noConnections.getConnection(id), `connection "${id}" with connections_path=None`);
          expectNotFound(await noConnections.getConnValue(id), `get_conn_value("${id}") with connections_path=None`);
          expectNotFound(await noVariables.getVariable(id), `variable "${id}" with variables_path=None`);
          expectNotFound(await noConfig.getConfig(id), `config "${id}" with config_path=None`);
          expectRequests(proxy, 'none', 0, 'lookups of disabled kinds');
          expectSecret(await noConnections.getVariable(id), value, `variable "${id}" with only connections disabled`);
          expectRequests(proxy, 'some', 0, 'the control lookup');
        });
      },
    },
    {
      name: 'an empty path uses the key directly',
      rule: `§7.1 a base path of "" reads the key itself: variables_path "" and key "variables/x" read "variables/x" (${VAULT_PY} _get_secret_with_base)`,
      needs: ['connections', 'variables', 'vault-paths'],
      async run(ctx) {
        const connId = ctx.ids.next('nobase');
        const key = ctx.ids.next('nobase');
        const { uri, password } = uriWith(ctx, 'direct.example');
        const value = ctx.secrets.token('v');
        await ctx.fixtures.putConnection(connId, { uri });
        await ctx.fixtures.putVariable(key, value);
        const backend = ctx.session.backend({ connections_path: '', variables_path: '' });
        expectConnection(
          await backend.getConnection(`connections/${connId}`),
          { host: 'direct.example', password },
          `connection "connections/${connId}"`,
        );
        expectSecret(await backend.getVariable(`variables/${key}`), value, `variable "variables/${key}"`);
        expectNotFound(await backend.getVariable(key), `variable "${key}" at the mount's top level`);
      },
    },
    {
      name: 'trailing slashes of a path are stripped',
      rule: `§7.1 each path is rstrip("/")-ed: "variables///" reads variables/<key> (${VAULT_PY} _normalize_paths)`,
      needs: ['variables', 'vault-paths'],
      async run(ctx) {
        const key = ctx.ids.next('slashes');
        const value = ctx.secrets.token('v');
        await ctx.fixtures.putVariable(key, value);
        expectSecret(await ctx.session.backend({ variables_path: 'variables///' }).getVariable(key), value, `variable "${key}" under "variables///"`);
      },
    },
    {
      name: 'a list of paths is tried in order until one holds the secret',
      rule: `§7.1 provider 4.8.4 accepts a list per *_path and returns the first hit (${VAULT_PY} _get_secret; the spec knows single paths only)`,
      needs: ['variables', 'vault-paths'],
      async run(ctx) {
        const key = ctx.ids.next('listed');
        const value = ctx.secrets.token('v');
        await ctx.fixtures.putVariable(key, value);
        const backend = ctx.session.backend({ variables_path: ['nowhere', 'variables', 'connections'] });
        expectSecret(await backend.getVariable(key), value, `variable "${key}" under ["nowhere", "variables", ...]`);
        expectNotFound(await ctx.session.backend({ variables_path: [] }).getVariable(key), `variable "${key}" with variables_path=[]`);
      },
    },
    {
      name: 'conn_uri wins over the fields stored beside it',
      rule: `§7.1 a truthy conn_uri is the value; the other keys are ignored (${VAULT_PY} get_conn_value)`,
      needs: ['connections', 'conn-value', 'vault-paths'],
      async run(ctx) {
        const connId = ctx.ids.next('both');
        const { uri, password } = uriWith(ctx, 'from-uri.example');
        await ctx.fixtures.putConnection(connId, {
          fields: { conn_uri: uri, conn_type: 'postgres', host: 'from-fields.example', login: 'fields', password: ctx.secrets.token('other') },
        });
        expectConnection(
          await ctx.backend.getConnection(connId),
          { connType: 'mysql', host: 'from-uri.example', login: 'app', password },
          `connection "${connId}"`,
        );
        expectSecret(await ctx.backend.getConnValue(connId), uri, `get_conn_value("${connId}")`);
      },
    },
    {
      name: "a fields secret reads like Airflow's test (port and extra as strings)",
      rule:
        `§7.1 without conn_uri the secret is JSON for Connection.from_json: postgresql, "5432", extra text give ` +
        `postgres://airflow:airflow@host:5432/airflow?foo=bar&baz=taz (providers/hashicorp/tests/.../test_vault.py)`,
      needs: ['connections', 'json-connections', 'vault-paths'],
      async run(ctx) {
        const connId = ctx.ids.next('airflowtest');
        await ctx.fixtures.putConnection(connId, {
          fields: {
            conn_type: 'postgresql',
            login: 'airflow',
            password: 'airflow',
            host: 'host',
            port: '5432',
            schema: 'airflow',
            extra: '{"foo":"bar","baz":"taz"}',
          },
        });
        const connection = await ctx.backend.getConnection(connId);
        if (connection === null) throw new Error(`connection "${connId}" was not found`);
        expectSecret(connection.getUri(), 'postgres://airflow:airflow@host:5432/airflow?foo=bar&baz=taz', `get_uri() of "${connId}"`);
        expectConnection(connection, { port: 5432, extra: { foo: 'bar', baz: 'taz' } }, `connection "${connId}"`);
      },
    },
    {
      name: 'a fields secret with a key that is not a connection field is refused',
      rule: `§7.1 from_json passes every key to Connection(): an unknown key raises TypeError, a backend error (${VAULT_PY} get_conn_value)`,
      needs: ['connections', 'json-connections', 'vault-paths'],
      async run(ctx) {
        const connId = ctx.ids.next('unknownkey');
        const password = ctx.secrets.token('pw');
        await ctx.fixtures.putConnection(connId, { fields: { conn_type: 'http', host: 'api.example', passwd: password } });
        const error = await expectRejects(ctx.backend.getConnection(connId), ConnectionFormatError, `connection "${connId}"`, [password]);
        if (!error.message.includes('passwd')) throw new Error(`the error does not name the unknown key: ${error.message}`);
      },
    },
    {
      name: 'an empty conn_uri is not a URI: the secret is read as fields and refused',
      rule: `§7.1 conn_uri "" is falsy, so {"conn_uri": ""} goes to from_json and conn_uri is an unknown field (${VAULT_PY} get_conn_value)`,
      needs: ['connections', 'vault-paths'],
      async run(ctx) {
        const connId = ctx.ids.next('emptyuri');
        await ctx.fixtures.putConnection(connId, { raw: '' });
        const error = await expectRejects(ctx.backend.getConnection(connId), ConnectionFormatError, `connection "${connId}" with conn_uri ""`);
        if (!error.message.includes('conn_uri')) throw new Error(`the error does not name conn_uri: ${error.message}`);
      },
    },
    {
      name: 'a variable secret without a "value" key is not found',
      rule: `§7.1 get_variable: a secret lacking "value" logs a warning and returns None (${VAULT_PY} get_variable)`,
      needs: ['variables', 'connections', 'vault-paths'],
      async run(ctx) {
        // Secrets of any shape are written as "connections"; reading that path as variables
        // gives a secret without "value" and, as the control, one with it.
        const withoutValue = ctx.ids.next('novalue');
        const withValue = ctx.ids.next('withvalue');
        const value = ctx.secrets.token('v');
        await ctx.fixtures.putConnection(withoutValue, { fields: { values: ctx.secrets.token('x'), Value: ctx.secrets.token('y') } });
        await ctx.fixtures.putConnection(withValue, { fields: { value } });
        const backend = ctx.session.backend({ variables_path: 'connections' });
        expectNotFound(await backend.getVariable(withoutValue), `variable "${withoutValue}" stored without "value"`);
        expectSecret(await backend.getVariable(withValue), value, `variable "${withValue}" stored with "value" (control)`);
      },
    },
    {
      name: 'an empty variable is found as the empty string',
      rule: `§7.1 get_variable returns response["value"]: "" is a value (§1.2), unlike an empty connection (${VAULT_PY})`,
      needs: ['variables', 'vault-paths'],
      async run(ctx) {
        const key = ctx.ids.next('emptyvar');
        await ctx.fixtures.putVariable(key, '');
        expectSecret(await ctx.backend.getVariable(key), '', `variable "${key}" stored as ""`);
      },
    },
    ...kvTwoCases(target),
  ],
});
