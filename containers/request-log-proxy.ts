/**
 * A pass-through HTTP proxy on 127.0.0.1 that writes down every request a backend sends through
 * it (method, path, headers). Put in front of a server, it counts on the wire, not inside the
 * client, so it proves "no request" or "one login" for any implementation: ours, or Airflow's own
 * through the bridge.
 */
import { createServer, request as forward, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Server as NetServer } from 'node:net';

/** One request as the proxy saw it. */
export interface ObservedRequest {
  readonly method: string;
  readonly path: string;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string | undefined>>;
}

export interface RequestLogProxy {
  /** `host:port`, for kwargs that take an address (a target's `network.addressKwargs`). */
  readonly address: string;
  /** `http://host:port`, for kwargs that take a URL (`url`, `endpoint_url`). */
  readonly url: string;
  /** Every request that reached the proxy, in order. */
  readonly requests: readonly ObservedRequest[];
  close(): Promise<void>;
}

/** The proxy when only the count matters. */
export interface CountingProxy {
  readonly url: string;
  /** HTTP requests that reached it so far. */
  readonly requests: number;
  close(): Promise<void>;
}

/** Listens on a free port of 127.0.0.1 and answers with it. */
export function listenOnLoopback(server: NetServer): Promise<number> {
  return new Promise<number>((listening, failed) => {
    server.once('error', failed);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') failed(new Error('the server has no TCP address'));
      else listening(address.port);
    });
  });
}

function flatHeaders(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}

/** Forwards to `upstream` (`host:port` or `http://host:port`). A failed forward is a 502, as a real proxy answers. */
export async function startRequestLogProxy(upstream: string): Promise<RequestLogProxy> {
  const target = new URL(upstream.includes('://') ? upstream : `http://${upstream}`);
  const requests: ObservedRequest[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    requests.push({ method: incoming.method ?? 'GET', path: incoming.url ?? '/', headers: flatHeaders(incoming.headers) });
    const onward = forward(
      { host: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    onward.on('error', () => {
      if (!outgoing.headersSent) outgoing.statusCode = 502;
      outgoing.end();
    });
    incoming.pipe(onward);
  });
  const port = await listenOnLoopback(server);
  return {
    address: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((closed) => {
        server.closeAllConnections();
        server.close(() => closed());
      }),
  };
}

export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const log = await startRequestLogProxy(upstream);
  return {
    url: log.url,
    get requests() {
      return log.requests.length;
    },
    close: () => log.close(),
  };
}
