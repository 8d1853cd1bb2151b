/**
 * Isolation: a run writes only under its own prefix, mount or folder, and leaves nothing behind,
 * even when a case fails halfway.
 */
import { runCase } from './case-context';
import { defineSuite, type ConformanceCase } from './suite';

const failsAfterSeeding: ConformanceCase = {
  name: 'seeds, then fails on purpose',
  rule: '§0 harness: a failing case still closes its session',
  async run(ctx) {
    await ctx.fixtures.putConnection(ctx.ids.next('doomed'), { uri: `mysql://app:${ctx.secrets.token('pw')}@db.example/x` });
    await ctx.fixtures.putVariable(ctx.ids.next('doomed'), ctx.secrets.token('v'));
    throw new Error('deliberate failure after seeding');
  },
};

export const isolationSuite = defineSuite({
  id: 'isolation',
  title: 'Isolation',
  level: 'security',
  cases: () => [
    {
      name: 'a case that fails after seeding leaves nothing in the store',
      rule: '§0 harness: every secret a case seeds is removed when its session closes, pass or fail',
      needs: ['residue'],
      async run(ctx) {
        const residue = ctx.target.residue;
        if (!residue) throw new Error(`target ${ctx.target.name} declares residue but cannot count it`);
        const failure = await runCase(ctx.target, failsAfterSeeding, ctx.environment, 'isolation/doomed').then(
          () => null,
          (error: unknown) => error,
        );
        if (!(failure instanceof Error) || !failure.message.includes('deliberate failure'))
          throw new Error('the deliberately failing case did not fail as planned');
        // Only this case's own session is open now: cases of one target run one at a time.
        await ctx.fixtures.putVariable(ctx.ids.next('probe'), ctx.secrets.token('v'));
        const left = await residue.call(ctx.target, ctx.environment);
        if (left !== 1) throw new Error(`the store holds ${left} secret(s) of this run; expected exactly this case's own probe (1)`);
      },
    },
  ],
});
