/**
 * Formats: every tricky value survives the trip through the store and Airflow's parsing, as a
 * variable, as a percent-encoded URI password, as a URI query value, and inside structured
 * connection fields. The values come from `values.ts`; the URIs are built with an encoder written
 * independently of the connection model, so model and fixture cannot share a mistake.
 */
import { expectConnection, expectSecret } from './expect-secret';
import { defineSuite, type CaseContext, type ConformanceCase } from './suite';
import { embedCanary, extraShapes, percentEncode, trickyValues, type ExtraShape, type TrickyValue } from './values';
import { hasCapability, type Capability, type TargetDefinition } from './target';

/** Inside a URI or JSON text a value is escaped, so only its size still matters to the store. */
function connectionNeeds(value: TrickyValue, structured: Capability | null): Capability[] {
  const needs: Capability[] = ['connections'];
  if (structured) needs.push(structured);
  if (value.needs.includes('large-values')) needs.push('large-values');
  return needs;
}

/** What the target's parser makes of a query value: core json.loads it when it can (spec §6.1.10). */
function expectedQueryValue(ctx: CaseContext, text: string): unknown {
  if ((ctx.target.parser ?? 'sdk') === 'sdk' || text === '') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function structuredKind(target: TargetDefinition): Capability | null {
  if (hasCapability(target, 'json-connections')) return 'json-connections';
  if (hasCapability(target, 'field-connections')) return 'field-connections';
  return null;
}

function casesFor(value: TrickyValue, target: TargetDefinition): ConformanceCase[] {
  const marked = (ctx: CaseContext) => embedCanary(value.text, ctx.secrets.canary);
  const cases: ConformanceCase[] = [
    {
      name: `a variable holding ${value.label} round-trips`,
      rule: '§1.2 get_variable returns the stored string unchanged',
      needs: ['variables', ...value.needs],
      async run(ctx) {
        const key = ctx.ids.next('fmt');
        const text = marked(ctx);
        await ctx.fixtures.putVariable(key, text);
        expectSecret(await ctx.backend.getVariable(key), text, `variable "${key}" (${value.label})`);
      },
    },
  ];
  if (value.text !== '') {
    cases.push(
      {
        name: `a URI password holding ${value.label} round-trips`,
        rule: '§6.3 userinfo is unquote()d: any percent-encoded password comes back verbatim',
        needs: connectionNeeds(value, null),
        async run(ctx) {
          const connId = ctx.ids.next('fmtpw');
          const password = marked(ctx);
          await ctx.fixtures.putConnection(connId, { uri: `postgres://svc:${percentEncode(password)}@db.example.com:5432/main` });
          expectConnection(
            await ctx.backend.getConnection(connId),
            { login: 'svc', password, host: 'db.example.com', port: 5432, schema: 'main' },
            `connection "${connId}" (${value.label})`,
          );
        },
      },
      {
        name: `a URI query value holding ${value.label} round-trips`,
        rule: '§6.1.10 query values go through parse_qsl (percent-decoding, + as space) into extra',
        needs: connectionNeeds(value, null),
        async run(ctx) {
          const connId = ctx.ids.next('fmtq');
          const text = marked(ctx);
          await ctx.fixtures.putConnection(connId, { uri: `http://api.example/v1?note=${percentEncode(text)}&tag=x` });
          expectConnection(
            await ctx.backend.getConnection(connId),
            { schema: 'v1', extra: { note: expectedQueryValue(ctx, text), tag: 'x' } },
            `connection "${connId}" (${value.label})`,
          );
        },
      },
    );
  }
  const structured = structuredKind(target);
  if (structured && value.text !== '') {
    for (const shape of extraShapes) cases.push(structuredCase(value, shape, structured));
  }
  return cases;
}

function structuredCase(value: TrickyValue, shape: ExtraShape, structured: Capability): ConformanceCase {
  const kept =
    structured === 'json-connections'
      ? '§6.4 from_json keeps login, password and extra values verbatim'
      : '§5.2 Connection(**fields) keeps login, password and extra values verbatim';
  return {
    name: `structured connection fields ${shape.label === '' ? '' : `(${shape.label}) `}holding ${value.label} round-trip`,
    rule: shape.label === '' ? kept : `${kept}; ${shape.rule}`,
    needs: connectionNeeds(value, structured),
    async run(ctx) {
      const connId = ctx.ids.next('fmtjson');
      const text = embedCanary(value.text, ctx.secrets.canary);
      const extra = { note: text, list: [text] };
      await ctx.fixtures.putConnection(connId, {
        fields: { conn_type: 'http', host: 'api.example', login: text, password: text, extra: shape.hold(extra) },
      });
      expectConnection(await ctx.backend.getConnection(connId), { login: text, password: text, extra }, `connection "${connId}" (${value.label})`);
    },
  };
}

export const formatsSuite = defineSuite({
  id: 'formats',
  title: 'Formats',
  level: 'core',
  cases: (target) => trickyValues.flatMap((value) => casesFor(value, target)),
});
