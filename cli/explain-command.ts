/**
 * `secrets-conformance explain <conn_id | var:key | config:section/key> [--airflow-config=FILE]
 *   [--repeat=N] [--openmetrics=FILE] [--show-value] [--json]`
 *
 * Looks the id up the way the deployment's Airflow does (its own chain and cache, in the bridge) and
 * prints each backend asked, the exact name it read, its answer, its time and requests, which one won,
 * and hints where the answer surprises. Exit 0 when found with no backend failing, 1 otherwise (the
 * trace says why), 2 for a usage error. Never prints a value; `--show-value` prints it masked.
 */
import { writeFile } from 'node:fs/promises';
import { stopCommandProcesses } from '../targets/command-process';
import { UnavailableError } from '../model/errors';
import { deploymentBridge, deploymentChain, readDeployment, shortClass, type Deployment, type DeploymentChain } from '../deployment/deployment';
import { errorClassName, hintsFor, namesRead, parseSubject, runLookup, type LookupSubject, type LookupTrace } from '../deployment/lookup-trace';
import { lookupMetrics } from '../deployment/lookup-metrics';
import { latencyFigures } from '../reports/figures';
import { renderOpenMetrics } from '../reports/openmetrics';
import { UsageError } from './usage-error';

const USAGE = 'explain <conn_id | var:key | config:section/key> [--airflow-config=FILE] [--repeat=N] [--openmetrics=FILE] [--show-value] [--json]';

interface ExplainFlags {
  subject: LookupSubject;
  airflowConfig: string | null;
  repeat: number;
  openMetrics: string | null;
  showValue: boolean;
  json: boolean;
}

function parseFlags(args: readonly string[]): ExplainFlags {
  const positional: string[] = [];
  const flags = { airflowConfig: null as string | null, repeat: 1, openMetrics: null as string | null, showValue: false, json: false };
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] ?? '';
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name = '', inline] = arg.slice(2).split(/=(.*)/s);
    if (name === 'show-value') flags.showValue = true;
    else if (name === 'json') flags.json = true;
    else if (['airflow-config', 'repeat', 'openmetrics'].includes(name)) {
      const value = inline ?? args[++index];
      if (value === undefined) throw new UsageError(`--${name} needs a value; usage: ${USAGE}`);
      if (name === 'airflow-config') flags.airflowConfig = value;
      else if (name === 'openmetrics') flags.openMetrics = value;
      else {
        const repeat = Number(value);
        if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100_000) throw new UsageError(`--repeat takes a whole number from 1, not "${value}"`);
        flags.repeat = repeat;
      }
    } else throw new UsageError(`unknown option --${name}; usage: ${USAGE}`);
  }
  if (positional.length !== 1) throw new UsageError(`explain takes one id; usage: ${USAGE}`);
  const subject = parseSubject(positional[0] ?? '');
  if (subject.id === '') throw new UsageError(`the id is empty; usage: ${USAGE}`);
  if (subject.kind === 'config' && !/^[^/]+\/[^/]+$/.test(subject.id))
    throw new UsageError('a config id is config:<section>/<key>, e.g. config:core/fernet_key');
  return { subject, ...flags };
}

const ANSWER_WORDS = { found: 'found', 'not-found': 'not found', error: 'error' } as const;

function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '–';
  return ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => [...(row[column] ?? '')].length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

function describeSubject(subject: LookupSubject): string {
  return subject.kind === 'config' ? `config option [${subject.id.replace('/', '] ')}` : `${subject.kind} "${subject.id}"`;
}

function airflowFunction(subject: LookupSubject): string {
  if (subject.kind === 'connection') return 'Connection.get_connection_from_secrets';
  if (subject.kind === 'variable') return 'Variable.get_variable_from_secrets';
  return 'conf.get, source by source';
}

function traceLines(trace: LookupTrace, subject: LookupSubject, deployment: Deployment, chain: DeploymentChain, showValue: boolean): string[] {
  const customIndex = chain.backends.find((entry) => !entry.default)?.index ?? null;
  const rows = [['#', subject.kind === 'config' ? 'source' : 'backend', 'reads', 'answer', 'time', 'requests']];
  for (const step of trace.steps) {
    const names = namesRead(step, subject, deployment, customIndex);
    const reads = names.length === 0 ? '(nothing: skipped without a request)' : names.map((name) => name.read).join(' | ');
    let answer = step.asked ? ANSWER_WORDS[step.outcome ?? 'not-found'] : 'not asked';
    if (step.outcome === 'error' && step.error)
      answer = `error: ${errorClassName(step.error.kind)}: ${oneLine(step.error.message ?? step.error.type ?? '')}`;
    if (step.outcome === 'found' && step.empty) answer = 'found ("")';
    const won = trace.served_by === step.index ? ' ◀' : '';
    rows.push([
      String(step.index + 1),
      shortClass(step.class),
      reads,
      `${answer}${won}`,
      step.asked ? formatMs(step.ms) : '',
      step.asked ? String(step.requests ?? 0) : '',
    ]);
  }
  const lines = table(rows).map((line) => `  ${line}`);
  const cache = trace.cache;
  lines.push(
    subject.kind === 'config'
      ? '  cache: none for config options'
      : cache.enabled
        ? `  cache: on, ttl ${cache.ttl_seconds} s (SecretCache, as the DAG processor uses it; the scheduler and workers do not cache, spec §3.4)${trace.served_by === 'cache' ? ': it answered' : ': missed'}`
        : `  cache: off ([secrets] use_cache = ${cache.configured ? 'True' : 'False'})`,
  );
  if (trace.found) {
    const by = trace.served_by === 'cache' ? 'the cache' : shortClass(trace.steps[trace.served_by ?? -1]?.class ?? '?');
    lines.push(`result: found, served by ${by} (${formatMs(trace.ms)}, ${trace.requests} HTTP request${trace.requests === 1 ? '' : 's'})`);
    if (showValue && trace.value) lines.push(`value (masked): ${JSON.stringify(trace.value)}`);
  } else if (trace.error) {
    lines.push(`result: Airflow raised ${trace.error.type ?? trace.error.kind}: ${oneLine(trace.error.message ?? '')}`);
  } else {
    const raised =
      subject.kind === 'connection'
        ? `AirflowNotFoundException (The conn_id \`${subject.id}\` isn't defined)`
        : subject.kind === 'variable'
          ? 'None (Variable.get raises KeyError without a default)'
          : 'nothing (conf.get raises AirflowConfigException without a fallback)';
    lines.push(
      `result: not found; Airflow answers ${raised} (${formatMs(trace.ms)}, ${trace.requests} HTTP request${trace.requests === 1 ? '' : 's'})`,
    );
  }
  return lines;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').slice(0, 200);
}

