/**
 * Auth: a backend that cannot authenticate, or may not read, says so with the right error class.
 * Neither is ever "not found" (that would send Airflow on to the next backend and hide the
 * problem: anchors pain point 6), and no credential appears in any message.
 */
import { InMemoryMetastoreBackend } from '../model/metastore';
import { ForbiddenError, UnauthorizedError } from '../model/errors';
import { expectRejects, expectSecret } from './expect-secret';
import { defineSuite, type CaseContext } from './suite';
import type { AuthScenario, AuthScenarios } from './target';

function scenarios(ctx: CaseContext): AuthScenarios {
  if (!ctx.session.auth) throw new Error(`target ${ctx.target.name} declares auth capabilities but its session has no auth scenarios`);
  return ctx.session.auth;
}

async function scenario(ctx: CaseContext, name: keyof AuthScenarios, ids: { connId: string; key: string }): Promise<AuthScenario> {
  const make = scenarios(ctx)[name];
  if (!make) throw new Error(`target ${ctx.target.name} declares the capability for ${name} but does not provide it`);
  return make.call(ctx.session.auth, ids);
}

/** Seeds a connection and a variable with the target's working credentials. */
async function seedBoth(ctx: CaseContext) {
  const ids = { connId: ctx.ids.next('auth'), key: ctx.ids.next('auth') };
  const password = ctx.secrets.token('pw');
  const value = ctx.secrets.token('v');
  await ctx.fixtures.putConnection(ids.connId, { uri: `postgres://svc:${password}@db.example.com/main` });
  await ctx.fixtures.putVariable(ids.key, value);
  return { ids, secrets: [password, value] };
}

function rejection<E extends UnauthorizedError | ForbiddenError>(
  kind: 'wrongCredentials' | 'expiredCredentials' | 'deniedRead',
  errorClass: (abstract new (...args: never[]) => E) & { prototype: E },
) {
  return async (ctx: CaseContext) => {
    const { ids, secrets } = await seedBoth(ctx);
    const { backend, credentials } = await scenario(ctx, kind, ids);
    const hidden = [...secrets, ...credentials];
    await expectRejects(backend.getConnection(ids.connId), errorClass, `connection "${ids.connId}" (${kind})`, hidden);
    await expectRejects(backend.getVariable(ids.key), errorClass, `variable "${ids.key}" (${kind})`, hidden);
  };
}

export const authSuite = defineSuite({
  id: 'auth',
  title: 'Auth',
  level: 'security',
  cases: () => [
    {
      name: 'wrong credentials are Unauthorized, never not found',
      rule: '§7 only the service\'s "not found" gives None; an authentication failure propagates (Vault "Vault Authentication Error", AWS UnrecognizedClient)',
      needs: ['connections', 'variables', 'auth-wrong-credentials'],
      run: rejection('wrongCredentials', UnauthorizedError),
    },
    {
      name: 'expired credentials are Unauthorized, never not found',
      rule: '§7 a token past its TTL fails authentication; it is not "not found"',
      needs: ['connections', 'variables', 'auth-expired-credentials'],
      run: rejection('expiredCredentials', UnauthorizedError),
    },
    {
      name: 'a policy without read is Forbidden, never not found',
      rule: '§7 a permission error propagates (Vault 403 Forbidden, AWS AccessDeniedException); only NotFound gives None',
      needs: ['connections', 'variables', 'auth-policy'],
      run: rejection('deniedRead', ForbiddenError),
    },
    {
      name: 'through the search path an auth failure is recorded and the next backend answers',
      rule: '§2.3 an exception from a backend is logged and skipped: the metastore answers, the failure is kept',
      needs: ['variables', 'auth-wrong-credentials'],
      async run(ctx) {
        const { ids, secrets } = await seedBoth(ctx);
        const { backend, credentials } = await scenario(ctx, 'wrongCredentials', ids);
        const fallback = ctx.secrets.token('meta');
        const metastore = new InMemoryMetastoreBackend();
        metastore.setVariable(ids.key, fallback);
        const outcome = await ctx.searchPath([backend, metastore]).resolveVariable(ids.key);
        expectSecret(outcome.value, fallback, `variable "${ids.key}" through [unauthenticated target, metastore]`);
        const failure = outcome.failures[0]?.error;
        if (!(failure instanceof UnauthorizedError))
          throw new Error(`the recorded failure is ${failure instanceof Error ? failure.name : 'missing'}, expected UnauthorizedError`);
        if ([...secrets, ...credentials].some((secret) => failure.message.includes(secret)))
          throw new Error('the recorded failure message contains a secret');
      },
    },
  ],
});
