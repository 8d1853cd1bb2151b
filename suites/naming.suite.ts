/**
 * Naming: how an Airflow id becomes the name a store is asked for. These cases read the store's
 * own naming directly (not through the fixture store), so a backend that transforms ids
 * differently from Airflow cannot hide behind a fixture store that makes the same mistake.
 */
import { expectNotFound, expectSecret } from './expect-secret';
import { defineSuite, type CaseContext } from './suite';

/** Sets environment entries for the duration of `body` only. */
async function withEnvironment(entries: Record<string, string>, body: () => Promise<void>): Promise<void> {
  const previous = Object.fromEntries(Object.keys(entries).map((name) => [name, process.env[name]]));
  Object.assign(process.env, entries);
  try {
    await body();
  } finally {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

function uriFor(ctx: CaseContext): string {
  return `postgres://svc:${ctx.secrets.token('pw')}@db.example.com/main`;
}

export const namingSuite = defineSuite({
  id: 'naming',
  title: 'Naming',
  level: 'core',
  cases: () => [
    {
      name: 'an environment name is AIRFLOW_VAR_ plus the upper-cased key',
      rule: '§4 variable: os.environ.get("AIRFLOW_VAR_" + key.upper())',
      needs: ['variables', 'env-var-names'],
      async run(ctx) {
        const key = ctx.ids.next('Mixed');
        const value = ctx.secrets.token('v');
        await withEnvironment({ [`AIRFLOW_VAR_${key.toUpperCase()}`]: value }, async () => {
          expectSecret(await ctx.backend.getVariable(key), value, `variable "${key}"`);
        });
      },
    },
    {
      name: 'a lower-case environment name is never found',
      rule: '§4 lookup is an exact match on the upper-case name only: AIRFLOW_CONN_my_db is never read',
      needs: ['connections', 'variables', 'env-var-names'],
      async run(ctx) {
        const connId = ctx.ids.next('lower');
        const key = ctx.ids.next('lower');
        await withEnvironment({ [`AIRFLOW_CONN_${connId}`]: uriFor(ctx), [`AIRFLOW_VAR_${key}`]: ctx.secrets.token('v') }, async () => {
          expectNotFound(await ctx.backend.getConnection(connId), `connection "${connId}" under a lower-case name`);
          expectNotFound(await ctx.backend.getVariable(key), `variable "${key}" under a lower-case name`);
        });
      },
    },
    {
      name: 'dashes, dots and slashes in an id are kept in the environment name',
      rule: '§4 nothing but upper-casing is applied: conn_id my-db.x/y reads AIRFLOW_CONN_MY-DB.X/Y',
      needs: ['connections', 'env-var-names'],
      async run(ctx) {
        const connId = `${ctx.ids.next('odd')}-db.x/y`;
        await withEnvironment({ [`AIRFLOW_CONN_${connId.toUpperCase()}`]: uriFor(ctx) }, async () => {
          const connection = await ctx.backend.getConnection(connId);
          if (connection === null) throw new Error(`connection "${connId}" was not found under AIRFLOW_CONN_${connId.toUpperCase()}`);
        });
        const underscored = connId.replace(/[-./]/g, '_').toUpperCase();
        await withEnvironment({ [`AIRFLOW_CONN_${underscored}`]: uriFor(ctx) }, async () => {
          expectNotFound(await ctx.backend.getConnection(connId), `connection "${connId}" under a name with "_" for "-./"`);
        });
      },
    },
    {
      name: 'upper-casing is Unicode-aware like Python (ß becomes SS)',
      rule: '§4 str.upper() is Unicode-aware: "straße".upper() == "STRASSE"',
      needs: ['variables', 'env-var-names'],
      async run(ctx) {
        const key = `${ctx.ids.next('u')}_straße`;
        const value = ctx.secrets.token('v');
        const pythonUpper = key.toUpperCase();
        if (!pythonUpper.endsWith('STRASSE')) throw new Error('this runtime does not upper-case ß to SS; the case cannot check the rule');
        await withEnvironment({ [`AIRFLOW_VAR_${pythonUpper}`]: value }, async () => {
          expectSecret(await ctx.backend.getVariable(key), value, `variable "${key}"`);
        });
      },
    },
  ],
});
