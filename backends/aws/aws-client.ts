/**
 * What the two AWS provider backends share (spec §7.2, §7.3): the client settings Airflow takes
 * from the remaining `backend_kwargs` (botocore's `config_kwargs` included: timeouts in seconds,
 * retries as botocore counts them), Python's `re.match(pattern, id, re.IGNORECASE)` and
 * `str.rstrip(chars)`, the lazily made SDK client (Airflow's `cached_property client`), a count
 * of the HTTP requests it sent, and the mapping of AWS failures onto the closed error set.
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import type { Client, DeserializeMiddleware, FinalizeRequestMiddleware, HttpResponse, MetadataBearer, MiddlewareStack } from '@smithy/types';
import { BaseSecretsBackend, type BaseBackendOptions } from '../../model/contract';
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
import {
  BOTOCORE_DEFAULT_RETRY,
  BOTOCORE_LEGACY_MAX_ATTEMPTS,
  BotocoreRetryStrategy,
  botocoreLookupBudget,
  type BotocoreRetryPolicy,
  type LookupBudget,
} from '../../model/retry';
import type { RequestGate } from '../../model/request-gate';

/** botocore's `DEFAULT_TIMEOUT` (endpoint.py), for both `connect_timeout` and `read_timeout`. */
export const BOTOCORE_DEFAULT_TIMEOUT_SECONDS = 60;

/** The `config_kwargs` (botocore `Config` arguments) this reference models. */
const MODELLED_CONFIG_KWARGS = ['connect_timeout', 'read_timeout', 'retries'] as const;

export type SecretKind = 'connection' | 'variable' | 'config';

/**
 * Kwargs the provider hands to `AwsConnectionWrapper` that this reference does not model: they
 * change how credentials are obtained. Refused, so a run never silently certifies other settings.
 */
const UNMODELLED_AWS_KWARGS = ['profile_name', 'role_arn', 'assume_role_method', 'assume_role_kwargs', 'service_config', 'session_kwargs'] as const;

/** The client settings, as Airflow's provider reads them from `backend_kwargs`. */
export interface AwsClientSettings {
  readonly regionName: string | undefined;
  readonly endpointUrl: string | undefined;
  readonly accessKeyId: string | undefined;
  readonly secretAccessKey: string | undefined;
  readonly sessionToken: string | undefined;
  /** boto3's `verify`: `false` skips TLS verification, a string is a CA bundle path. */
  readonly verify: boolean | string | undefined;
  /** boto3's `use_ssl`: only decides the scheme of the default endpoint, as in the SDK's `tls`. */
  readonly useSsl: boolean | undefined;
  /**
   * boto3's `api_version`. Accepted and ignored: an SDK v3 client is built for one API version
   * (Secrets Manager 2017-10-17, SSM 2014-11-06), the ones boto3 uses by default.
   */
  readonly apiVersion: string | undefined;
  /** `config_kwargs.connect_timeout`, in ms here. */
  readonly connectTimeoutMs: number;
  /** `config_kwargs.read_timeout`: the longest wait for the next bytes of an answer, in ms here. */
  readonly readTimeoutMs: number;
  /** `config_kwargs.retries`, resolved as botocore resolves it. */
  readonly retry: BotocoreRetryPolicy;
}

function configurationError(backendKind: string, message: string, hint: string): ConfigurationError {
  return new ConfigurationError(message, { what: 'backend_kwargs', where: backendKind, hint });
}

