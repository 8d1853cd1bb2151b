/**
 * A command's error answer as one of the error classes of model/errors.ts, so a backend served by a
 * command fails exactly as a backend of ours does: same class, what was looked up, where, the
 * command's hint, and whether a credential was withheld from the message.
 */
import {
  ConfigurationError,
  ConnectionFormatError,
  FileParseError,
  ForbiddenError,
  InvalidNameError,
  MalformedSecretError,
  NotUniqueError,
  ThrottledError,
  TimeoutError,
  UnauthorizedError,
  UnavailableError,
  type ErrorDetails,
  type FileSyntaxError,
  type SecretsError,
} from '../model/errors';

export interface ProtocolErrorBody {
  readonly kind: string;
  readonly type?: string;
  readonly message?: string;
  readonly hint?: string;
  readonly where?: string;
  readonly detail?: string;
  readonly errors?: ReadonlyArray<{ line: number; message: string }>;
  /** `credential`: the backend's own message carried one of its credential kwargs, withheld by the command. */
  readonly withheld?: string;
}

interface ErrorContext {
  readonly op: string;
  /** What was looked up: `connection "x"`. Never a value. */
  readonly subject: string;
  readonly where: string;
}

/** A protocol error answer as one of our error classes. */
export function errorFromAnswer(body: ProtocolErrorBody, context: ErrorContext): SecretsError {
  const original = body.type ? ` [${body.type}]` : '';
  const withheld = body.withheld === 'credential' ? ' (the message carried a credential, withheld here; Airflow would log it as is)' : '';
  const message = `${context.subject}: ${(body.message ?? 'failed').trim()}${original}${withheld}`;
  const details: ErrorDetails = {
    what: context.subject,
    where: body.where || context.where,
    ...(body.hint ? { hint: body.hint } : {}),
    ...(withheld ? { credentialWithheld: true } : {}),
  };
  switch (body.kind) {
    case 'unauthorized':
      return new UnauthorizedError(message, details);
    case 'forbidden':
      return new ForbiddenError(message, details);
    case 'unavailable':
      return new UnavailableError(message, details);
    case 'timeout':
      return new TimeoutError(message, details);
    case 'throttled':
      return new ThrottledError(message, details);
    case 'invalid-name':
      return new InvalidNameError(message, details);
    case 'malformed': {
      if (body.detail === 'file-parse') {
        const errors: FileSyntaxError[] = (body.errors ?? []).map((e) => ({ line: Number(e.line), message: String(e.message) }));
        const listed = errors.map((e) => `line ${e.line}: ${e.message}`).join('; ');
        return new FileParseError(`${message}${listed ? ` (${listed})` : ''}`, errors, details);
      }
      if (body.detail === 'not-unique') return new NotUniqueError(message, details);
      // A malformed value met while reading a connection (its text or its fields) is a connection format error.
      const connectionOp = context.op === 'get_connection' || context.op === 'get_conn_value';
      if (body.detail === 'connection-format' || connectionOp) return new ConnectionFormatError(message, details);
      return new MalformedSecretError(message, details);
    }
    case 'configuration':
    case 'protocol':
      return new ConfigurationError(message, { hint: 'check the backend class and its kwargs', ...details });
    default:
      // `unknown` and kinds from a newer protocol: the backend failed, which Airflow treats as
      // "this backend is unavailable, ask the next one".
      return new UnavailableError(`${message} (unclassified: ${body.kind})`, {
        hint: 'the command could not classify this failure; see its log',
        ...details,
      });
  }
}
