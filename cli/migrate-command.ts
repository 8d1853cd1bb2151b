/**
 * `secrets-conformance migrate --to <layout> [--airflow-config=FILE] [--kwargs=JSON] [--dry-run]
 *   [--overwrite] [--only=connections|variables] [--report=FILE] [--json]`
 *
 * Copies the deployment's metastore connections and variables into a backend's store (`vault`,
 * `aws-sm`, `aws-ssm`), in the layout that backend's Airflow class reads, then reads each back through
 * that class and compares every field. The destination (address, credentials, mount or prefixes) is
 * `--kwargs`, or the deployment's own backend_kwargs when its [secrets] backend is of that layout.
 * Exit 0 when every item is in place and verified, 1 otherwise; no value in any output.
 */
import { writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { stopCommandProcesses } from '../targets/command-process';
import { deploymentBridge, layouts, metastoreRequest, readDeployment, requireMetastore } from '../deployment/deployment';
import { copyItems, verifyItems, type ItemKind, type MetastoreExport, type MigrationItem } from '../deployment/migration';
import { UsageError } from './usage-error';

const USAGE =
  'migrate --to <layout> [--airflow-config=FILE] [--kwargs=JSON] [--dry-run] [--overwrite] [--only=connections|variables] [--report=FILE] [--json]';

interface MigrateFlags {
  to: string;
  airflowConfig: string | null;
  kwargs: Record<string, unknown> | null;
  dryRun: boolean;
  overwrite: boolean;
  kinds: ItemKind[];
  report: string | null;
  json: boolean;
}

function parseFlags(args: readonly string[]): MigrateFlags {
  const flags: MigrateFlags = {
    to: '',
    airflowConfig: null,
    kwargs: null,
    dryRun: false,
    overwrite: false,
    kinds: ['connection', 'variable'],
    report: null,
    json: false,
  };
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] ?? '';
    const [name = '', inline] = arg.startsWith('--') ? arg.slice(2).split(/=(.*)/s) : [''];
    if (name === 'dry-run') flags.dryRun = true;
    else if (name === 'overwrite') flags.overwrite = true;
    else if (name === 'json') flags.json = true;
    else if (['to', 'airflow-config', 'kwargs', 'only', 'report'].includes(name)) {
      const value = inline ?? args[++index];
      if (value === undefined) throw new UsageError(`--${name} needs a value; usage: ${USAGE}`);
      if (name === 'to') flags.to = value;
      else if (name === 'airflow-config') flags.airflowConfig = value;
      else if (name === 'report') flags.report = value;
      else if (name === 'only') {
        if (value !== 'connections' && value !== 'variables') throw new UsageError(`--only takes connections or variables, not "${value}"`);
        flags.kinds = [value === 'connections' ? 'connection' : 'variable'];
      } else {
        let parsed: unknown;
        try {
          parsed = JSON.parse(value);
        } catch {
          throw new UsageError('--kwargs must be a JSON object (the backend_kwargs of the destination)');
        }
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError('--kwargs must be a JSON object');
        flags.kwargs = parsed as Record<string, unknown>;
      }
    } else throw new UsageError(`unexpected argument "${arg}"; usage: ${USAGE}`);
  }
  const targets = layouts.filter((layout) => layout.migrationStore).map((layout) => layout.name);
  if (!flags.to) throw new UsageError(`--to is required (one of ${targets.join(', ')}); usage: ${USAGE}`);
  if (!targets.includes(flags.to)) throw new UsageError(`cannot migrate to "${flags.to}"; known: ${targets.join(', ')}`);
  return flags;
}

const STATUS_WORDS: Record<MigrationItem['status'], string> = {
  moved: 'moved',
  'would-move': 'would move',
  unchanged: 'unchanged',
  differs: 'differs',
  skipped: 'skipped',
  failed: 'failed',
};

