import { describe, expect, it } from 'vitest';
import { firstErrorLine } from '../model/errors';
import { expectDeclaredFinding } from '../suites/findings';

describe('known findings', () => {
  it('a declared finding that fails as declared gives what was observed', async () => {
    const failing = Promise.reject(new TypeError('expected ForbiddenError, got UnauthorizedError\nmore detail'));
    await expect(expectDeclaredFinding(failing, 'maps 403 to auth errors', 'airflow:vault')).resolves.toEqual({
      reason: 'maps 403 to auth errors',
      observed: 'TypeError: expected ForbiddenError, got UnauthorizedError',
    });
  });

  it('a declared finding that passes fails, naming the target whose list is out of date', async () => {
    await expect(expectDeclaredFinding(Promise.resolve(), 'maps 403 to auth errors', 'airflow:vault')).rejects.toThrow(
      /no longer reproduces.*airflow:vault's knownFindings/,
    );
  });

  it('first error lines skip blank lines and keep the error name', () => {
    expect(firstErrorLine(new RangeError('\n  out of range  \nsecond'))).toBe('RangeError: out of range');
    expect(firstErrorLine('plain')).toBe('plain');
  });
});
