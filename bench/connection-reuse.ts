/**
 * Measurement 2a: 1,000 sequential lookups with one backend instance, through a TCP proxy that
 * counts connections and an HTTP proxy behind it that counts requests; twice: with the server as
 * it is, and behind a keep-alive front (`./keep-alive-front`) that shows what the client itself
 * does when the server lets it keep a connection, as AWS and Vault do and moto does not.
 */
import { performance } from 'node:perf_hooks';
import { startCountingProxy } from '../containers/request-log-proxy';
import type { TargetDefinition, TargetEnvironment, TargetSession } from '../suites/target';
import { startKeepAliveFront } from './keep-alive-front';
import { startTcpCountingProxy } from './tcp-counting-proxy';

export type ReuseMode = 'server-as-is' | 'keep-alive-front';

export interface ReuseCount {
  readonly lookups: number;
  readonly tcpConnections: number;
  readonly httpRequests: number;
  /** Answers in which the server asked to close the connection (`keep-alive-front` only). */
  readonly serverCloses: number | null;
  readonly wallMs: number;
}

export interface ConnectionReuse {
  readonly target: string;
  readonly server: string;
  readonly asIs: ReuseCount | null;
  readonly front: ReuseCount | null;
  readonly notRun?: string;
}

export interface ReusePlan {
  readonly lookups: number;
  /** Per mode: fewer lookups are made when it runs out. */
  readonly budgetMs: number;
}

function upstreamOf(target: TargetDefinition, environment: TargetEnvironment): string | null {
  return target.network?.serverUrl(environment.servers) ?? null;
}

interface HttpCounter {
  readonly url: string;
  readonly requests: number;
  readonly serverCloses?: number;
  close(): Promise<void>;
}

async function countLookups(
  target: TargetDefinition,
  session: TargetSession,
  upstream: string,
  mode: ReuseMode,
  key: string,
  value: string,
  plan: ReusePlan,
): Promise<ReuseCount> {
  const http: HttpCounter = mode === 'keep-alive-front' ? await startKeepAliveFront(upstream) : await startCountingProxy(upstream);
  const tcp = await startTcpCountingProxy(http.url);
  try {
    const network = target.network!;
    // A fresh instance per mode: its first connection and login are counted too.
    const backend = session.backend(network.addressKwargs(new URL(tcp.url).host));
    const started = performance.now();
    let lookups = 0;
    while (lookups < plan.lookups && performance.now() - started < plan.budgetMs) {
      if ((await backend.getVariable(key)) !== value) throw new Error(`lookup ${lookups + 1} answered something other than the seeded value`);
      lookups += 1;
    }
    const wallMs = performance.now() - started;
    await backend.close?.();
    return { lookups, tcpConnections: tcp.connections, httpRequests: http.requests, serverCloses: http.serverCloses ?? null, wallMs };
  } finally {
    await tcp.close();
    await http.close();
  }
}

export async function measureConnectionReuse(
  target: TargetDefinition,
  environment: TargetEnvironment,
  key: string,
  value: string,
  plan: ReusePlan,
): Promise<ConnectionReuse> {
  const server = target.network?.server.name ?? 'none';
  const notRun = (why: string): ConnectionReuse => ({ target: target.name, server, asIs: null, front: null, notRun: why });
  const upstream = upstreamOf(target, environment);
  if (!target.network || !upstream) return notRun(`not run: ${target.name} reaches no server this bench started`);
  let session: TargetSession | undefined;
  try {
    session = await target.open(environment);
    await session.fixtures.putVariable(key, value);
    const asIs = await countLookups(target, session, upstream, 'server-as-is', key, value, plan);
    const front = await countLookups(target, session, upstream, 'keep-alive-front', key, value, plan);
    return { target: target.name, server, asIs, front };
  } catch (error) {
    return notRun(`not run: ${error instanceof Error ? error.message.replace(/\s*\n\s*/g, ' ') : String(error)}`);
  } finally {
    await session?.close().catch(() => {});
  }
}
