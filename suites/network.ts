/**
 * What the failover and request-budget cases share about a networked target: its `network`
 * declaration, the server endpoint it reaches, and a backend aimed at another address.
 */
import type { SecretsBackend } from '../backends/contract';
import { ConfigurationError } from '../backends/errors';
import type { ServerInfo } from '../containers/contract';
import type { TargetDefinition, TargetNetwork } from '../targets/target';
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
  const server = ctx.environment.servers[network.server];
  if (server) return server;
  throw new ConfigurationError(`the ${network.server} server of this run is not running`, {
    what: `target ${ctx.target.name}`,
    where: 'TargetEnvironment.servers',
    hint: `run the target through the runner, which starts ${network.server}`,
  });
}

/** `host:port` at which a client on this machine reaches the server (its `address` or `endpoint`). */
export function clientAddressOf(ctx: CaseContext, network: TargetNetwork): string {
  const fields = serverOf(ctx, network) as unknown as Record<string, unknown>;
  const url = [fields.address, fields.endpoint].find((value): value is string => typeof value === 'string');
  if (url) return new URL(url).host;
  throw new ConfigurationError(`the ${network.server} endpoint names no address`, { where: 'TargetEnvironment.servers', hint: 'check containers/contract.ts' });
}

/** A backend of this session sent to `address`, with `extra` kwargs over the target's defaults. */
export function backendAt(ctx: CaseContext, address: string, extra: Record<string, unknown> = {}): SecretsBackend {
  const network = networkOf(ctx.target);
  return ctx.session.backend({ ...network.addressKwargs(address), ...extra });
}