function optionalString(kwargs: Readonly<Record<string, unknown>>, name: string, backendKind: string): string | undefined {
  const value = kwargs[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw configurationError(backendKind, `${name} must be a string, got ${typeof value}`, `set ${name} to a string or leave it out`);
  return value;
}

export function readClientSettings(kwargs: Readonly<Record<string, unknown>>, backendKind: string): AwsClientSettings {
  const unmodelled = UNMODELLED_AWS_KWARGS.filter((name) => kwargs[name] !== undefined && kwargs[name] !== null);
  if (unmodelled.length > 0) {
    throw configurationError(
      backendKind,
      `${unmodelled.join(', ')} ${unmodelled.length === 1 ? 'is' : 'are'} not supported by this reference backend`,
      'pass static keys (aws_access_key_id, aws_secret_access_key, aws_session_token) or rely on the default credential chain',
    );
  }
  const verify = kwargs.verify;
  if (verify !== undefined && verify !== null && typeof verify !== 'boolean' && typeof verify !== 'string') {
    throw configurationError(backendKind, `verify must be true, false or a CA bundle path, got ${typeof verify}`, 'fix verify in backend_kwargs');
  }
  const useSsl = kwargs.use_ssl;
  if (useSsl !== undefined && useSsl !== null && typeof useSsl !== 'boolean') {
    throw configurationError(backendKind, `use_ssl must be true or false, got ${typeof useSsl}`, 'fix use_ssl in backend_kwargs');
  }
  if (kwargs.timeout !== undefined) {
    throw configurationError(
      backendKind,
      'timeout is not a kwarg of the AWS provider backends',
      'bound requests with config_kwargs: {"connect_timeout": 5, "read_timeout": 5} (seconds, as botocore takes them)',
    );
  }
  const config = readConfigKwargs(kwargs.config_kwargs, backendKind);
  return {
    regionName: optionalString(kwargs, 'region_name', backendKind),
    endpointUrl: optionalString(kwargs, 'endpoint_url', backendKind),
    accessKeyId: optionalString(kwargs, 'aws_access_key_id', backendKind),
    secretAccessKey: optionalString(kwargs, 'aws_secret_access_key', backendKind),
    sessionToken: optionalString(kwargs, 'aws_session_token', backendKind),
    verify: verify ?? undefined,
    useSsl: useSsl ?? undefined,
    apiVersion: optionalString(kwargs, 'api_version', backendKind),
    ...config,
  };
}

type ConfigSettings = Pick<AwsClientSettings, 'connectTimeoutMs' | 'readTimeoutMs' | 'retry'>;

function positiveSeconds(value: unknown, name: string, backendKind: string): number {
  if (value === undefined || value === null) return BOTOCORE_DEFAULT_TIMEOUT_SECONDS * 1000;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw configurationError(
      backendKind,
      `config_kwargs.${name} must be a positive number of seconds`,
      `leave it out for botocore's ${BOTOCORE_DEFAULT_TIMEOUT_SECONDS} s`,
    );
  }
  return Math.max(1, Math.round(value * 1000));
}

function attemptsKwarg(value: unknown, name: string, minimum: number, backendKind: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw configurationError(
      backendKind,
      `config_kwargs.retries.${name} must be a whole number of at least ${minimum}`,
      'e.g. {"retries": {"total_max_attempts": 3, "mode": "standard"}}',
    );
  }
  return value;
}

/**
 * botocore's resolution of `Config(retries=...)` (args.py `_compute_retry_config`):
 * `total_max_attempts` counts every attempt and wins; `max_attempts` counts retries, so it is one
 * less; neither means the mode's default (standard 3, legacy 5). `adaptive` adds a client-side
 * rate limiter that this reference does not model, so it is refused rather than certified as standard.
 */
function readRetries(value: unknown, backendKind: string): BotocoreRetryPolicy {
  if (value === undefined || value === null) return BOTOCORE_DEFAULT_RETRY;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw configurationError(backendKind, 'config_kwargs.retries must be an object', 'e.g. {"retries": {"max_attempts": 2, "mode": "standard"}}');
  }
  const retries = value as Record<string, unknown>;
  const mode = retries.mode ?? 'standard';
  if (mode !== 'standard' && mode !== 'legacy') {
    throw configurationError(
      backendKind,
      `config_kwargs.retries.mode ${JSON.stringify(mode)} is not modelled by this reference backend`,
      'use "standard" or "legacy"',
    );
  }
  const unknown = Object.keys(retries).filter((key) => !['mode', 'max_attempts', 'total_max_attempts'].includes(key));
  if (unknown.length > 0) {
    throw configurationError(
      backendKind,
      `config_kwargs.retries has unknown keys: ${unknown.join(', ')}`,
      'use mode, max_attempts or total_max_attempts',
    );
  }
  let totalMaxAttempts = mode === 'legacy' ? BOTOCORE_LEGACY_MAX_ATTEMPTS : BOTOCORE_DEFAULT_RETRY.totalMaxAttempts;
  if (retries.total_max_attempts !== undefined && retries.total_max_attempts !== null) {
    totalMaxAttempts = attemptsKwarg(retries.total_max_attempts, 'total_max_attempts', 1, backendKind);
  } else if (retries.max_attempts !== undefined && retries.max_attempts !== null) {
    totalMaxAttempts = attemptsKwarg(retries.max_attempts, 'max_attempts', 0, backendKind) + 1;
  }
  return { mode, totalMaxAttempts };
}

