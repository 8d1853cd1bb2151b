/** What the bench writes for a reader: the latency chart as SVG an XML parser accepts, and bench.md. */
import { describe, expect, it } from 'vitest';
import { chooseAxis, renderLatencyChart, tickLabel, type LatencyChart } from '../bench/latency-chart';
import { reviewGoals } from '../bench/goal-review';
import type { TargetLatency } from '../bench/lookup-latency';
import { renderBenchMarkdown, type BenchResult } from '../bench/report';
import { ratio, summarize } from '../bench/stats';
import { escapeXml } from '../reports/text';

/** Every tag closed in order, every `<` and `&` in text escaped: what an XML parser asks of the file. */
function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let match = tag.exec(xml); match; match = tag.exec(xml)) {
    const text = xml.slice(last, match.index);
    if (/[<>]/.test(text)) problems.push(`stray angle bracket before offset ${match.index}`);
    if (/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(text)) problems.push(`unescaped & before offset ${match.index}`);
    const [, closing, name = '', , selfClosing] = match;
    if (closing) {
      if (stack.pop() !== name) problems.push(`</${name}> closes the wrong element`);
    } else if (!selfClosing) stack.push(name);
    last = tag.lastIndex;
  }
  if (/[<>]/.test(xml.slice(last))) problems.push('stray angle bracket at the end');
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(', ')}`);
  return problems;
}

describe('latency chart', () => {
  const chart = (groups: LatencyChart['groups']): LatencyChart => ({
    title: 'Lookup latency <per> backend & path',
    subtitle: 'test',
    series: [
      { key: 'raw', label: '(a) raw "client"', colour: '#6b7280' },
      { key: 'reference', label: '(b) reference', colour: '#2563eb' },
    ],
    groups,
  });

  it('writes well-formed SVG with every label escaped', () => {
    const svg = renderLatencyChart(
      chart([
        {
          label: 'vault<kv2>&co',
          bars: [
            { series: 'raw', p50Ms: 2, p99Ms: 5 },
            { series: 'reference', p50Ms: 2.2, p99Ms: 6 },
          ],
        },
        {
          label: 'env',
          bars: [
            { series: 'raw', p50Ms: 0.001, p99Ms: 0.002 },
            { series: 'reference', p50Ms: null, p99Ms: null, missing: 'not run: no <server>' },
          ],
        },
      ]),
    );
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('vault&lt;kv2&gt;&amp;co');
    expect(svg).toContain('not run: no &lt;server&gt;');
    expect(svg).toContain('(a) raw &quot;client&quot;');
    // One bar per figure: three bars drawn, the missing one written as text.
    expect(svg.match(/<rect class="bar"/g)).toHaveLength(3);
    expect(svg).toContain('logarithmic axis');
  });

  it('finds the checker able to fail', () => {
    expect(xmlProblems('<svg><text>a < b & c</text></svg>')).toHaveLength(2);
    expect(xmlProblems('<svg><g></svg>')).not.toEqual([]);
  });

  it('takes a log axis in decades when the figures span more than the spread limit', () => {
    const axis = chooseAxis([0.001, 0.5, 7]);
    expect(axis.scale).toBe('log');
    expect(axis.ticksMs).toEqual([0.001, 0.01, 0.1, 1, 10]);
    expect(axis.position(0.001)).toBe(0);
    expect(axis.position(10)).toBe(1);
    expect(axis.position(0.1)).toBeCloseTo(0.5, 10);
  });

  it('keeps a linear axis from zero when the figures are close together', () => {
    const axis = chooseAxis([2, 3, 7]);
    expect(axis.scale).toBe('linear');
    expect(axis.ticksMs[0]).toBe(0);
    expect(axis.maxMs).toBeGreaterThanOrEqual(7);
    expect(axis.position(axis.maxMs / 2)).toBeCloseTo(0.5, 10);
    const svg = renderLatencyChart(
      chart([
        {
          label: 'a',
          bars: [
            { series: 'raw', p50Ms: 2, p99Ms: 3 },
            { series: 'reference', p50Ms: 7, p99Ms: null },
          ],
        },
      ]),
    );
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg).not.toContain('logarithmic');
  });

  it('labels ticks without trailing zeros', () => {
    expect([0, 0.0001, 0.001, 0.01, 1, 2.5, 1000].map(tickLabel)).toEqual(['0', '100 ns', '1 µs', '10 µs', '1 ms', '2.5 ms', '1 s']);
  });

  it('escapes all five XML specials', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});

describe('bench.md', () => {
  const latency = (target: string, raw: number, reference: number): TargetLatency => ({
    target,
    airflowTwin: null,
    paths: [
      { path: 'raw', what: 'raw read', latency: summarize([raw]) },
      { path: 'reference', what: 'Backend.getVariable', latency: summarize([reference]) },
      { path: 'cache-hit', what: 'hit', latency: summarize([0.001]) },
      { path: 'airflow', what: '', latency: null, notRun: 'not run: no Airflow twin reads the layout' },
    ],
    ratios: { referenceOverRaw: ratio(reference, raw), cacheHitOverReference: ratio(0.001, reference), airflowOverReference: null },
    bridge: null,
    referenceBesideAirflow: null,
    passes: { direct: { rounds: 1, stoppedBy: 'rounds' }, cacheHit: { rounds: 1, stoppedBy: 'rounds' }, bridged: null },
    warmupRounds: 0,
    referenceRequestsPerLookup: null,
  });
  const result = (targets: TargetLatency[]): BenchResult => {
    const inputs = { latency: targets, connectionReuse: [], warmTests: [], warmTestsNote: 'not measured: skipped', nativeStarts: [] };
    return {
      schemaVersion: 1,
      runId: 'r1',
      startedAt: 'start',
      finishedAt: 'end',
      durationMs: 1,
      machine: { cpus: 2, cpuModel: 'cpu', memoryGiB: 1, node: '20', loadAverageAtStart: [0], loadAverageAtEnd: [0] },
      options: { coldCi: false, harness: false, families: [] },
      valueBytes: 10,
      servers: { provisioning: 'native', unavailable: {} },
      latency: targets,
      connectionReuse: [],
      batch: {
        variables: 0,
        rounds: 0,
        batchCalls: null,
        singleCalls: null,
        batchRound: null,
        singleRound: null,
        singleOverBatch: null,
        notRun: 'not run: test',
      },
      harness: {
        warmTests: [],
        warmTestsNote: 'not measured: skipped',
        coldCi: null,
        coldCiNote: 'not measured yet: run bash .ci/run',
        serverStarts: [],
      },
      goals: reviewGoals(inputs),
      chartPng: '',
    };
  };

  it('shows every goal with its figure and says a shared reason for a missed goal once', () => {
    const page = renderBenchMarkdown(result([latency('local-json', 0.1, 0.2), latency('local-yaml', 0.1, 0.3), latency('vault-kv2', 1, 1.05)]));
    const rows = page.split('\n').filter((line) => line.startsWith('| reference backend uncached within 1.10x'));
    expect(rows).toHaveLength(3);
    expect(rows.find((row) => row.includes('vault-kv2'))).toContain('| met |');
    expect(rows.find((row) => row.includes('local-yaml'))).toContain('**missed**');
    const reasons = page.split('\n').filter((line) => line.startsWith('- **reference backend uncached'));
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toContain('local-json 2.00x');
    expect(reasons[0]).toContain('local-yaml 3.00x');
    expect(page).toContain('not measured yet: run bash .ci/run');
  });
});
