/**
 * What the failover and request-budget cases share about a networked target: its `network`
 * declaration, the server endpoint it reaches, and a backend aimed at another address.
 */
import type { SecretsBackend } from '../model/contract';
import { ConfigurationError } from '../model/errors';
import { requireEndpoint, type ServerInfo } from '../containers/contract';
import {
  startCountingProxy,
  startRequestLogProxy,
  type CountingProxy,
  type RequestLogProxy,
  type RequestLogProxyOptions,
} from '../containers/request-log-proxy';
import type { TargetDefinition, TargetNetwork } from './target';
import type { CaseContext } from './suite';

/** The target's network declaration; a target declaring `network-faults` without one is a setup error. */
export function networkOf(target: TargetDefinition): TargetNetwork {
  if (target.network) return target.network;
  throw new ConfigurationError(`target ${target.name} declares network-faults but no network`, {
    what: `target ${target.name}`,
    where: 'TargetDefinition.network',
    hint: 'declare which server the backend reaches and how to point it at another address',
  });
}

export function serverOf(ctx: CaseContext, network: TargetNetwork): ServerInfo {
  return requireEndpoint(ctx.environment.servers, network.server, `target ${ctx.target.name}`);
}

/** `host:port` at which a client on this machine reaches the server. */
export function clientAddressOf(ctx: CaseContext, network: TargetNetwork): string {
  const url = network.serverUrl(ctx.environment.servers);
  if (url) return new URL(url).host;
  throw new ConfigurationError(`the ${network.server.name} server of this run is not running`, {
    what: `target ${ctx.target.name}`,
    where: 'TargetEnvironment.servers',
    hint: `run the target through the runner, which starts ${network.server.name}`,
  });
}

/** The proxy's TLS on both sides when the server speaks HTTPS only; nothing for a plain-HTTP server. */
function proxyTlsOf(ctx: CaseContext, network: TargetNetwork): Pick<RequestLogProxyOptions, 'tls'> {
  const tls = network.proxyTls?.(ctx.environment.servers) ?? null;
  return tls ? { tls } : {};
}

/** A request-log proxy of the harness in front of the target's server, speaking the server's scheme. */
export function startLogProxyBefore(
  ctx: CaseContext,
  network: TargetNetwork,
  options: Omit<RequestLogProxyOptions, 'tls'> = {},
): Promise<RequestLogProxy> {
  return startRequestLogProxy(clientAddressOf(ctx, network), { ...options, ...proxyTlsOf(ctx, network) });
}

/** A counting proxy in front of the session's server, and backends of the session aimed through it. */
export interface CountedBackends {
  readonly proxy: CountingProxy;
  backend(kwargs?: Record<string, unknown>): SecretsBackend;
}

/**
 * Runs `body` with a fresh counting proxy in front of the target's server: "no request" and "one
 * request" are then counted on the wire, for any implementation (Airflow's own through the bridge too).
 */
export async function withCountingProxy(ctx: CaseContext, body: (counted: CountedBackends) => Promise<void>): Promise<void> {
  const network = networkOf(ctx.target);
  const proxy = await startCountingProxy(clientAddressOf(ctx, network), proxyTlsOf(ctx, network));
  try {
    await body({ proxy, backend: (kwargs = {}) => ctx.session.backend({ ...kwargs, ...network.addressKwargs(new URL(proxy.url).host) }) });
  } finally {
    await proxy.close();
  }
}

/** A backend of this session sent to `address`, with `extra` kwargs over the target's defaults. */
export function backendAt(ctx: CaseContext, address: string, extra: Record<string, unknown> = {}): SecretsBackend {
  const network = networkOf(ctx.target);
  return ctx.session.backend({ ...network.addressKwargs(address), ...extra });
}
