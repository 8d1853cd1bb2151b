/**
 * The closed set of errors a secrets backend may raise.
 *
 * "Not found" is never an error: a backend returns `null` so the search path asks the next
 * backend (Airflow's `None`). Everything else is one of the classes below, so a suite can assert
 * the class and not just "something failed".
 *
 * A message names what was looked up and where, and never contains a secret value: messages end
 * up in logs, reports and certificates. `hint` says what to do next.
 */

export type ErrorKind = 'unauthorized' | 'forbidden' | 'unavailable' | 'timeout' | 'throttled' | 'malformed' | 'invalid-name' | 'configuration';

export interface ErrorDetails {
  /** What was being looked up or parsed, e.g. `connection "my_db"`. Never a value. */
  what?: string;
  /** Where: a server address, a file path, a backend kwarg. */
  where?: string;
  /** One sentence on how to fix it. */
  hint?: string;
  cause?: unknown;
  /**
   * The backend's own message carried a credential, which the harness withheld before anyone saw it:
   * the backend would have logged it as is, so a case that checks messages fails it.
   */
  credentialWithheld?: boolean;
  /**
   * The backend raised nothing: it returned a value (a connection it built) that the harness refused
   * as Airflow's types would. The error stops the lookup, but it is not the backend's refusal, so a
   * case that expects the backend to raise fails it.
   */
  raisedByHarness?: boolean;
}

export abstract class SecretsError extends Error {
  abstract readonly kind: ErrorKind;
  readonly what: string | undefined;
  readonly where: string | undefined;
  readonly hint: string | undefined;
  readonly credentialWithheld: boolean;
  readonly raisedByHarness: boolean;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.what = details.what;
    this.where = details.where;
    this.hint = details.hint;
    this.credentialWithheld = details.credentialWithheld ?? false;
    this.raisedByHarness = details.raisedByHarness ?? false;
  }

  /** The single line a user sees: `ForbiddenError: ... (where); hint: ...`. */
  oneLine(): string {
    const where = this.where ? ` (${this.where})` : '';
    const hint = this.hint ? `; hint: ${this.hint}` : '';
    return `${this.name}: ${this.message}${where}${hint}`.replace(/\s*\n\s*/g, ' ');
  }
}

/** Credentials missing, wrong or expired (HTTP 401, Vault "permission denied" on login, bad SigV4). */
export class UnauthorizedError extends SecretsError {
  readonly kind = 'unauthorized';
}

/** Authenticated, but the policy does not allow reading this path (HTTP 403, AccessDenied). */
export class ForbiddenError extends SecretsError {
  readonly kind = 'forbidden';
}

/** The server cannot be reached or answered with a server-side failure (refused, reset, 5xx). */
export class UnavailableError extends SecretsError {
  readonly kind = 'unavailable';
}

/** No answer within the backend's timeout. */
export class TimeoutError extends SecretsError {
  readonly kind = 'timeout';
}

/** The server asked us to slow down (HTTP 429, ThrottlingException). */
export class ThrottledError extends SecretsError {
  readonly kind = 'throttled';
}

/** A stored value exists but cannot be read as what it should be. */
export class MalformedSecretError extends SecretsError {
  readonly kind: ErrorKind = 'malformed';
}

/** A connection URI or JSON value that Airflow's parser rejects (spec §6). */
export class ConnectionFormatError extends MalformedSecretError {}

export interface FileSyntaxError {
  /** 1-based, except where Airflow reports YAML lines 0-based (spec §5.3): kept as Airflow reports it. */
  line: number;
  message: string;
}

/** A local secrets file that cannot be parsed (Airflow's AirflowFileParseException, spec §5.3). */
export class FileParseError extends MalformedSecretError {
  readonly errors: readonly FileSyntaxError[];

  constructor(message: string, errors: readonly FileSyntaxError[], details: ErrorDetails = {}) {
    super(message, details);
    this.errors = errors;
  }
}

/** A key defined more than once where Airflow refuses that (ConnectionNotUnique, VariableNotUnique). */
export class NotUniqueError extends MalformedSecretError {}

/** An id the store cannot hold (characters or length outside its naming rules). */
export class InvalidNameError extends SecretsError {
  readonly kind = 'invalid-name';
}

/** Bad backend kwargs, unknown backend, unsupported option: a mistake in how we were set up. */
export class ConfigurationError extends SecretsError {
  readonly kind = 'configuration';
}

export function isSecretsError(error: unknown): error is SecretsError {
  return error instanceof SecretsError;
}

/** `Name: first non-empty line of the message` (at most 300 characters), as reports and hints show an error. */
export function firstErrorLine(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const line = error.message.split(/\r?\n/).find((candidate) => candidate.trim() !== '') ?? '';
  return `${error.name}: ${line.trim()}`.slice(0, 300);
}
