import { describe, expect, it } from 'vitest';
import { buildTargetFigures, latencyFigures, renderFiguresConsole, renderFiguresMarkdown } from '../reports/figures';
import type { CaseReport } from '../reports/model';
import {
  faultLookupMetric,
  LOOKUP_LATENCY,
  meaningOf,
  recoveryMetric,
  requestsMetric,
  TIME_TO_NEW_VALUE_CACHED,
  TIME_TO_NEW_VALUE_UNCACHED,
} from '../suites/measure';
import type { CaseMetric } from '../suites/suite';

function caseReport(target: string, name: string, metrics: CaseMetric[]): CaseReport {
  return { target, family: 'f', backendKind: 'B', suite: 's', level: 'resilience', case: name, rule: '§0', status: 'pass', durationMs: 1, metrics };
}

const ms = (metric: string, value: number): CaseMetric => ({ metric, value, unit: 'ms' });
const requests = (metric: string, value: number): CaseMetric => ({ metric, value, unit: 'requests' });

describe('resilience figures', () => {
  it('latency percentiles are nearest-rank over every healthy lookup', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(latencyFigures(values)).toEqual({ samples: 100, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(latencyFigures([9, 1, 5])).toEqual({ samples: 3, p50: 5, p95: 9, p99: 9, max: 9 });
    expect(latencyFigures([])).toBeNull();
  });

  it('reads every figure back from the metric names the suites record', () => {
    expect(meaningOf(faultLookupMetric('reset-peer'))).toEqual({ kind: 'fault-lookup', fault: 'reset-peer' });
    expect(meaningOf(requestsMetric('lookup under reset-peer'))).toEqual({ kind: 'fault-requests', fault: 'reset-peer' });
    expect(meaningOf(recoveryMetric('server-down'))).toEqual({ kind: 'recovery', fault: 'server-down' });
    expect(meaningOf(requestsMetric('cache hit'))).toEqual({ kind: 'requests', what: 'cache hit' });
    expect(meaningOf(TIME_TO_NEW_VALUE_UNCACHED)).toEqual({ kind: 'time-to-new-value', cached: false });
    expect(meaningOf('store write (env)')).toBeNull();
  });

  it('groups per target in report order, keeps the worst of each figure, and leaves out targets without any', () => {
    const cases = [
      caseReport('aws-sm', 'a', [ms(LOOKUP_LATENCY, 7), ms(faultLookupMetric('latency'), 800), requests(requestsMetric('lookup under latency'), 3)]),
      caseReport('vault-kv2', 'b', [
        ms(LOOKUP_LATENCY, 4),
        ms(LOOKUP_LATENCY, 12),
        ms(recoveryMetric('latency'), 5),
        ms(recoveryMetric('latency'), 9),
      ]),
      caseReport('vault-kv2', 'c', [requests(requestsMetric('cold connection lookup'), 2), ms(TIME_TO_NEW_VALUE_CACHED, 300_001)]),
      caseReport('env', 'd', [ms('store write (env)', 1)]),
    ];
    const figures = buildTargetFigures(cases, ['vault-kv2', 'env', 'aws-sm']);
    expect(figures.map((f) => f.target)).toEqual(['vault-kv2', 'aws-sm']);
    const [vault, aws] = figures;
    expect(vault?.lookupLatencyMs).toMatchObject({ samples: 2, p50: 4, p99: 12 });
    expect(vault?.faults).toEqual([{ fault: 'latency', lookupMs: null, attempts: null, recoveryMs: 9 }]);
    expect(vault?.requestsPer).toEqual({ 'cold connection lookup': 2 });
    expect(vault?.rotation).toEqual({ cachedMs: 300_001, uncachedMs: null });
    expect(aws?.faults).toEqual([{ fault: 'latency', lookupMs: 800, attempts: 3, recoveryMs: null }]);
  });

  it('renders a summary section and one console line per target, and nothing without figures', () => {
    const figures = buildTargetFigures(
      [
        caseReport('vault-kv2', 'b', [
          ms(LOOKUP_LATENCY, 4),
          ms(recoveryMetric('reset|peer'), 5),
          requests(requestsMetric('cold connection lookup'), 2),
        ]),
      ],
      [],
    );
    const markdown = renderFiguresMarkdown(figures).join('\n');
    expect(markdown).toContain('## Measured figures');
    expect(markdown).toContain('| vault-kv2 | 4 / 4 / 4 ms (1) |');
    expect(markdown).toContain('| vault-kv2 | reset\\|peer | – | – | 5 ms |');
    expect(renderFiguresConsole(figures)).toContain(
      '  vault-kv2  4 / 4 / 4 ms (1); recovery 5 ms (reset|peer, slowest of 1); 2 per cold connection lookup',
    );
    expect(renderFiguresMarkdown([])).toEqual([]);
    expect(renderFiguresConsole(undefined)).toEqual([]);
  });
});