/**
 * `config_kwargs` as botocore's `Config`. The amazon provider 9.39.0 reads it into the connection
 * wrapper (`utils/connection_wrapper.py`, `botocore_config`), but its secrets backends then build
 * the client without it (`secrets/secrets_manager.py` and `secrets/systems_manager.py`, `client`):
 * this reference applies it, as the provider's hooks do and its docstring promises; the bridged
 * Airflow targets report the difference as a finding.
 */
function readConfigKwargs(value: unknown, backendKind: string): ConfigSettings {
  if (value === undefined || value === null) {
    return {
      connectTimeoutMs: BOTOCORE_DEFAULT_TIMEOUT_SECONDS * 1000,
      readTimeoutMs: BOTOCORE_DEFAULT_TIMEOUT_SECONDS * 1000,
      retry: BOTOCORE_DEFAULT_RETRY,
    };
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw configurationError(
      backendKind,
      'config_kwargs must be an object of botocore Config arguments',
      'e.g. {"connect_timeout": 5, "read_timeout": 5}',
    );
  }
  const config = value as Record<string, unknown>;
  const unmodelled = Object.keys(config).filter((key) => !(MODELLED_CONFIG_KWARGS as readonly string[]).includes(key));
  if (unmodelled.length > 0) {
    throw configurationError(
      backendKind,
      `config_kwargs ${unmodelled.join(', ')} ${unmodelled.length === 1 ? 'is' : 'are'} not modelled by this reference backend`,
      `use ${MODELLED_CONFIG_KWARGS.join(', ')} only`,
    );
  }
  return {
    connectTimeoutMs: positiveSeconds(config.connect_timeout, 'connect_timeout', backendKind),
    readTimeoutMs: positiveSeconds(config.read_timeout, 'read_timeout', backendKind),
    retry: readRetries(config.retries, backendKind),
  };
}

/** What one AWS read may cost with these kwargs: botocore's attempts, each bounded by its timeouts. */
export function awsLookupBudget(kwargs: Readonly<Record<string, unknown>>, backendKind = 'AWS backend'): LookupBudget {
  const settings = readClientSettings(kwargs, backendKind);
  return botocoreLookupBudget(settings.retry, settings.connectTimeoutMs, settings.readTimeoutMs);
}

