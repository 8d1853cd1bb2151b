/**
 * `secrets-conformance fixtures print --family <family> [--json]`: what a team writes on its own
 * server before a read-only `--provision=external` run (no admin credential): the exact names and
 * values of the preseeded set, under `<prefix>/asc-readonly/` as the `ASC_EXTERNAL_*` variables put
 * it, as the commands that write them (`vault kv put`, `aws secretsmanager create-secret`), or as JSON.
 * The values are fixed test data (suites/preseeded-fixtures.ts), not anyone's secrets.
 */
import { families } from '../backends/families';
import { UsageError } from './usage-error';

const USAGE = 'secrets-conformance fixtures print --family <family> [--json]';

function parse(args: readonly string[]): { family: string; json: boolean } {
  const [action, ...rest] = args;
  if (action !== 'print') throw new UsageError(`expected "print"; usage: ${USAGE}`);
  let family: string | undefined;
  let json = false;
  for (let index = 0; index < rest.length; index += 1) {
    const arg = rest[index] ?? '';
    if (arg === '--json') json = true;
    else if (arg.startsWith('--family=')) family = arg.slice('--family='.length);
    else if (arg === '--family') family = rest[++index];
    else throw new UsageError(`unexpected argument "${arg}"; usage: ${USAGE}`);
  }
  if (!family) throw new UsageError(`--family is needed; usage: ${USAGE}`);
  return { family, json };
}

export async function fixturesCommand(args: string[]): Promise<number> {
  const { family, json } = parse(args);
  const external = families.filter((f) => f.external).map((f) => f.name);
  const chosen = families.find((f) => f.name === family)?.external;
  if (!chosen) throw new UsageError(`the family "${family}" has no external form; families with one: ${external.join(', ')}`);
  const plan = chosen.seedPlan(process.env);
  if (json) {
    process.stdout.write(`${JSON.stringify({ family, where: plan.where, writes: plan.writes }, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(
    `# ${plan.where}\n# ${plan.writes.length} secrets, read by the preseeded cases of a read-only run; the values are test data\n`,
  );
  for (const command of plan.commands) process.stdout.write(`${command}\n`);
  return 0;
}