export async function migrateCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`usage: secrets-conformance ${USAGE}\n`);
    return 0;
  }
  const flags = parseFlags(args);
  const layout = layouts.find((candidate) => candidate.name === flags.to);
  const makeStore = layout?.migrationStore;
  if (!layout || !makeStore) throw new UsageError(`cannot migrate to "${flags.to}"`);
  const deployment = await readDeployment(flags.airflowConfig);
  requireMetastore(deployment);
  const kwargs = flags.kwargs ?? (deployment.layout === layout ? deployment.reading.kwargs : null);
  if (!kwargs) {
    throw new UsageError(
      `the deployment's [secrets] backend is ${deployment.reading.backend ?? 'not set'}, not a ${layout.name} backend: give the destination with --kwargs='{...}'`,
    );
  }
  const backendClass = layout.airflowClasses[0] as string;
  const started = performance.now();
  const store = makeStore(kwargs, deployment.env);
  const bridge = deploymentBridge(deployment);
  try {
    // The destination must answer before anything is read or written.
    const probe = store.nameOf('variable', 'asc-migrate-probe') ?? store.nameOf('connection', 'asc-migrate-probe');
    if (probe !== null) await store.read(probe);
    const source = await metastoreRequest<MetastoreExport>(bridge, deployment, 'metastore_export');
    const items = await copyItems(source, store, { dryRun: flags.dryRun, overwrite: flags.overwrite, kinds: flags.kinds, concurrency: 8 });
    const copiedMs = performance.now() - started;
    if (!flags.dryRun) await verifyItems(bridge, backendClass, kwargs, source, items, store.unreadableFields ?? []);
    const totalMs = performance.now() - started;
    const count = (status: MigrationItem['status']) => items.filter((item) => item.status === status).length;
    const verified = items.filter((item) => item.verified === true).length;
    const mismatched = items.filter((item) => item.verified === false);
    const summary = {
      to: layout.name,
      where: store.where,
      class: backendClass,
      dryRun: flags.dryRun,
      source: { connections: source.connections.length, variables: source.variables.length },
      moved: count('moved'),
      wouldMove: count('would-move'),
      unchanged: count('unchanged'),
      differs: count('differs'),
      skipped: count('skipped'),
      failed: count('failed'),
      verified,
      mismatched: mismatched.length,
      copyMs: Math.round(copiedMs),
      totalMs: Math.round(totalMs),
      unreadableFields: store.unreadableFields ?? [],
    };
    const report = { ...summary, items };
    if (flags.report) await writeFile(flags.report, `${JSON.stringify(report, null, 2)}\n`);
    if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      const lines = [
        `migrate ${deployment.cfgPath} metastore -> ${store.where} (read back through ${backendClass})${flags.dryRun ? ' [dry run: nothing written]' : ''}`,
        `source: ${summary.source.connections} connections, ${summary.source.variables} variables`,
      ];
      for (const item of items.filter((entry) => entry.status !== 'unchanged' && entry.status !== 'moved' && entry.status !== 'would-move')) {
        lines.push(`  ${STATUS_WORDS[item.status].padEnd(9)} ${item.kind} "${item.id}"${item.name ? ` -> ${item.name}` : ''}: ${item.reason ?? ''}`);
      }
      for (const item of mismatched)
        lines.push(`  mismatch  ${item.kind} "${item.id}" -> ${item.name}: ${item.mismatched?.join(', ') ?? item.reason ?? ''}`);
      if (summary.unreadableFields.length > 0)
        lines.push(`note: ${backendClass.split('.').pop()} cannot read back ${summary.unreadableFields.join(', ')} from this store; not compared`);
      const changed = summary.moved + summary.wouldMove;
      lines.push(
        `${flags.dryRun ? 'would move' : 'moved'} ${changed}, unchanged ${summary.unchanged}, differs ${summary.differs}, skipped ${summary.skipped}, failed ${summary.failed}` +
          (flags.dryRun ? '' : `; verified ${verified} of ${summary.moved + summary.unchanged} through Airflow, ${mismatched.length} mismatched`) +
          ` (${(totalMs / 1000).toFixed(1)} s)`,
      );
      if (!flags.dryRun && changed === 0 && summary.failed === 0 && summary.differs === 0)
        lines.push('nothing to do: the store already holds every item');
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    const incomplete = summary.failed > 0 || summary.differs > 0 || mismatched.length > 0;
    if (incomplete && summary.failed > 0) {
      process.stderr.write(`migrate: ${summary.failed} items failed; the others are in place: run the same command again to resume\n`);
    }
    return incomplete ? 1 : 0;
  } finally {
    store.close();
    await bridge.stop();
    await stopCommandProcesses();
  }
}
