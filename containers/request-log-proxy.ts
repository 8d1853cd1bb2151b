/**
 * A pass-through HTTP proxy on 127.0.0.1 that writes down every request a backend sends through
 * it (method, path, headers). Put in front of a server, it counts on the wire, not inside the
 * client, so it proves "no request" or "one login" for any implementation: ours, or Airflow's own
 * through the bridge. It can also answer a request itself (`answer`), so a stand-in for a server
 * that throttles is the same proxy, counting the same way. Before a server that speaks HTTPS only
 * (kube-apiserver), it speaks HTTPS too (`tls`): it shows the server's own certificate, so a client
 * that trusts the server trusts the proxy, and dials the server trusting the run's CA.
 */
import {
  createServer as createHttpServer,
  request as forwardHttp,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, request as forwardHttps } from 'node:https';
import type { Server as NetServer } from 'node:net';
import { performance } from 'node:perf_hooks';

/** One request as the proxy saw it. */
export interface ObservedRequest {
  readonly method: string;
  readonly path: string;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** When it arrived, in ms since the proxy started (a monotonic clock). */
  readonly at: number;
  /** The status it was answered with, once the answer started; undefined before, or when the forward failed. */
  readonly status?: number;
}

/** An answer the proxy gives itself instead of forwarding. */
export interface CannedAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** How a proxy before an HTTPS-only server speaks TLS on both sides. */
export interface ProxyTls {
  /** What the proxy shows its clients: the server's own certificate (its names are 127.0.0.1 and localhost) and key, PEM. */
  readonly certificatePem: string;
  readonly keyPem: string;
  /** The CA the proxy trusts when it dials the server, PEM. */
  readonly upstreamCaPem: string;
}

export interface RequestLogProxyOptions {
  /** Answers a request without forwarding it, or `null` to forward. Called once per request, in order. */
  readonly answer?: (request: ObservedRequest) => CannedAnswer | null;
  /** HTTPS on both sides, for a server that serves nothing else; plain HTTP when absent. */
  readonly tls?: ProxyTls;
}

export interface RequestLogProxy {
  /** `host:port`, for kwargs that take an address (a target's `network.addressKwargs`). */
  readonly address: string;
  /** `http://host:port` (`https://` with `tls`), for kwargs that take a URL (`url`, `endpoint_url`). */
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

/** Forwards to `upstream` (`host:port`, `http://host:port` or, with `tls`, `https://`). A failed forward is a 502, as a real proxy answers. */
export async function startRequestLogProxy(upstream: string, options: RequestLogProxyOptions = {}): Promise<RequestLogProxy> {
  const { tls } = options;
  const scheme = tls ? 'https' : 'http';
  const target = new URL(upstream.includes('://') ? upstream : `${scheme}://${upstream}`);
  // Written here as answers come in; read-only to everyone else.
  const requests: Array<{ -readonly [K in keyof ObservedRequest]: ObservedRequest[K] }> = [];
  const started = performance.now();
  const handle = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    const observed: (typeof requests)[number] = {
      method: incoming.method ?? 'GET',
      path: incoming.url ?? '/',
      headers: flatHeaders(incoming.headers),
      at: performance.now() - started,
    };
    requests.push(observed);
    const canned = options.answer?.(observed) ?? null;
    if (canned) {
      observed.status = canned.status;
      // The request body is read and dropped, so the client sees a whole exchange.
      incoming.resume();
      incoming.on('end', () => {
        outgoing.writeHead(canned.status, { ...canned.headers, 'content-length': Buffer.byteLength(canned.body) });
        outgoing.end(canned.body);
      });
      return;
    }
    const where = { host: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: incoming.headers };
    const onAnswer = (answer: IncomingMessage): void => {
      observed.status = answer.statusCode ?? 502;
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    };
    const onward = tls ? forwardHttps({ ...where, ca: tls.upstreamCaPem }, onAnswer) : forwardHttp(where, onAnswer);
    onward.on('error', () => {
      if (!outgoing.headersSent) outgoing.statusCode = 502;
      outgoing.end();
    });
    incoming.pipe(onward);
  };
  const server = tls ? createHttpsServer({ cert: tls.certificatePem, key: tls.keyPem }, handle) : createHttpServer(handle);
  const port = await listenOnLoopback(server);
  return {
    address: `127.0.0.1:${port}`,
    url: `${scheme}://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((closed) => {
        server.closeAllConnections();
        server.close(() => closed());
      }),
  };
}

export async function startCountingProxy(upstream: string, options: Pick<RequestLogProxyOptions, 'tls'> = {}): Promise<CountingProxy> {
  const log = await startRequestLogProxy(upstream, options);
  return {
    url: log.url,
    get requests() {
      return log.requests.length;
    },
    close: () => log.close(),
  };
}
