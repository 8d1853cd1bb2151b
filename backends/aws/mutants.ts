/**
 * Mutants of the two AWS provider backends: each breaks one rule of provider 9.39.0 the way a
 * hand-written backend plausibly would. Each rebuilds the session's backend from its own kwargs
 * as a subclass with one method changed, sharing the real backend's client (so the request count
 * the aws-naming suite reads still applies). The error mutants also break the backends of the
 * auth scenarios, where those errors happen. They need moto and moto-iam, so each names its base.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type LookupContext } from './aws-failures';
import { type AwsBackendOptions, type SecretKind } from './aws-provider-backend';
import { type sdkClientConfig } from './aws-sdk-client';
import { compilePythonMatch } from './python-semantics';
import { CONNECTION_FIELD_ALIASES, SecretsManagerBackend, standardizeSecretKeys } from './secrets-manager-backend';
import { SystemsManagerParameterStoreBackend } from './parameter-store-backend';
import { buildPath, type SecretsBackend } from '../../model/contract';
import type { PyDict } from '../../model/connection/python-values';
import { ForbiddenError, ThrottledError, UnauthorizedError, type SecretsError } from '../../model/errors';
import { idsMangled, mutantsOn, wrappingAuthScenarios, type BasedMutantSpec, type MutantTarget } from '../../mutants/mutant';
import { BotocoreRetryStrategy } from '../../model/retry';
import { awsTargets } from './targets';

type Kwargs = Readonly<Record<string, unknown>>;
type Rebuild<B> = (kwargs: Kwargs, options: AwsBackendOptions) => B;

function rebuiltSecretsManager(real: SecretsBackend, make: Rebuild<SecretsManagerBackend>): SecretsBackend {
  if (!(real instanceof SecretsManagerBackend)) throw new Error(`aws-sm mutants rebuild a SecretsManagerBackend, got ${real.kind}`);
  return make(real.kwargs, { sharing: real });
}

function rebuiltParameterStore(real: SecretsBackend, make: Rebuild<SystemsManagerParameterStoreBackend>): SecretsBackend {
  if (!(real instanceof SystemsManagerParameterStoreBackend))
    throw new Error(`aws-ssm mutants rebuild a SystemsManagerParameterStoreBackend, got ${real.kind}`);
  return make(real.kwargs, { sharing: real });
}

type ErrorClass = abstract new (...args: never[]) => SecretsError;

/** Secrets Manager answering `null` where it raised `swallowed`. */
function secretsManagerSwallowing(swallowed: ErrorClass) {
  return class extends SecretsManagerBackend {
    protected override async read<T>(
      send: (client: SecretsManagerClient) => Promise<T>,
      context: Pick<LookupContext, 'operation' | 'what' | 'name'>,
      notFoundCodes: ReadonlySet<string>,
    ): Promise<T | null> {
      try {
        return await super.read(send, context, notFoundCodes);
      } catch (error) {
        if (error instanceof swallowed) return null;
        throw error;
      }
    }
  };
}

/** Parameter Store answering `null` where it raised `swallowed`. */
function parameterStoreSwallowing(swallowed: ErrorClass) {
  return class extends SystemsManagerParameterStoreBackend {
    protected override async read<T>(
      send: (client: SSMClient) => Promise<T>,
      context: Pick<LookupContext, 'operation' | 'what' | 'name'>,
      notFoundCodes: ReadonlySet<string>,
    ): Promise<T | null> {
      try {
        return await super.read(send, context, notFoundCodes);
      } catch (error) {
        if (error instanceof swallowed) return null;
        throw error;
      }
    }
  };
}

/** Attempts of the retry-forever mutant: far beyond any budget, yet a run against it ends. */
const RUNAWAY_ATTEMPTS = 50;

/** A Secrets Manager client that retries 50 times without waiting; its own client, not the session's. */
class RunawaySecretsManagerBackend extends SecretsManagerBackend {
  protected override createClient(config: ReturnType<typeof sdkClientConfig>): SecretsManagerClient {
    const policy = { mode: 'standard' as const, totalMaxAttempts: RUNAWAY_ATTEMPTS };
    return new SecretsManagerClient({ ...config, maxAttempts: RUNAWAY_ATTEMPTS, retryStrategy: new BotocoreRetryStrategy(policy, () => 0) });
  }
}

/** A Parameter Store client that keeps botocore's attempts but never waits between them (jitter always 0). */
class NoBackoffParameterStoreBackend extends SystemsManagerParameterStoreBackend {
  protected override createClient(config: ReturnType<typeof sdkClientConfig>): SSMClient {
    return new SSMClient({ ...config, retryStrategy: new BotocoreRetryStrategy(this.settings.retry, () => 0) });
  }
}

const ALIASES = new Set(CONNECTION_FIELD_ALIASES.flatMap(([, words]) => words));

const SecretsManagerForbiddenAsNotFound = secretsManagerSwallowing(ForbiddenError);
const ParameterStoreUnauthorizedAsNotFound = parameterStoreSwallowing(UnauthorizedError);
const SecretsManagerThrottledAsNotFound = secretsManagerSwallowing(ThrottledError);

