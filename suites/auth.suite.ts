/**
 * Auth: a backend that cannot authenticate, or may not read, says so with the right error class.
 * Neither is ever "not found" (that would send Airflow on to the next backend and hide the
 * problem: anchors pain point 6), and no credential appears in any message.
 *
 * A custom backend on a store whose server answers both refusals alike (Vault's 403) is held to
 * Airflow's rule only: either class passes, and the other one than expected is noted in the report.
 * Reference targets keep telling the two apart.
 */
import { InMemoryMetastoreBackend } from '../model/metastore';
import { ForbiddenError, UnauthorizedError, type SecretsError } from '../model/errors';
import { expectNoSecretIn, expectRejects, expectSecret, fingerprint, SecretAssertionError } from './expect-secret';
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

type RefusalClass = typeof UnauthorizedError | typeof ForbiddenError;

/** What an operator reads from the other class than the expected one, and what is really at fault. */
const MISREAD: Readonly<Record<'UnauthorizedError' | 'ForbiddenError', string>> = {
  ForbiddenError: 'an operator reads "bad credentials" while the policy is at fault',
  UnauthorizedError: 'an operator reads "not allowed" while the credentials are at fault',
};

/** Why the target's custom backend may answer either refusal class, or null: then only `expected` passes. */
function refusalsAlike(ctx: CaseContext): string | null {
  return ctx.target.origin === 'custom' ? (ctx.target.store.authRefusalsAlike ?? null) : null;
}

/**
 * Checks a refusal's class: `expected`, or, where `refusalsAlike` allows it, the other refusal class
 * with a note saying which was expected and why it matters. Anything else fails.
 */
function checkRefusal(ctx: CaseContext, error: unknown, expected: RefusalClass, what: string): void {
  if (error instanceof expected) return;
  const other: RefusalClass = expected === UnauthorizedError ? ForbiddenError : UnauthorizedError;
  const alike = refusalsAlike(ctx);
  const got = error instanceof Error ? error.name : typeof error;
  if (alike === null || !(error instanceof other)) {
    const accepted = alike === null ? expected.name : `${expected.name} or ${other.name}`;
    throw new SecretAssertionError(`${what}: expected ${accepted}, got ${got}`);
  }
  ctx.note(
    `${what}: ${other.name} where ${expected.name} was expected; it passes Airflow's rule (§7: an auth failure propagates, never "not found"), ` +
      `but ${MISREAD[expected.name as keyof typeof MISREAD]} (${alike})`,
  );
}

/** Awaits a lookup that must be refused (see `checkRefusal`), with no secret in the message. */
async function expectRefusal(ctx: CaseContext, lookup: Promise<unknown>, expected: RefusalClass, what: string, hidden: readonly string[]) {
  if (refusalsAlike(ctx) === null) {
    await expectRejects<SecretsError>(lookup, expected, what, hidden);
    return;
  }
  const error = await lookup.then(
    (value) => {
      throw new SecretAssertionError(`${what}: expected ${expected.name}, got a value (${fingerprint(value)})`);
    },
    (rejected: unknown) => rejected,
  );
  expectNoSecretIn(error, hidden, what);
  checkRefusal(ctx, error, expected, what);
}

function rejection(kind: 'wrongCredentials' | 'expiredCredentials' | 'deniedRead', expected: RefusalClass) {
  return async (ctx: CaseContext) => {
    const { ids, secrets } = await seedBoth(ctx);
    const { backend, credentials } = await scenario(ctx, kind, ids);
    const hidden = [...secrets, ...credentials];
    await expectRefusal(ctx, backend.getConnection(ids.connId), expected, `connection "${ids.connId}" (${kind})`, hidden);
    await expectRefusal(ctx, backend.getVariable(ids.key), expected, `variable "${ids.key}" (${kind})`, hidden);
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
        if (failure === undefined) throw new Error('the recorded failure is missing, expected UnauthorizedError');
        checkRefusal(ctx, failure, UnauthorizedError, 'the recorded failure');
        if ([...secrets, ...credentials].some((secret) => (failure as Error).message.includes(secret)))
          throw new Error('the recorded failure message contains a secret');
      },
    },
  ],
});
