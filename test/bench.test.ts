import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestProfile, moduleOf, type CpuProfile } from '../bench/cpu-profile';
import { evaluateGoal, formatThreshold, GOALS, type Goal } from '../bench/goals';
import { breakDownCiRecord, latestCiRecord, type CiTimingRecord } from '../bench/harness-timing';
import { sampleInterleaved, UnexpectedAnswerError } from '../bench/interleaved-sampler';
import { startKeepAliveFront } from '../bench/keep-alive-front';
import { chooseAxis, renderLatencyChart, tickLabel, type LatencyChart } from '../bench/latency-chart';
import { reviewGoals } from '../bench/goal-review';
import type { TargetLatency } from '../bench/lookup-latency';
import { parseBenchFlags } from '../bench/main';
import { renderBenchMarkdown, type BenchResult } from '../bench/report';
import { ratio, rotate, summarize } from '../bench/stats';
import { percentile } from '../reports/statistics';
import { escapeXml, formatDuration } from '../reports/text';
import { startTcpCountingProxy } from '../bench/tcp-counting-proxy';
import { UsageError } from '../cli/usage-error';

describe('bench statistics', () => {
  it('takes percentiles by nearest rank, the same as the certificate: always a measured value', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([7], 99)).toBe(7);
    const hundred = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(hundred, 0)).toBe(1);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile(hundred, 99)).toBe(99);
  });

  it('refuses percentiles of nothing or outside 0..100', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });

  it("summarises unsorted samples without reordering the caller's array", () => {
    const samples = [5, 1, 4, 2, 3];
    const summary = summarize(samples);
    expect(summary).toMatchObject({ samples: 5, p50Ms: 3, minMs: 1, maxMs: 5, meanMs: 3 });
    expect(summary.p99Ms).toBe(5);
    expect(samples).toEqual([5, 1, 4, 2, 3]);
  });

  it('answers null for a ratio with a missing or non-positive denominator', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(null, 2)).toBeNull();
    expect(ratio(3, undefined)).toBeNull();
    expect(ratio(3, 0)).toBeNull();
    expect(ratio(Number.POSITIVE_INFINITY, 2)).toBeNull();
  });

  it('rotates the path order by one per round', () => {
    expect(rotate(['a', 'b', 'c'], 0)).toEqual(['a', 'b', 'c']);
    expect(rotate(['a', 'b', 'c'], 1)).toEqual(['b', 'c', 'a']);
    expect(rotate(['a', 'b', 'c'], 5)).toEqual(['c', 'a', 'b']);
    expect(rotate([], 3)).toEqual([]);
  });

  it('formats durations in the unit that reads best', () => {
    expect(formatDuration(0.0000005)).toBe('1 ns');
    expect(formatDuration(0.00085)).toBe('850 ns');
    expect(formatDuration(0.0123)).toBe('12.3 µs');
    expect(formatDuration(4.567)).toBe('4.57 ms');
    expect(formatDuration(2100)).toBe('2.10 s');
  });
});

describe('bench goals', () => {
  const atMost: Goal = { id: 'x', text: 'x', comparison: 'at-most', threshold: 1.1, unit: 'ratio' };

  it('meets an at-most goal on the threshold and misses it above', () => {
    expect(evaluateGoal(atMost, 'env', 1.1).status).toBe('met');
    expect(evaluateGoal(atMost, 'env', 1.11).status).toBe('missed');
  });

  it('misses a below goal on the threshold itself', () => {
    expect(evaluateGoal(GOALS.cacheHitMedian, 'env', 0.0049).status).toBe('met');
    expect(evaluateGoal(GOALS.cacheHitMedian, 'env', 0.005).status).toBe('missed');
  });

  it('meets an at-least goal on the threshold and misses it below', () => {
    expect(evaluateGoal(GOALS.cacheHitSpeedup, 'vault', 100).status).toBe('met');
    expect(evaluateGoal(GOALS.cacheHitSpeedup, 'vault', 99.9).status).toBe('missed');
  });

  it('reports a missing figure as not measured, with the reason', () => {
    const outcome = evaluateGoal(GOALS.warmVaultTest, 'npm test', null, 'not measured: skipped');
    expect(outcome).toMatchObject({ status: 'not measured', measured: null, note: 'not measured: skipped' });
    expect(evaluateGoal(GOALS.warmVaultTest, 'npm test', Number.NaN).status).toBe('not measured');
  });

  it('states thresholds with their sign and unit', () => {
    expect(formatThreshold(GOALS.referenceOverhead)).toBe('≤ 1.10x');
    expect(formatThreshold(GOALS.cacheHitMedian)).toBe('< 5.00 µs');
    expect(formatThreshold(GOALS.connectionReuse)).toBe('≤ 2');
    expect(formatThreshold(GOALS.cacheHitSpeedup)).toBe('≥ 100x');
  });
});