const awsMutantSpecs: readonly BasedMutantSpec[] = [
  {
    name: 'ssm-no-leading-slash',
    base: 'aws-ssm',
    breaks: '§7.3 uses build_path(prefix, id) as the parameter name without forcing a leading "/"',
    backend: (real) =>
      rebuiltParameterStore(
        real,
        (kwargs, options) =>
          new (class extends SystemsManagerParameterStoreBackend {
            protected override nameOf(prefix: string, id: string): string {
              return buildPath(prefix, id);
            }
          })(kwargs, options),
      ),
  },
  {
    name: 'sm-sep-ignored',
    base: 'aws-sm',
    breaks: '§7.2 always joins prefix and id with "/", whatever sep says',
    backend: (real) =>
      rebuiltSecretsManager(
        real,
        (kwargs, options) =>
          new (class extends SecretsManagerBackend {
            protected override nameOf(prefix: string, id: string): string {
              return prefix ? `${prefix}/${id}` : id;
            }
          })(kwargs, options),
      ),
  },
  {
    name: 'sm-lookup-pattern-case-sensitive',
    base: 'aws-sm',
    breaks: '§7.2 matches *_lookup_pattern without re.IGNORECASE',
    backend: (real) =>
      rebuiltSecretsManager(
        real,
        (kwargs, options) =>
          new (class extends SecretsManagerBackend {
            protected override matchesLookupPattern(pattern: string | null, id: string): boolean {
              return !pattern || new RegExp(pattern, 'y').test(id);
            }
          })(kwargs, options),
      ),
  },
  {
    name: 'ssm-lookup-pattern-searched-anywhere',
    base: 'aws-ssm',
    breaks: '§7.3 applies *_lookup_pattern with re.search (anywhere in the id) instead of re.match',
    backend: (real) =>
      rebuiltParameterStore(
        real,
        (kwargs, options) =>
          new (class extends SystemsManagerParameterStoreBackend {
            protected override matchesLookupPattern(pattern: string | null, id: string): boolean {
              return !pattern || new RegExp(compilePythonMatch(pattern).source, 'i').test(id);
            }
          })(kwargs, options),
      ),
  },
  {
    name: 'sm-null-prefix-reads-bare-id',
    base: 'aws-sm',
    breaks: '§7.2 treats a null prefix like "": looks the bare id up instead of skipping the lookup',
    backend: (real) =>
      rebuiltSecretsManager(
        real,
        (kwargs, options) =>
          new (class extends SecretsManagerBackend {
            override nameFor(kind: SecretKind, id: string): string | null {
              return this.lookups[kind].prefix === null ? id : super.nameFor(kind, id);
            }
          })(kwargs, options),
      ),
  },
  {
    name: 'sm-unknown-json-keys-kept',
    base: 'aws-sm',
    breaks: "§7.2 re-keys aliases but passes the JSON secret's other keys on to from_json",
    backend: (real) =>
      rebuiltSecretsManager(
        real,
        (kwargs, options) =>
          new (class extends SecretsManagerBackend {
            protected override rekey(secret: PyDict): PyDict {
              const standardized = standardizeSecretKeys(secret, this.extraConnWords);
              for (const [key, value] of secret) if (!ALIASES.has(key)) standardized.set(key, value);
              return standardized;
            }
          })(kwargs, options),
      ),
  },
  {
    name: 'sm-forbidden-as-not-found',
    base: 'aws-sm',
    breaks: '§7 answers None when IAM denies the read (AccessDeniedException), as if the secret did not exist',
    backend: (real) => rebuiltSecretsManager(real, (kwargs, options) => new SecretsManagerForbiddenAsNotFound(kwargs, options)),
    session: wrappingAuthScenarios((real) =>
      rebuiltSecretsManager(real, (kwargs, options) => new SecretsManagerForbiddenAsNotFound(kwargs, options)),
    ),
  },
  {
    name: 'ssm-unauthorized-as-not-found',
    base: 'aws-ssm',
    breaks: '§7 answers None when the credentials are unknown or wrong (UnrecognizedClient / InvalidClientTokenId)',
    backend: (real) => rebuiltParameterStore(real, (kwargs, options) => new ParameterStoreUnauthorizedAsNotFound(kwargs, options)),
    session: wrappingAuthScenarios((real) =>
      rebuiltParameterStore(real, (kwargs, options) => new ParameterStoreUnauthorizedAsNotFound(kwargs, options)),
    ),
  },
  {
    name: 'aws-retry-forever',
    base: 'aws-sm',
    breaks: `§7.2 retries a failed request ${RUNAWAY_ATTEMPTS - 1} times without waiting, far beyond botocore's attempts for its config_kwargs`,
    backend: (real) => {
      if (!(real instanceof SecretsManagerBackend)) throw new Error(`aws-sm mutants rebuild a SecretsManagerBackend, got ${real.kind}`);
      return new RunawaySecretsManagerBackend(real.kwargs);
    },
  },
  {
    name: 'sm-throttled-as-not-found',
    base: 'aws-sm',
    breaks: '§7.2 answers None for a ThrottlingException, as if the secret were missing, instead of raising',
    backend: (real) => rebuiltSecretsManager(real, (kwargs, options) => new SecretsManagerThrottledAsNotFound(kwargs, options)),
  },
  {
    name: 'ssm-throttled-retry-without-backoff',
    base: 'aws-ssm',
    breaks: "§7.3 retries a ThrottlingException within botocore's attempts but without its backoff (no wait between attempts)",
    backend: (real) => {
      if (!(real instanceof SystemsManagerParameterStoreBackend))
        throw new Error(`aws-ssm mutants rebuild a SystemsManagerParameterStoreBackend, got ${real.kind}`);
      return new NoBackoffParameterStoreBackend(real.kwargs);
    },
  },
];

export const awsMutants: readonly MutantTarget[] = mutantsOn(awsTargets, [
  ...awsMutantSpecs,
  {
    ...idsMangled('sm-ids-dashes-to-underscores', '§7.2 turns "-", "." and "/" in an id into "_" before building the secret name', (id) =>
      id.replace(/[-./]/g, '_'),
    ),
    base: 'aws-sm',
  },
]);
