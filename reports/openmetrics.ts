/**
 * OpenMetrics text (the format Prometheus and other monitoring systems scrape): one writer for every
 * figure the project exports, from `explain --repeat N` and from a conformance run (`figures.openmetrics`
 * in the run's report folder). Names follow the exposition rules: a family's samples carry its name plus
 * a suffix (`_total`, `_count`, `_sum`), label values are escaped, and the text ends with `# EOF`.
 */
import type { RunReport } from './model';

export interface MetricSample {
  /** Appended to the family name: `_total`, `_count`, `_sum`, or nothing. */
  readonly suffix?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly type: 'gauge' | 'counter' | 'summary' | 'unknown';
  readonly help: string;
  readonly unit?: string;
  readonly samples: readonly MetricSample[];
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(12)));
}

export function renderOpenMetrics(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (family.samples.length === 0) continue;
    lines.push(`# TYPE ${family.name} ${family.type}`);
    if (family.unit) lines.push(`# UNIT ${family.name} ${family.unit}`);
    lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels)
        .map(([name, value]) => `${name}="${escapeLabel(value)}"`)
        .join(',');
      lines.push(`${family.name}${sample.suffix ?? ''}${labels ? `{${labels}}` : ''} ${formatValue(sample.value)}`);
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

/** The class a one-line error starts with (`ForbiddenError: ...`), or `other`. */
function errorClassOf(line: string | undefined): string {
  const match = /^([A-Za-z]+Error)\b/.exec(line ?? '');
  return match?.[1] ?? 'other';
}

/**
 * A conformance run's figures: lookup latency percentiles and requests per kind of lookup per target,
 * the failing cases by error class, and cases by status.
 */
export function renderRunOpenMetrics(report: RunReport): string {
  const latency: MetricSample[] = [];
  const requests: MetricSample[] = [];
  for (const figures of report.figures ?? []) {
    const l = figures.lookupLatencyMs;
    if (l) {
      for (const [quantile, ms] of [
        ['0.5', l.p50],
        ['0.95', l.p95],
        ['0.99', l.p99],
      ] as const) {
        latency.push({ labels: { target: figures.target, quantile }, value: ms / 1000 });
      }
      latency.push({ suffix: '_count', labels: { target: figures.target }, value: l.samples });
    }
    for (const [what, count] of Object.entries(figures.requestsPer))
      requests.push({ labels: { target: figures.target, lookup: what }, value: count });
  }
  const errors = new Map<string, number>();
  const statuses = new Map<string, number>();
  for (const entry of report.cases) {
    const statusKey = `${entry.target}\0${entry.status}`;
    statuses.set(statusKey, (statuses.get(statusKey) ?? 0) + 1);
    if (entry.status !== 'fail') continue;
    const key = `${entry.target}\0${errorClassOf(entry.error)}`;
    errors.set(key, (errors.get(key) ?? 0) + 1);
  }
  return renderOpenMetrics([
    {
      name: 'asc_lookup_latency_seconds',
      type: 'summary',
      unit: 'seconds',
      help: 'Lookup latency over healthy lookups of the conformance cases (nearest-rank percentiles).',
      samples: latency,
    },
    { name: 'asc_requests_per_lookup', type: 'gauge', help: 'Upstream requests one lookup sent (worst seen), by kind of lookup.', samples: requests },
    {
      name: 'asc_case_errors',
      type: 'counter',
      help: 'Failing conformance cases by the class of their error.',
      samples: [...errors].map(([key, value]) => {
        const [target = '', errorClass = ''] = key.split('\0');
        return { suffix: '_total', labels: { target, error_class: errorClass }, value };
      }),
    },
    {
      name: 'asc_cases',
      type: 'gauge',
      help: 'Conformance cases by status.',
      samples: [...statuses].map(([key, value]) => {
        const [target = '', status = ''] = key.split('\0');
        return { labels: { target, status }, value };
      }),
    },
  ]);
}
