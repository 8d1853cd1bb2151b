/**
 * The AWS provider backends' `backend_kwargs` as Airflow reads them (spec §7.2, §7.3): the client
 * settings (botocore's `config_kwargs` included: timeouts in seconds, retries as botocore counts
 * them), the per-kind prefixes and lookup patterns, and what one lookup may cost under them.
 * Refusals are ConfigurationErrors, so a run never certifies settings this reference ignores.
 */
import { ConfigurationError } from '../../model/errors';
import {
  BOTOCORE_DEFAULT_RETRY,
  BOTOCORE_LEGACY_MAX_ATTEMPTS,
  botocoreLookupBudget,
  type BotocoreRetryPolicy,
  type LookupBudget,
} from '../../model/retry';

/** botocore's `DEFAULT_TIMEOUT` (endpoint.py), for both `connect_timeout` and `read_timeout`. */
export const BOTOCORE_DEFAULT_TIMEOUT_SECONDS = 60;

/** The `config_kwargs` (botocore `Config` arguments) this reference models. */
const MODELLED_CONFIG_KWARGS = ['connect_timeout', 'read_timeout', 'retries'] as const;

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
