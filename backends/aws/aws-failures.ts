/**
 * The mapping of a failed AWS call onto the closed error set (spec §7.2, §7.3): by error code
 * first, then the socket, then the bare HTTP status; the codes each provider reads as "not found"
 * are the caller's. Messages name the operation and the name asked for, never the server's text.
 */
import {
  ConfigurationError,
  ForbiddenError,
  InvalidNameError,
  isSecretsError,
  ThrottledError,
  TimeoutError,
  UnauthorizedError,
  UnavailableError,
  type SecretsError,
} from '../../model/errors';

/**
 * An error answer the SDK could not read: moto answers an IAM refusal in XML (labelled text/html)
 * even for JSON services, and the SDK's JSON deserializer then throws a bare SyntaxError with only
 * the status. The raw body is read before that, for its `<Code>`.
 */
export class AwsRawErrorResponse extends Error {
  override name = 'AwsRawErrorResponse';

  constructor(
    readonly code: string,
    readonly httpStatus: number,
  ) {
    super(`HTTP ${httpStatus} ${code}`);
  }
}

const UNAUTHORIZED_CODES = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'IncompleteSignatureException',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidAccessKeyId',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'AuthFailure',
  'InvalidToken',
  'CredentialsProviderError',
]);
const FORBIDDEN_CODES = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation', 'KMSAccessDeniedException']);
const THROTTLED_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ThrottledException',
  'SlowDown',
]);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

interface FailureFacts {
  code: string;
  httpStatus: number | undefined;
  networkCode: string | undefined;
}

function factsOf(error: unknown): FailureFacts {
  if (error instanceof AwsRawErrorResponse) return { code: error.code, httpStatus: error.httpStatus, networkCode: undefined };
  const record = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const metadata = record.$metadata as { httpStatusCode?: unknown } | undefined;
  const status = typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
  const code = typeof record.Code === 'string' ? record.Code : typeof record.name === 'string' ? record.name : 'Error';
  const networkCode = typeof record.code === 'string' ? record.code : undefined;
  return { code, httpStatus: status, networkCode };
}

/** Where a failure happened, for the message: never a value, never a credential. */
export interface LookupContext {
  /** `Secrets Manager GetSecretValue`. */
  readonly operation: string;
  /** `connection "my_db"`. */
  readonly what: string;
  /** The name asked of the service. */
  readonly name: string;
  /** The endpoint, or `the default AWS endpoint`. */
  readonly where: string;
  /** Our own bound fired. */
  readonly timedOut: boolean;
  /** The silence the client waits out before it gives up on an answer (`read_timeout`). */
  readonly timeoutMs: number;
}

/**
 * The closed-set error for a failed AWS call, or `null` for an error code the provider reads as
 * "not found". The server's message text is not repeated: AWS puts ARNs and key ids in it.
 */
export function classifyAwsFailure(error: unknown, context: LookupContext, notFoundCodes: ReadonlySet<string>): SecretsError | null {
  if (isSecretsError(error)) return error;
  const { code, httpStatus, networkCode } = factsOf(error);
  const subject = `${context.operation} of ${context.what} (name "${context.name}")`;
  const answered = httpStatus === undefined ? code : `${code}, HTTP ${httpStatus}`;
  const details = (hint: string) => ({ what: context.what, where: context.where, hint });
  if (notFoundCodes.has(code)) return null;
  // The SDK's HTTP handler names a reset or broken pipe "TimeoutError" too (to retry it); the
  // socket's code tells the truth, and botocore reads a reset as a closed connection, not a timeout.
  const resetNamedTimeout = code === 'TimeoutError' && networkCode !== undefined && networkCode !== 'ETIMEDOUT' && UNREACHABLE_CODES.has(networkCode);
  if (context.timedOut || (code === 'TimeoutError' && !resetNamedTimeout) || networkCode === 'ETIMEDOUT') {
    return new TimeoutError(
      `${subject} got no answer within ${context.timeoutMs} ms`,
      details('check that the endpoint is up, or raise config_kwargs read_timeout / connect_timeout (seconds)'),
    );
  }
  if (UNAUTHORIZED_CODES.has(code)) {
    return new UnauthorizedError(
      `${subject} was refused: the credentials are unknown, wrong or expired (${answered})`,
      details('check aws_access_key_id / aws_secret_access_key / aws_session_token'),
    );
  }
  if (FORBIDDEN_CODES.has(code)) {
    return new ForbiddenError(
      `${subject} was denied by the caller's IAM policy (${answered})`,
      details('allow the read action on this name in the IAM policy'),
    );
  }
  if (THROTTLED_CODES.has(code) || httpStatus === 429) {
    return new ThrottledError(`${subject} was throttled (${answered})`, details('slow down or enable the cache ([secrets] use_cache)'));
  }
  if (code === 'ValidationException') {
    return new InvalidNameError(`${subject} was refused as invalid (${answered})`, details('use names of letters, digits and _.-/ only'));
  }
  if (/region is missing/i.test(error instanceof Error ? error.message : '')) {
    return new ConfigurationError(`${subject} cannot be sent: no region is configured`, details('set region_name in backend_kwargs'));
  }
  if (code === 'AbortError') {
    return new TimeoutError(`${subject} was aborted before an answer came`, details('check that the endpoint is up'));
  }
  if (networkCode !== undefined && UNREACHABLE_CODES.has(networkCode)) {
    return new UnavailableError(
      `${subject} could not reach the server (${networkCode})`,
      details('check endpoint_url and that the server is running'),
    );
  }
  // An unreadable refusal: only the status is left to go by.
  if (httpStatus === 401) {
    return new UnauthorizedError(`${subject} was refused as unauthenticated (${answered})`, details('check the AWS credentials'));
  }
  if (httpStatus === 403) {
    return new ForbiddenError(`${subject} was refused (${answered})`, details('check the credentials and the IAM policy for this name'));
  }
  if (httpStatus !== undefined && httpStatus >= 500) {
    return new UnavailableError(`${subject} failed on the server side (${answered})`, details('retry later; see the service health'));
  }
  return new UnavailableError(
    `${subject} failed with ${answered}, which the provider does not read as not found`,
    details('see the service documentation for this error code'),
  );
}
