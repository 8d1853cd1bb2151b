/**
 * A pass-through HTTP proxy on 127.0.0.1 that writes down every request a backend sends through
 * it (method, path, headers), so a case can count upstream requests by what they are for and
 * hold a backend's own request counter against them.
 */
import { createServer, request as forward, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ObservedRequest } from '../targets/target';

export interface RequestLogProxy {
  /** `host:port` to hand to the target's `network.addressKwargs`. */
  readonly address: string;
  /** Every request that reached the proxy, in order. */
  readonly requests: readonly ObservedRequest[];
  close(): Promise<void>;
}

function flatHeaders(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}

/** Forwards to `upstream` (`host:port`). A failed forward is a 502, as a real proxy answers. */
export async function startRequestLogProxy(upstream: string): Promise<RequestLogProxy> {
  const separator = upstream.lastIndexOf(':');
  const host = upstream.slice(0, separator);
  const port = Number(upstream.slice(separator + 1));
  const requests: ObservedRequest[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    requests.push({ method: incoming.method ?? 'GET', path: incoming.url ?? '/', headers: flatHeaders(incoming.headers) });
    const onward = forward({ host, port, path: incoming.url, method: incoming.method, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    onward.on('error', () => {
      if (!outgoing.headersSent) outgoing.statusCode = 502;
      outgoing.end();
    });
    incoming.pipe(onward);
  });
  await new Promise<void>((listening, failed) => {
    server.once('error', failed);
    server.listen(0, '127.0.0.1', () => listening());
  });
  const { port: listenPort } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${listenPort}`,
    requests,
    close: () =>
      new Promise<void>((closed) => {
        server.closeAllConnections();
        server.close(() => closed());
      }),
  };
}
