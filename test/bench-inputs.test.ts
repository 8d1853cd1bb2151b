/** What the bench reads besides its own samples: CPU profiles, the records of cold CI runs, and its command line. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestProfile, moduleOf, type CpuProfile } from '../bench/cpu-profile';
import { breakDownCiRecord, latestCiRecord, type CiTimingRecord } from '../bench/harness-timing';
import { parseBenchFlags } from '../bench/main';
import { UsageError } from '../cli/usage-error';

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