describe('interleaved sampling', () => {
  function fakeClock() {
    let now = 0;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  }

  it('runs every path once per round, starting one later each round, and keeps no warm-up samples', async () => {
    const clock = fakeClock();
    const order: string[] = [];
    const path = (id: string, cost: number) => ({
      id,
      expected: 'v',
      call: () => {
        order.push(id);
        clock.advance(cost);
        return 'v';
      },
    });
    const sampled = await sampleInterleaved([path('a', 1), path('b', 2), path('c', 3)], {
      warmupRounds: 1,
      rounds: 2,
      budgetMs: 1_000,
      now: clock.now,
    });
    expect(order).toEqual(['a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b']);
    expect(sampled).toEqual({ samplesMs: { a: [1, 1], b: [2, 2], c: [3, 3] }, rounds: 2, stoppedBy: 'rounds' });
  });

  it('times an async answer to its resolution and calls afterEach for kept samples only', async () => {
    const clock = fakeClock();
    const seen: number[] = [];
    const slow = {
      id: 'slow',
      expected: 'v',
      call: async () => {
        await Promise.resolve();
        clock.advance(5);
        return 'v';
      },
      afterEach: (elapsed: number) => seen.push(elapsed),
    };
    await sampleInterleaved([slow], { warmupRounds: 2, rounds: 3, budgetMs: 1_000, now: clock.now });
    expect(seen).toEqual([5, 5, 5]);
  });

  it('lets callbacks a path left behind run before the next call only after a path with an I/O tail', async () => {
    const run = async (ioTail: boolean) => {
      let tailDone = false;
      const client = { id: 'client', expected: 1, ioTail, call: () => (setImmediate(() => (tailDone = true)), 1) };
      const next = { id: 'next', expected: true, call: () => tailDone };
      return sampleInterleaved([client, next], { warmupRounds: 0, rounds: 1, budgetMs: 1_000 });
    };
    await expect(run(true)).resolves.toMatchObject({ rounds: 1 });
    await expect(run(false)).rejects.toBeInstanceOf(UnexpectedAnswerError);
  });

  it('stops at the time bound with the rounds it finished', async () => {
    const clock = fakeClock();
    const sampled = await sampleInterleaved([{ id: 'a', expected: 1, call: () => (clock.advance(10), 1) }], {
      warmupRounds: 0,
      rounds: 1_000,
      budgetMs: 35,
      now: clock.now,
    });
    expect(sampled.stoppedBy).toBe('time');
    expect(sampled.rounds).toBe(4);
  });

  it('stops on an answer other than the seeded value, without repeating the answer', async () => {
    const wrong = { id: 'wrong', expected: 'seeded', call: () => 'cnry-leaked-value' };
    const error = await sampleInterleaved([wrong], { warmupRounds: 0, rounds: 1, budgetMs: 1_000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnexpectedAnswerError);
    expect((error as Error).message).toContain('"wrong"');
    expect((error as Error).message).not.toContain('cnry-leaked-value');
  });
});

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

describe('CPU profile digest', () => {
  it('names the package, the project file or the built-in a script belongs to', () => {
    expect(moduleOf('file:///work/main/node_modules/axios/lib/core/Axios.js')).toBe('axios');
    expect(moduleOf('file:///work/main/node_modules/@smithy/core/dist-cjs/index.js')).toBe('@smithy/core');
    expect(moduleOf('file:///work/main/backends/vault.ts')).toBe('backends/vault.ts');
    expect(moduleOf('node:internal/process/task_queues')).toBe('node:internal');
    expect(moduleOf('')).toBe('(V8 native code, GC)');
  });

  it('shares busy samples by module and function, leaving idle time out', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });
    const profile: CpuProfile = {
      startTime: 0,
      endTime: 1,
      nodes: [
        { id: 1, hitCount: 50, callFrame: frame('(idle)', '') },
        { id: 2, hitCount: 30, callFrame: frame('read', 'file:///r/backends/vault.ts') },
        { id: 3, hitCount: 10, callFrame: frame('request', 'file:///r/node_modules/axios/lib/a.js') },
        { id: 4, hitCount: 10, callFrame: frame('', 'file:///r/node_modules/axios/lib/b.js') },
        { id: 5, hitCount: 0, callFrame: frame('never', 'file:///r/backends/vault.ts') },
      ],
    };
    const digest = digestProfile(profile);
    expect(digest.busyShare).toBe(0.5);
    expect(digest.modules).toEqual([
      { name: 'backends/vault.ts', share: 0.6 },
      { name: 'axios', share: 0.4 },
    ]);
    expect(digest.functions[0]).toEqual({ name: 'read (backends/vault.ts:10)', share: 0.6 });
    expect(digest.functions.map((one) => one.name)).toContain('(anonymous) (axios:10)');
  });
});

