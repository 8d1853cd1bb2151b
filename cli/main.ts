/**
 * `secrets-conformance <command>`: the one entry point. Each command lives in its own module and
 * returns an exit code; user mistakes are printed as one line, never as a stack trace.
 */
import { SecretsError } from '../model/errors';
import { UsageError } from './usage-error';

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  run: {
    summary: 'run the conformance suites on the embedded backends (env, local) or --backend=...',
    load: async () => (await import('./test-command')).runCommand,
  },
  test: {
    summary: 'what npm test runs: the unit tests and every suite for every target, or --backend=...',
    load: async () => (await import('./test-command')).testCommand,
  },
  families: {
    summary: 'list the backend families a run can certify (--json for a CI matrix)',
    load: async () => (await import('./families-command')).familiesCommand,
  },
  serve: {
    summary: 'serve a TypeScript backend module over the command protocol (bridge/PROTOCOL.md)',
    load: async () => (await import('./serve-command')).serveCommand,
  },
  explain: {
    summary: "trace a lookup the way a deployment's Airflow makes it: each backend, the name it read, its answer",
    load: async () => (await import('./explain-command')).explainCommand,
  },
  doctor: {
    summary: "check a deployment's secrets setup: class, kwargs, server, auth, policy, TLS, cache, anti-patterns",
    load: async () => (await import('./doctor-command')).doctorCommand,
  },
  migrate: {
    summary: "copy a deployment's metastore connections and variables into a backend, verified through Airflow",
    load: async () => (await import('./migrate-command')).migrateCommand,
  },
  fixtures: {
    summary: 'print what to seed on your own server for a read-only --provision=external run (fixtures print --family vault)',
    load: async () => (await import('./fixtures-command')).fixturesCommand,
  },
  merge: {
    summary: 'merge the reports of several runs (a CI matrix) into one report and one certificate',
    load: async () => (await import('./merge-command')).mergeCommand,
  },
  parity: {
    summary: 'compare a container-path run with a native run of the same targets, case by case',
    load: async () => (await import('./parity-command')).parityCommand,
  },
  connection: {
    summary: 'parse a connection URI/JSON or build a URI, exactly as Airflow does',
    load: async () => (await import('./connection-command')).connectionCommand,
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return ['usage: secrets-conformance <command> [options]', '', 'commands:', ...lines].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`UsageError: unknown command "${name}"; known: ${Object.keys(commands).join(', ')}\n`);
    return 2;
  }
  try {
    return await (
      await command.load()
    )(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`UsageError: ${error.message}\n`);
      return 2;
    }
    if (error instanceof SecretsError) {
      process.stderr.write(`${error.oneLine()}\n`);
      return 1;
    }
    throw error;
  }
}
