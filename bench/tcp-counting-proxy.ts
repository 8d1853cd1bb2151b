/**
 * A TCP pass-through on 127.0.0.1 that counts the connections a client opens. HTTP request counts
 * say how many calls a lookup costs; connection counts say whether the client reuses its sockets
 * (keep-alive) or pays a TCP handshake, and on real servers TLS, for every lookup.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { listenOnLoopback } from '../containers/request-log-proxy';

export interface TcpCountingProxy {
  /** `http://127.0.0.1:<port>`: give it to the backend as its server address. */
  readonly url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/** Listens on a free port of 127.0.0.1 and forwards every connection to `upstream` (`http://host:port`). */
export async function startTcpCountingProxy(upstream: string): Promise<TcpCountingProxy> {
  const target = new URL(upstream);
  if (target.hostname !== '127.0.0.1' && target.hostname !== 'localhost') {
    throw new RangeError(`the counting proxy forwards to this machine only, not ${target.hostname}`);
  }
  let connections = 0;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    connections += 1;
    const forwarded = connect({ host: target.hostname, port: Number(target.port) });
    for (const socket of [client, forwarded]) {
      // Nagle on a relay holds a request's second segment until the first is acknowledged, and a
      // long-lived connection gets delayed ACKs: ~40 ms stalls that belong to the proxy, not the client.
      socket.setNoDelay(true);
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      // Either side failing ends the pair; the client sees a reset, as it would from the server.
      socket.on('error', () => {
        client.destroy();
        forwarded.destroy();
      });
    }
    client.pipe(forwarded);
    forwarded.pipe(client);
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