describe('cold CI records', () => {
  const record: CiTimingRecord = {
    startedAt: '2026-11-28T03:00:00Z',
    commit: 'abc',
    exitCode: 0,
    failedPhase: null,
    totalSeconds: 900,
    phases: [
      { phase: 'install: npm ci', seconds: 100, completed: true },
      { phase: 'install: servers', seconds: 400, completed: true },
      { phase: 'typecheck', seconds: 20, completed: true },
      { phase: 'tests', seconds: 380, completed: true },
    ],
    testServers: {
      provisioning: 'auto',
      servers: [
        { name: 'vault', status: 'started', startMs: 900 },
        { name: 'moto', status: 'started', startMs: 1_500 },
        { name: 'toxiproxy', status: 'unavailable', reason: 'not run' },
      ],
    },
  };

  it('breaks a record down into install, server start and suites', () => {
    expect(breakDownCiRecord(record, 'r.json')).toMatchObject({
      passed: true,
      installSeconds: 500,
      typecheckSeconds: 20,
      serverStartSeconds: 1.5,
      suitesSeconds: 378.5,
      totalSeconds: 900,
    });
  });

  it('says which phase failed and leaves out what it cannot know', () => {
    const failed = breakDownCiRecord(
      { ...record, exitCode: 1, failedPhase: 'tests', testServers: null, phases: record.phases.slice(0, 3) },
      'r.json',
    );
    expect(failed).toMatchObject({ passed: false, failedPhase: 'tests', serverStartSeconds: null, suitesSeconds: null });
  });

  it('reads the newest record of a folder, and nothing from an empty one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-ci-'));
    try {
      expect(await latestCiRecord(dir)).toBeNull();
      await writeFile(join(dir, '20261128T010000Z-1.json'), JSON.stringify({ ...record, commit: 'older' }));
      await writeFile(join(dir, '20261128T020000Z-2.json'), JSON.stringify({ ...record, commit: 'newer' }));
      await writeFile(join(dir, '20261128T030000Z-3.json.tmp'), '{');
      expect((await latestCiRecord(dir))?.commit).toBe('newer');
      expect(await latestCiRecord(join(dir, 'missing'))).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('bench flags', () => {
  it('runs everything but the cold CI by default', () => {
    expect(parseBenchFlags([])).toEqual({ coldCi: false, harness: true, families: ['env', 'local', 'vault', 'aws', 'kubernetes', 'airflow'] });
    expect(parseBenchFlags(['--cold-ci', '--skip-harness', '--families=vault,env'])).toEqual({
      coldCi: true,
      harness: false,
      families: ['vault', 'env'],
    });
  });

  it('refuses unknown flags and families as usage errors', () => {
    expect(() => parseBenchFlags(['--fast'])).toThrow(UsageError);
    expect(() => parseBenchFlags(['--families=vault,gcp'])).toThrow(/not gcp/);
    expect(() => parseBenchFlags(['--families='])).toThrow(UsageError);
  });
});

describe('connection counting on 127.0.0.1', () => {
  let closingServer: Server;
  let upstream: string;

  beforeAll(async () => {
    // Answers like moto's Werkzeug: every response asks to close the connection.
    closingServer = createServer((incoming, outgoing) => {
      incoming.resume();
      incoming.on('end', () => outgoing.writeHead(200, { connection: 'close', 'content-type': 'text/plain' }).end('ok'));
    });
    await new Promise<void>((resolve) => closingServer.listen(0, '127.0.0.1', () => resolve()));
    upstream = `http://127.0.0.1:${(closingServer.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => closingServer.close(() => resolve()));
  });

  function get(url: string, agent: Agent): Promise<string> {
    return new Promise((resolve, reject) => {
      const sent = request(url, { agent }, (answer) => {
        let body = '';
        answer.setEncoding('utf8');
        answer.on('data', (chunk: string) => (body += chunk));
        answer.on('end', () => resolve(body));
      });
      sent.on('error', reject);
      sent.end();
    });
  }

  it('counts one connection per request against a server that closes each one', async () => {
    const proxy = await startTcpCountingProxy(upstream);
    const agent = new Agent({ keepAlive: true });
    try {
      for (let index = 0; index < 5; index += 1) expect(await get(proxy.url, agent)).toBe('ok');
      expect(proxy.connections).toBe(5);
    } finally {
      agent.destroy();
      await proxy.close();
    }
  });

  it("keeps one connection for a keep-alive client behind the front, counting the server's closes", async () => {
    const front = await startKeepAliveFront(upstream);
    const proxy = await startTcpCountingProxy(front.url);
    const keepAlive = new Agent({ keepAlive: true });
    const noKeepAlive = new Agent({ keepAlive: false });
    try {
      for (let index = 0; index < 5; index += 1) expect(await get(proxy.url, keepAlive)).toBe('ok');
      expect(proxy.connections).toBe(1);
      expect(front).toMatchObject({ requests: 5, serverCloses: 5 });
      for (let index = 0; index < 3; index += 1) expect(await get(proxy.url, noKeepAlive)).toBe('ok');
      expect(proxy.connections).toBe(4);
    } finally {
      keepAlive.destroy();
      noKeepAlive.destroy();
      await proxy.close();
      await front.close();
    }
  });

  it('forwards to this machine only', async () => {
    await expect(startTcpCountingProxy('http://example.com:80')).rejects.toThrow(/this machine only/);
  });
});
