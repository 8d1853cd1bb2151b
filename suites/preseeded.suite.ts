/**
 * Preseeded: the backend reads a fixed set of secrets that a team seeded on its own server
 * (`fixtures print`), with its production credential. These cases run where nothing may be
 * written (an external server without an admin credential); with one, each case seeds the set
 * under the run's own folder first. Either way the values are compared field by field.
 */
import { expectConnection, expectNotFound, expectSecret } from './expect-secret';
import { PRESEEDED, PRESEEDED_MISSING_ID, type PreseededSecret } from './preseeded-fixtures';
import { defineSuite, type CaseContext } from './suite';

/** Seeds `secret` when the session may write; a read-only session's store already holds it. */
async function ensureSeeded(ctx: CaseContext, secret: PreseededSecret): Promise<void> {
  if (ctx.session.readOnly) return;
  if (typeof secret.value === 'string') await ctx.fixtures.putVariable(secret.id, secret.value);
  else await ctx.fixtures.putConnection(secret.id, secret.value);
}

export const preseededSuite = defineSuite({
  id: 'preseeded',
  title: 'Preseeded secrets',
  level: 'core',
  requires: 'preseeded',
  cases: () => [
    {
      name: 'a URI connection seeded by the team comes back field by field',
      rule: '§6.1 a URI is parsed by Connection: scheme to conn_type, percent-decoded password, path to schema, query to extra',
      needs: ['connections'],
      runsReadOnly: true,
      async run(ctx) {
        const { id } = PRESEEDED.uriConnection;
        await ensureSeeded(ctx, PRESEEDED.uriConnection);
        expectConnection(
          await ctx.backend.getConnection(id),
          {
            connType: 'postgres',
            host: 'db.example.internal',
            login: 'reporting',
            password: 'ascpreseed-pw@uri',
            schema: 'reports',
            port: 5432,
            extra: { sslmode: 'require' },
          },
          `connection "${id}"`,
        );
      },
    },
    {
      name: 'a connection seeded as fields comes back with every field',
      rule: '§6.4 fields are read with from_json (Vault: the KV keys, §7.1; Secrets Manager: the JSON secret, §7.2): port an int, extra an object',
      needs: ['connections'],
      runsReadOnly: true,
      async run(ctx) {
        const { id, value } = PRESEEDED.fieldsConnection;
        await ensureSeeded(ctx, PRESEEDED.fieldsConnection);
        const { fields } = value;
        expectConnection(
          await ctx.backend.getConnection(id),
          {
            connType: 'mysql',
            host: fields.host,
            login: fields.login,
            password: fields.password,
            schema: fields.schema,
            port: 3306,
            extra: fields.extra,
          },
          `connection "${id}"`,
        );
      },
    },
    {
      name: 'a variable seeded by the team comes back unchanged',
      rule: '§1.2 get_variable returns the stored value as text',
      needs: ['variables'],
      runsReadOnly: true,
      async run(ctx) {
        const { id, value } = PRESEEDED.variable;
        await ensureSeeded(ctx, PRESEEDED.variable);
        expectSecret(await ctx.backend.getVariable(id), value, `variable "${id}"`);
      },
    },
    {
      name: 'an id next to the seeded ones is not found',
      rule: '§1.2 get_connection and get_variable return None for a missing id, so the next backend is asked',
      needs: ['connections', 'variables'],
      runsReadOnly: true,
      async run(ctx) {
        expectNotFound(await ctx.backend.getConnection(PRESEEDED_MISSING_ID), `connection "${PRESEEDED_MISSING_ID}"`);
        expectNotFound(await ctx.backend.getVariable(PRESEEDED_MISSING_ID), `variable "${PRESEEDED_MISSING_ID}"`);
      },
    },
  ],
});
