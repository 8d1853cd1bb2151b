/**
 * Assertions that never print a secret. vitest's `expect(a).toBe(b)` would put both values in the
 * failure message, and from there in the console, JUnit and the certificate. These compare values
 * and, on mismatch, describe them by length, a short fingerprint and the first differing position.
 */
import { createHash } from 'node:crypto';
import type { Connection } from '../model/connection/connection';
import { SecretsError } from '../model/errors';

export class SecretAssertionError extends Error {
  override name = 'AssertionError';
}

/** `len 12, sha256 1a2b3c4d`: enough to tell two values apart, nothing to recover one. */
export function fingerprint(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  // JSON.stringify refuses a bigint (a port past 2^53); its digits serve as well.
  const text = typeof value === 'string' ? value : typeof value === 'bigint' ? value.toString() : JSON.stringify(value);
  const digest = createHash('sha256').update(String(text)).digest('hex').slice(0, 8);
  return `${typeof value} len ${String(text).length}, sha256 ${digest}`;
}

function firstDifference(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) if (a[i] !== b[i]) return i;
  return n;
}

/** Fails unless `actual === expected`; `what` names the value (`variable "x"`), never shows it. */
export function expectSecret(actual: unknown, expected: string | null, what: string): void {
  if (actual === expected) return;
  let detail = `got ${fingerprint(actual)}, expected ${fingerprint(expected)}`;
  if (typeof actual === 'string' && typeof expected === 'string') {
    detail += `, first difference at index ${firstDifference(actual, expected)}`;
  }
  throw new SecretAssertionError(`${what}: value differs (${detail})`);
}

/** Fails unless the value is `null` (not found). */
export function expectNotFound(actual: unknown, what: string): void {
  if (actual === null) return;
  throw new SecretAssertionError(`${what}: expected not found (null), got ${fingerprint(actual)}`);
}

export type ExpectedConnection = Partial<Record<'connType' | 'host' | 'login' | 'password' | 'schema' | 'port' | 'extra', unknown>>;

/**
 * Compares the listed connection fields. `extra` is compared as parsed JSON (`extraDejson`);
 * fields not listed are not checked.
 */
export function expectConnection(actual: Connection | null, expected: ExpectedConnection, what: string): void {
  if (actual === null) throw new SecretAssertionError(`${what}: expected a connection, got not found (null)`);
  const differing: string[] = [];
  for (const [field, want] of Object.entries(expected)) {
    const got = field === 'extra' ? actual.extraDejson : (actual as unknown as Record<string, unknown>)[field];
    const same = field === 'extra' ? canonicalJson(got) === canonicalJson(want ?? {}) : got === want;
    if (!same) differing.push(`${field} (got ${fingerprint(got)}, expected ${fingerprint(want)})`);
  }
  if (differing.length > 0) throw new SecretAssertionError(`${what}: fields differ: ${differing.join('; ')}`);
}

/** JSON with object keys sorted: Python compares dicts regardless of order, and stores (Vault) may reorder keys. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) =>
    member !== null && typeof member === 'object' && !Array.isArray(member)
      ? Object.fromEntries(Object.entries(member as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : member,
  );
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Fails unless `promise` rejects with an instance of `errorClass`, and checks that the message
 * contains none of `secrets`. Returns the error for further checks.
 */
export async function expectRejects<E extends Error>(
  promise: Promise<unknown>,
  errorClass: ErrorClass & { prototype: E },
  what: string,
  secrets: readonly string[] = [],
): Promise<E> {
  let outcome: { error: unknown } | { value: unknown };
  try {
    outcome = { value: await promise };
  } catch (error) {
    outcome = { error };
  }
  if ('value' in outcome) {
    throw new SecretAssertionError(`${what}: expected ${errorClass.name}, got a value (${fingerprint(outcome.value)})`);
  }
  const error = outcome.error;
  const refusedByHarness = harnessRefusal(error);
  if (refusedByHarness) {
    throw new SecretAssertionError(
      `${what}: expected the backend to raise ${errorClass.name}; it raised nothing and returned a connection that is not Airflow's: ${refusedByHarness.message}`,
    );
  }
  if (!(error instanceof errorClass)) {
    const name = error instanceof Error ? error.name : typeof error;
    throw new SecretAssertionError(`${what}: expected ${errorClass.name}, got ${name}`);
  }
  expectNoSecretIn(error, secrets, what);
  return error as E;
}

/** The harness's refusal of a value the backend returned, anywhere in the cause chain (see `raisedByHarness`). */
function harnessRefusal(error: unknown): SecretsError | null {
  for (let inner: unknown = error, depth = 0; inner instanceof Error && depth < 5; inner = inner.cause, depth += 1) {
    if (inner instanceof SecretsError && inner.raisedByHarness) return inner;
  }
  return null;
}

/** Fails if any secret appears in the error's message, one-line form, hint or cause chain. */
export function expectNoSecretIn(error: unknown, secrets: readonly string[], what: string): void {
  const texts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth += 1) {
    texts.push(current.message, String(current.stack ?? ''));
    if (current instanceof SecretsError) texts.push(current.oneLine());
    current = current.cause;
  }
  for (let inner: unknown = error, depth = 0; inner instanceof Error && depth < 5; inner = inner.cause, depth += 1) {
    if (inner instanceof SecretsError && inner.credentialWithheld) {
      throw new SecretAssertionError(
        `${what}: the backend's error message carried a credential (withheld by the harness; Airflow would log it as is)`,
      );
    }
  }
  for (const secret of secrets) {
    if (secret && texts.some((t) => t.includes(secret))) {
      throw new SecretAssertionError(`${what}: the error message contains a secret value (${fingerprint(secret)})`);
    }
  }
}
