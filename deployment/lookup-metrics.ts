/**
 * The figures of `explain --repeat N` as OpenMetrics families: lookup latency percentiles per backend
 * and over the whole chain, errors by class, HTTP requests per lookup, the cache hit ratio.
 */
import { latencyFigures } from '../reports/figures';
import type { MetricFamily, MetricSample } from '../reports/openmetrics';
import { shortClass } from './deployment';
import { errorClassName, type LookupSubject, type LookupTrace } from './lookup-trace';

function summary(values: readonly number[], labels: Record<string, string>): MetricSample[] {
  const figures = latencyFigures(values);
  if (!figures) return [];
  const sum = values.reduce((total, value) => total + value, 0);
  return [
    { labels: { ...labels, quantile: '0.5' }, value: figures.p50 / 1000 },
    { labels: { ...labels, quantile: '0.95' }, value: figures.p95 / 1000 },
    { labels: { ...labels, quantile: '0.99' }, value: figures.p99 / 1000 },
    { suffix: '_count', labels, value: figures.samples },
    { suffix: '_sum', labels, value: sum / 1000 },
  ];
}

export function lookupMetrics(traces: readonly LookupTrace[], subject: LookupSubject): MetricFamily[] {
  const kind = subject.kind;
  const perBackend = new Map<string, number[]>();
  const errors = new Map<string, number>();
  for (const trace of traces) {
    for (const step of trace.steps) {
      if (!step.asked || step.ms === undefined) continue;
      const backend = shortClass(step.class);
      perBackend.set(backend, [...(perBackend.get(backend) ?? []), step.ms]);
      if (step.outcome === 'error' && step.error) {
        const key = `${backend}\0${errorClassName(step.error.kind)}`;
        errors.set(key, (errors.get(key) ?? 0) + 1);
      }
    }
  }
  const outcomes = new Map<string, number>();
  for (const trace of traces) {
    const outcome = trace.found ? (trace.served_by === 'cache' ? 'cache' : 'found') : 'not_found';
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  const hits = traces.filter((trace) => trace.served_by === 'cache').length;
  return [
    {
      name: 'airflow_secrets_lookup_duration_seconds',
      type: 'summary',
      unit: 'seconds',
      help: "Time of one lookup through the deployment's search path (backend=search_path) and in each backend asked.",
      samples: [
        ...summary(
          traces.map((trace) => trace.ms),
          { backend: 'search_path', kind },
        ),
        ...[...perBackend].flatMap(([backend, values]) => summary(values, { backend, kind })),
      ],
    },
    {
      name: 'airflow_secrets_lookups',
      type: 'counter',
      help: 'Lookups by outcome: found in a backend, answered by the cache, not found.',
      samples: [...outcomes].map(([outcome, value]) => ({ suffix: '_total', labels: { kind, outcome }, value })),
    },
    {
      name: 'airflow_secrets_backend_errors',
      type: 'counter',
      help: 'Backend failures Airflow logged and skipped, by backend and error class.',
      samples: [...errors].map(([key, value]) => {
        const [backend = '', errorClass = ''] = key.split('\0');
        return { suffix: '_total', labels: { backend, error_class: errorClass, kind }, value };
      }),
    },
    {
      name: 'airflow_secrets_requests_per_lookup',
      type: 'gauge',
      help: 'HTTP requests sent per lookup (mean over the lookups), every backend and retry included.',
      samples: traces.length > 0 ? [{ labels: { kind }, value: traces.reduce((sum, trace) => sum + trace.requests, 0) / traces.length }] : [],
    },
    {
      name: 'airflow_secrets_cache_hit_ratio',
      type: 'gauge',
      help: "Share of lookups Airflow's SecretCache answered without asking a backend.",
      samples: traces.length > 0 ? [{ labels: { kind }, value: hits / traces.length }] : [],
    },
  ];
}