/** The SDK client configuration for the settings; shared by both services. */
export function sdkClientConfig(settings: AwsClientSettings) {
  // Like AwsConnectionWrapper: static keys only when both halves are given, else the default chain.
  const credentials =
    settings.accessKeyId && settings.secretAccessKey
      ? {
          accessKeyId: settings.accessKeyId,
          secretAccessKey: settings.secretAccessKey,
          ...(settings.sessionToken ? { sessionToken: settings.sessionToken } : {}),
        }
      : undefined;
  const httpsAgent =
    settings.verify === false
      ? new HttpsAgent({ keepAlive: true, rejectUnauthorized: false })
      : typeof settings.verify === 'string'
        ? new HttpsAgent({ keepAlive: true, ca: readFileSync(settings.verify) })
        : undefined;
  return {
    ...(settings.regionName ? { region: settings.regionName } : {}),
    ...(settings.endpointUrl ? { endpoint: settings.endpointUrl } : {}),
    ...(credentials ? { credentials } : {}),
    ...(settings.useSsl === undefined ? {} : { tls: settings.useSsl }),
    maxAttempts: settings.retry.totalMaxAttempts,
    // One strategy per client: botocore keeps one retry quota per client.
    retryStrategy: new BotocoreRetryStrategy(settings.retry),
    requestHandler: {
      connectionTimeout: settings.connectTimeoutMs,
      // botocore's read_timeout is the socket's: the longest silence, not the whole answer.
      socketTimeout: settings.readTimeoutMs,
      ...(httpsAgent ? { httpsAgent } : {}),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Python semantics the providers rely on.

/** Python `str.rstrip(chars)`: strips any trailing character found in `chars` (a set, not a suffix). */
export function pythonRstrip(text: string, chars: string): string {
  const strip = new Set(Array.from(chars));
  const characters = Array.from(text);
  let end = characters.length;
  while (end > 0 && strip.has(characters[end - 1] as string)) end -= 1;
  return characters.slice(0, end).join('');
}

/**
 * A Python `re` pattern as a JS RegExp for `re.match(pattern, text, re.IGNORECASE)`: anchored at
 * the start only (sticky), case-insensitive. Python's spellings of named groups and `\A` / `\Z`
 * are translated; `\w`, `\d` and `\s` stay ASCII here where Python's are Unicode-aware.
 */
export function compilePythonMatch(pattern: string): RegExp {
  const translated = pattern
    .replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$(?![\\s\\S])');
  return new RegExp(translated, 'iy');
}

export function pythonReMatch(pattern: RegExp, text: string): boolean {
  pattern.lastIndex = 0;
  return pattern.test(text);
}

// ---------------------------------------------------------------------------------------------
// Failures.

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

// ---------------------------------------------------------------------------------------------
// The SDK client, made on first use and instrumented.

// The SDK's clients differ in their input and output types; only the middleware stack is used here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyClient = Client<any, any, any> & { middlewareStack: MiddlewareStack<any, any>; destroy(): void };

/** The client of one backend, with the count of HTTP requests it has sent (retries included). */
export interface ClientHandle<C extends AnyClient> {
  readonly client: C;
  requestsSent: number;
}

async function bodyText(body: unknown): Promise<string> {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Every attempt on the wire of `client` first takes a slot of `gate` (a cap on the request rate to a
 * server the harness does not own); no gate, no change.
 */
export function gateRequests<C extends Pick<AnyClient, 'middlewareStack'>>(client: C, gate: RequestGate | undefined): C {
  if (!gate) return client;
  const takeSlot: FinalizeRequestMiddleware<object, MetadataBearer> = (next) => async (args) => {
    await gate.take();
    return next(args);
  };
  // In the finalize step after the retry middleware: once per attempt.
  client.middlewareStack.add(takeSlot, { step: 'finalizeRequest', priority: 'low', name: 'ascRequestGate' });
  return client;
}

function instrument<C extends AnyClient>(client: C, gate?: RequestGate): ClientHandle<C> {
  const handle: ClientHandle<C> = { client: gateRequests(client, gate), requestsSent: 0 };
  const countRequests: FinalizeRequestMiddleware<object, MetadataBearer> = (next) => async (args) => {
    handle.requestsSent += 1;
    return next(args);
  };
  const readXmlErrors: DeserializeMiddleware<object, MetadataBearer> = (next) => async (args) => {
    const result = await next(args);
    const response = result.response as Partial<HttpResponse>;
    const { statusCode = 0, headers = {} } = response;
    const contentType = Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
    // moto labels its XML refusals text/html; a JSON error body is left to the SDK.
    if (statusCode >= 400 && !/json/i.test(contentType)) {
      const text = await bodyText(response.body);
      const code = /^\s*</.test(text) ? /<Code>([^<]*)<\/Code>/.exec(text)?.[1] : undefined;
      if (code !== undefined) throw new AwsRawErrorResponse(code, statusCode);
      response.body = Buffer.from(text, 'utf8');
    }
    return result;
  };
  // In the finalize step after the retry middleware: runs once per attempt on the wire.
  client.middlewareStack.add(countRequests, { step: 'finalizeRequest', priority: 'low', name: 'ascCountRequests' });
  // Below the SDK's deserializer, so it sees the raw response first.
  client.middlewareStack.add(readXmlErrors, { step: 'deserialize', priority: 'low', name: 'ascReadXmlErrors' });
  return handle;
}

export interface AwsBackendOptions extends BaseBackendOptions {
  /** Share this backend's client (and its request count): for variants of one configured backend. */
  sharing?: AwsProviderBackend<AnyClient>;
  /** A cap on the request rate (a server the harness does not own): every attempt on the wire takes a slot first. */
  gate?: RequestGate;
}

/**
 * The part both provider backends share: kwargs, the lazy client, the request count, the
 * timeout-bounded call with failures classified. Subclasses implement the names and the reads.
 */
export abstract class AwsProviderBackend<C extends AnyClient> extends BaseSecretsBackend {
  /** The kwargs this backend was built from, as given. */
  readonly kwargs: Readonly<Record<string, unknown>>;
  protected readonly settings: AwsClientSettings;
  private readonly sharing: AwsProviderBackend<C> | undefined;
  private readonly gate: RequestGate | undefined;
  private handle: ClientHandle<C> | undefined;
  private readonly patterns = new Map<string, RegExp>();

  protected constructor(kwargs: Readonly<Record<string, unknown>>, backendKind: string, options: AwsBackendOptions = {}) {
    super(options);
    this.kwargs = { ...kwargs };
    this.settings = readClientSettings(kwargs, backendKind);
    this.sharing = options.sharing as AwsProviderBackend<C> | undefined;
    this.gate = options.gate;
  }

  /** The service as messages name it: `Secrets Manager`. */
  protected abstract readonly serviceName: string;

  /** Per kind of lookup: its prefix (`null` disables the lookup) and its lookup pattern. */
  abstract readonly lookups: Readonly<Record<SecretKind, { readonly prefix: string | null; readonly pattern: string | null }>>;

  /** The store's name for an id under a configured (possibly empty) prefix. */
  protected abstract nameOf(prefix: string, id: string): string;

  /** Reads the value stored under `name`; `null` when the provider reads the answer as not found. */
  protected abstract fetch(kind: SecretKind, id: string, name: string): Promise<string | null>;

  /** The name a lookup of this kind asks for, or null when the lookup is skipped without a request. */
  nameFor(kind: SecretKind, id: string): string | null {
    const { prefix, pattern } = this.lookups[kind];
    if (prefix === null || !this.matchesLookupPattern(pattern, id)) return null;
    return this.nameOf(prefix, id);
  }

  protected async lookup(kind: SecretKind, id: string): Promise<string | null> {
    const name = this.nameFor(kind, id);
    return name === null ? null : this.fetch(kind, id, name);
  }

  async getConnValue(connId: string): Promise<string | null> {
    return this.lookup('connection', connId);
  }

  async getVariable(key: string): Promise<string | null> {
    return this.lookup('variable', key);
  }

  override async getConfig(key: string): Promise<string | null> {
    return this.lookup('config', key);
  }

  protected abstract createClient(config: ReturnType<typeof sdkClientConfig>): C;

  /** HTTP requests this backend's client has sent so far (every attempt counts). */
  get requestsSent(): number {
    return this.sharing ? this.sharing.requestsSent : (this.handle?.requestsSent ?? 0);
  }

  protected get client(): C {
    if (this.sharing) return this.sharing.client;
    this.handle ??= instrument(this.createClient(sdkClientConfig(this.settings)), this.gate);
    return this.handle.client;
  }

  /** Airflow's `if lookup_pattern and not re.match(lookup_pattern, id, re.IGNORECASE)`: skip. */
  protected matchesLookupPattern(pattern: string | null, id: string): boolean {
    if (!pattern) return true;
    let compiled = this.patterns.get(pattern);
    if (!compiled) {
      try {
        compiled = compilePythonMatch(pattern);
      } catch (error) {
        throw new ConfigurationError(`the lookup pattern is not a valid regular expression: ${(error as Error).message}`, {
          what: 'a *_lookup_pattern kwarg',
          where: this.kind,
          hint: 'fix the pattern (Python re syntax)',
        });
      }
      this.patterns.set(pattern, compiled);
    }
    return pythonReMatch(compiled, id);
  }

  /**
   * Sends one read, with botocore's timeouts and retries (`config_kwargs`). A failure the provider
   * reads as "not found" is `null`; anything else is thrown as its closed-set class.
   */
  protected async read<T>(
    send: (client: C) => Promise<T>,
    context: Pick<LookupContext, 'operation' | 'what' | 'name'>,
    notFoundCodes: ReadonlySet<string>,
  ): Promise<T | null> {
    try {
      return await send(this.client);
    } catch (error) {
      const failure = classifyAwsFailure(
        error,
        {
          ...context,
          operation: `${this.serviceName} ${context.operation}`,
          where: this.settings.endpointUrl ?? 'the default AWS endpoint',
          timedOut: false,
          timeoutMs: this.settings.readTimeoutMs,
        },
        notFoundCodes,
      );
      if (failure === null) return null;
      throw failure;
    }
  }

  async close(): Promise<void> {
    this.handle?.client.destroy();
    this.handle = undefined;
  }
}

/** HTTP requests an AWS provider backend has sent; fails for any other backend. */
export function requestsSentBy(backend: unknown): number {
  if (backend instanceof AwsProviderBackend) return backend.requestsSent;
  throw new Error(`${(backend as { kind?: string })?.kind ?? typeof backend} is not an AWS provider backend: its requests cannot be counted`);
}

/** A kwarg that is a string or null (`None` disables), with Airflow's default when absent. */
export function prefixKwarg(kwargs: Readonly<Record<string, unknown>>, name: string, fallback: string, backendKind: string): string | null {
  if (!(name in kwargs) || kwargs[name] === undefined) return fallback;
  const value = kwargs[name];
  if (value === null || typeof value === 'string') return value;
  throw configurationError(
    backendKind,
    `${name} must be a string or null, got ${typeof value}`,
    `set ${name} to a string, or to null to disable this kind of lookup`,
  );
}

export function patternKwarg(kwargs: Readonly<Record<string, unknown>>, name: string, backendKind: string): string | null {
  const value = kwargs[name];
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  throw configurationError(backendKind, `${name} must be a regular expression string or null, got ${typeof value}`, `fix ${name} in backend_kwargs`);
}
