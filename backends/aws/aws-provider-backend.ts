/**
 * What the two AWS provider backends share (spec §7.2, §7.3): the kwargs read at construction, the
 * lazily made SDK client (Airflow's `cached_property client`) and its count of the HTTP requests
 * sent, the lookup patterns, and a read whose failure is classified; each service adds its names
 * and its reads.
 */
import { BaseSecretsBackend, type BaseBackendOptions } from '../../model/contract';
import { ConfigurationError } from '../../model/errors';
import type { RequestGate } from '../../model/request-gate';
import { classifyAwsFailure, type LookupContext } from './aws-failures';
import { readClientSettings, type AwsClientSettings } from './aws-kwargs';
import { instrument, sdkClientConfig, type AnyClient, type ClientHandle } from './aws-sdk-client';
import { compilePythonMatch, pythonReMatch } from './python-semantics';

export type SecretKind = 'connection' | 'variable' | 'config';

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
