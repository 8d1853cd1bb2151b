import { describe, expect, it } from 'vitest';
import { FakeClock } from '../model/clock';
import { ConfigurationError } from '../model/errors';
import { DEFAULT_CACHE_TTL_SECONDS, SecretCache } from '../model/secret-cache';

function enabledCache(ttlSeconds?: number) {
  const clock = new FakeClock();
  return { clock, cache: new SecretCache({ enabled: true, ttlSeconds, clock }) };
}

describe('SecretCache', () => {
  it("defaults to Airflow's 15 minute TTL", () => {
    expect(DEFAULT_CACHE_TTL_SECONDS).toBe(900);
    expect(new SecretCache({ enabled: true }).ttlSeconds).toBe(900);
  });

  it('serves a saved variable, and misses one never saved', () => {
    const { cache } = enabledCache();
    cache.saveVariable('greeting', 'hello');
    expect(cache.getVariable('greeting')).toEqual({ hit: true, value: 'hello' });
    expect(cache.getVariable('other')).toEqual({ hit: false });
  });

  it('is still a hit at exactly the TTL and a miss 1 ms later (strictly greater expires)', () => {
    const { cache, clock } = enabledCache(900);
    cache.saveVariable('k', 'v');
    cache.saveConnectionUri('c', 'http://h');
    clock.advanceSeconds(900);
    expect(cache.getVariable('k')).toEqual({ hit: true, value: 'v' });
    expect(cache.getConnectionUri('c')).toBe('http://h');
    clock.advance(1);
    expect(cache.getVariable('k')).toEqual({ hit: false });
    expect(cache.getConnectionUri('c')).toBeNull();
  });

  it('restarts the TTL when an expired entry is saved again', () => {
    const { cache, clock } = enabledCache(10);
    cache.saveVariable('k', 'old');
    clock.advanceSeconds(11);
    cache.saveVariable('k', 'new');
    clock.advanceSeconds(10);
    expect(cache.getVariable('k')).toEqual({ hit: true, value: 'new' });
  });

  it('caches a variable miss (null) as a hit carrying null', () => {
    const { cache } = enabledCache();
    cache.saveVariable('absent', null);
    expect(cache.getVariable('absent')).toEqual({ hit: true, value: null });
  });

  it('never caches a missing connection, and treats an empty stored URI as a miss', () => {
    const { cache } = enabledCache();
    cache.saveConnectionUri('none', null);
    cache.saveConnectionUri('empty', '');
    expect(cache.getConnectionUri('none')).toBeNull();
    expect(cache.getConnectionUri('empty')).toBeNull();
  });

  it('keeps variables and connections apart (__v_ and __c_ keys)', () => {
    const { cache } = enabledCache();
    cache.saveVariable('same_id', 'variable value');
    expect(cache.getConnectionUri('same_id')).toBeNull();
    cache.saveConnectionUri('same_id', 'mysql://h');
    expect(cache.getVariable('same_id')).toEqual({ hit: true, value: 'variable value' });
  });

  it('drops one variable on invalidate and everything on reset', () => {
    const { cache } = enabledCache();
    cache.saveVariable('a', '1');
    cache.saveVariable('b', '2');
    cache.saveConnectionUri('c', 'http://h');
    cache.invalidateVariable('a');
    expect(cache.getVariable('a')).toEqual({ hit: false });
    expect(cache.getVariable('b')).toEqual({ hit: true, value: '2' });
    cache.reset();
    expect(cache.getVariable('b')).toEqual({ hit: false });
    expect(cache.getConnectionUri('c')).toBeNull();
  });

  it('when disabled, drops every save and misses every get', () => {
    const cache = new SecretCache({ enabled: false, clock: new FakeClock() });
    cache.saveVariable('k', 'v');
    cache.saveVariable('n', null);
    cache.saveConnectionUri('c', 'http://h');
    expect(cache.getVariable('k')).toEqual({ hit: false });
    expect(cache.getVariable('n')).toEqual({ hit: false });
    expect(cache.getConnectionUri('c')).toBeNull();
  });

  it('refuses a TTL that is not a number', () => {
    expect(() => new SecretCache({ enabled: true, ttlSeconds: Number.NaN })).toThrow(ConfigurationError);
  });
});
