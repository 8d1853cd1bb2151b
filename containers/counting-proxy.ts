/**
 * A pass-through HTTP proxy on 127.0.0.1 that counts what reaches it. Put in front of a server, it
 * proves "no request" (or "one login") for any backend implementation, ours or Airflow's through
 * the bridge, since it counts on the wire rather than inside the client.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  /** The proxy's address, for the backend's address kwarg (`url`, `endpoint_url`). */
  readonly url: string;
  /** HTTP requests that reached it so far. */
  readonly requests: number;
  close(): Promise<void>;
}

/** A pass-through HTTP proxy on 127.0.0.1 that counts the requests a backend sends upstream. */
export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const target = new URL(upstream);
  let requests = 0;
  const server: Server = createServer((incoming, outgoing) => {
    requests += 1;
    const forwarded = httpRequest(
      { host: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', () => {
      outgoing.statusCode = 502;
      outgoing.end();
    });
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
