import { describe, expect, it } from 'vitest';
import { parseLoadFlags } from '../bench/main';
import { leaksBetween, snapshot, SOAK_NOISE } from '../bench/soak';
import { UsageError } from '../cli/usage-error';

describe('npm run bench -- --load', () => {
  it('takes the herd size and the soak length, and nothing of the ordinary bench', () => {
    expect(parseLoadFlags([])).toBeNull();
    expect(parseLoadFlags(['--load'])).toEqual({ lookups: 200, soakSeconds: 180 });
    expect(parseLoadFlags(['--load', '--lookups=50', '--soak-seconds=0'])).toEqual({ lookups: 50, soakSeconds: 0 });
    expect(() => parseLoadFlags(['--load', '--lookups=0'])).toThrow(UsageError);
    expect(() => parseLoadFlags(['--load', '--skip-harness'])).toThrow(/does not go with --load/);
  });
});

describe('the soak', () => {
  it("reads this process's descriptors, sockets, memory and children from /proc", () => {
    const shot = snapshot();
    expect(shot.fds).toBeGreaterThan(2);
    expect(shot.sockets).toBeLessThanOrEqual(shot.fds);
    expect(shot.rssMiB).toBeGreaterThan(10);
    expect(shot.heapMiB).toBeGreaterThan(0);
    expect(shot.heapMiB).toBeLessThan(shot.rssMiB);
    expect(shot.children).toBeGreaterThanOrEqual(0);
  });

  it('calls growth beyond noise a leak, with the numbers, and growth within it nothing', () => {
    const before = { fds: 40, sockets: 10, heapMiB: 30, rssMiB: 100, children: 2, childFds: 60 };
    expect(leaksBetween(before, { ...before, fds: 40 + SOAK_NOISE.fds, heapMiB: 40, rssMiB: 150 })).toEqual([]);
    expect(leaksBetween(before, { ...before, sockets: 200, children: 3 })).toEqual([
      `sockets 10 → 200 (+190, noise ${SOAK_NOISE.sockets})`,
      'children 2 → 3 (+1, noise 0)',
    ]);
  });
});
