/**
 * An HTTP/1.1 front on 127.0.0.1 that keeps client connections alive whatever the server behind
 * it does. moto's Werkzeug server answers every request with `Connection: close`, so against moto
 * no client can reuse a connection; behind this front the connection count shows what the client
 * itself does, as it would against AWS. It also counts requests, and the answers in which the
 * server asked to close.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { listenOnLoopback } from '../containers/request-log-proxy';

export interface KeepAliveFront {
  readonly url: string;
  readonly requests: number;
  /** Answers in which the server behind said `Connection: close`. */
  readonly serverCloses: number;
  close(): Promise<void>;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1): about one connection, never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())));
}

export async function startKeepAliveFront(upstream: string): Promise<KeepAliveFront> {
  const target = new URL(upstream);
  let requests = 0;
  let serverCloses = 0;
  const server: Server = createServer((incoming, outgoing) => {
    requests += 1;
    const forwarded = httpRequest(
      { host: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: endToEnd(incoming.headers) },
      (answer) => {
        if (/\bclose\b/i.test(answer.headers.connection ?? '')) serverCloses += 1;
        outgoing.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', () => {
      outgoing.statusCode = 502;
      outgoing.end();
    });
    incoming.pipe(forwarded);
  });
  // Longer than any pause between two lookups of the bench, so an idle client connection survives.
  server.keepAliveTimeout = 30_000;
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    get serverCloses() {
      return serverCloses;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