function figureLines(traces: readonly LookupTrace[]): string[] {
  const total = latencyFigures(traces.map((trace) => trace.ms));
  const hits = traces.filter((trace) => trace.served_by === 'cache').length;
  const requests = traces.reduce((sum, trace) => sum + trace.requests, 0) / traces.length;
  const errors = new Map<string, number>();
  for (const trace of traces) {
    for (const step of trace.steps)
      if (step.outcome === 'error' && step.error) errors.set(errorClassName(step.error.kind), (errors.get(errorClassName(step.error.kind)) ?? 0) + 1);
  }
  const errorText = [...errors].map(([name, count]) => `${name} ${count}`).join(', ') || 'none';
  return [
    `figures over ${traces.length} lookups: latency p50 / p95 / p99 ${total?.p50.toFixed(1)} / ${total?.p95.toFixed(1)} / ${total?.p99.toFixed(1)} ms; ` +
      `${requests.toFixed(2)} HTTP requests per lookup; cache hit ratio ${(hits / traces.length).toFixed(2)}; errors by class: ${errorText}`,
  ];
}

export async function explainCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`usage: secrets-conformance ${USAGE}\n`);
    return 0;
  }
  const flags = parseFlags(args);
  const deployment = await readDeployment(flags.airflowConfig);
  const bridge = deploymentBridge(deployment);
  try {
    const chain = await deploymentChain(bridge, deployment);
    const traces: LookupTrace[] = [];
    for (let round = 0; round < flags.repeat; round += 1) traces.push(await runLookup(bridge, flags.subject));
    const first = traces[0] as LookupTrace;
    const customIndex = chain.backends.find((entry) => !entry.default)?.index ?? null;
    const hints = await hintsFor(bridge, first, flags.subject, deployment, customIndex);
    if (flags.openMetrics) {
      const text = renderOpenMetrics(lookupMetrics(traces, flags.subject));
      if (flags.openMetrics === '-') process.stdout.write(text);
      else await writeFile(flags.openMetrics, text);
    }
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({ subject: flags.subject, deployment: deployment.cfgPath, chain, traces: flags.showValue ? traces : traces.map(({ value: _value, ...rest }) => rest), hints }, null, 2)}\n`,
      );
    } else if (flags.openMetrics !== '-') {
      const lines = [
        `explain ${describeSubject(flags.subject)} in ${deployment.cfgPath}`,
        `Airflow 3.3.2, server side (scheduler, API server): ${airflowFunction(flags.subject)}${flags.subject.kind === 'config' ? '' : ' over [secrets] backend, then the environment, then the metastore (spec §2.2)'}`,
        '',
        ...traceLines(first, flags.subject, deployment, chain, flags.showValue),
        ...(traces.length > 1 ? ['', ...figureLines(traces)] : []),
        ...(hints.length > 0 ? ['', 'hints:', ...hints.map((hint) => `  - ${hint}`)] : []),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    const failing = first.steps.find((step) => step.outcome === 'error' && step.error);
    if (first.error)
      process.stderr.write(`${errorClassName(first.error.kind)}: ${describeSubject(flags.subject)}: ${oneLine(first.error.message ?? '')}\n`);
    else if (failing?.error) {
      const error = new UnavailableError(
        `${shortClass(failing.class)} failed the lookup of ${describeSubject(flags.subject)}: ${oneLine(failing.error.message ?? '')}`,
        {
          where: deployment.cfgPath,
          hint: 'see the trace above; `secrets-conformance doctor` checks the backend',
        },
      );
      process.stderr.write(`${errorClassName(failing.error.kind)}: ${error.oneLine().replace(/^UnavailableError: /, '')}\n`);
    }
    return first.found && !failing && !first.error ? 0 : 1;
  } finally {
    await bridge.stop();
    await stopCommandProcesses();
  }
}
