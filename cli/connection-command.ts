/**
 * `secrets-conformance connection parse '<uri-or-json>' [--parser=sdk|core]`
 *   prints the connection Airflow would build, as one JSON object written the way Python's
 *   json.dumps writes it (so `1.0` stays a float and key order is Airflow's).
 * `secrets-conformance connection uri '<json-or-uri>' [--parser=sdk|core]`
 *   prints what that connection's get_uri() returns.
 * A value Airflow would reject exits 1 with one `ConnectionFormatError: ...` line that never
 * repeats the password; wrong usage is a UsageError (exit 2).
 */
import { parseConnectionValue, type ParserFlavour } from '../model/connection/connection';
import { pyJsonDumps } from '../model/connection/python-json-dumps';
import { UsageError } from './usage-error';

const USAGE = "connection parse|uri '<uri-or-json>' [--parser=sdk|core]";
const PARSERS: readonly ParserFlavour[] = ['sdk', 'core'];

interface ConnectionArgs {
  action: 'parse' | 'uri';
  value: string;
  parser: ParserFlavour;
}

function readParser(value: string | undefined): ParserFlavour {
  if (value === undefined || value === '') throw new UsageError(`--parser needs a value (sdk or core); usage: ${USAGE}`);
  if (!(PARSERS as readonly string[]).includes(value)) {
    throw new UsageError(`unknown parser "${value}"; use --parser=sdk (task SDK, the default) or --parser=core (ORM)`);
  }
  return value as ParserFlavour;
}

function parseArgs(args: string[]): ConnectionArgs {
  const positional: string[] = [];
  let parser: ParserFlavour = 'sdk';
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (arg === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith('--parser=')) parser = readParser(arg.slice('--parser='.length));
    else if (arg === '--parser') parser = readParser(args[(i += 1)]);
    // A value may itself start with "-"; only "--name" looks like an option.
    else if (arg.startsWith('--')) throw new UsageError(`unknown option "${arg.split('=')[0]}"; usage: ${USAGE}`);
    else positional.push(arg);
  }
  const [action, value, ...extra] = positional;
  if (action !== 'parse' && action !== 'uri') {
    throw new UsageError(action === undefined ? `missing action; usage: ${USAGE}` : `unknown action "${action}"; usage: ${USAGE}`);
  }
  if (value === undefined) throw new UsageError(`missing the connection value; usage: ${USAGE}`);
  if (extra.length > 0) throw new UsageError(`expected one connection value, got ${positional.length - 1}; quote the value`);
  return { action, value, parser };
}

export async function connectionCommand(args: string[]): Promise<number> {
  const { action, value, parser } = parseArgs(args);
  const connection = parseConnectionValue(value, { parser });
  const output = action === 'parse' ? pyJsonDumps(connection.toPythonView()) : connection.getUri();
  process.stdout.write(`${output}\n`);
  return 0;
}
