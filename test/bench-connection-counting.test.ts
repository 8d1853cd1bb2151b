/** How the bench counts connections: a TCP proxy on 127.0.0.1, and the keep-alive front that spares a closing server. */
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeepAliveFront } from '../bench/keep-alive-front';
import { startTcpCountingProxy } from '../bench/tcp-counting-proxy';

describe('connection counting on 127.0.0.1', () => {
  let closingServer: Server;
  let upstream: string;

  beforeAll(async () => {
    // Answers like moto's Werkzeug: every response asks to close the connection.
    closingServer = createServer((incoming, outgoing) => {
      incoming.resume();
      incoming.on('end', () => outgoing.writeHead(200, { connection: 'close', 'content-type': 'text/plain' }).end('ok'));
    });
    await new Promise<void>((resolve) => closingServer.listen(0, '127.0.0.1', () => resolve()));
    upstream = `http://127.0.0.1:${(closingServer.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => closingServer.close(() => resolve()));
  });

  function get(url: string, agent: Agent): Promise<string> {
    return new Promise((resolve, reject) => {
      const sent = request(url, { agent }, (answer) => {
        let body = '';
        answer.setEncoding('utf8');
        answer.on('data', (chunk: string) => (body += chunk));
        answer.on('end', () => resolve(body));
      });
      sent.on('error', reject);
      sent.end();
    });
  }

  it('counts one connection per request against a server that closes each one', async () => {
    const proxy = await startTcpCountingProxy(upstream);
    const agent = new Agent({ keepAlive: true });
    try {
      for (let index = 0; index < 5; index += 1) expect(await get(proxy.url, agent)).toBe('ok');
      expect(proxy.connections).toBe(5);
    } finally {
      agent.destroy();
      await proxy.close();
    }
  });

  it("keeps one connection for a keep-alive client behind the front, counting the server's closes", async () => {
    const front = await startKeepAliveFront(upstream);
    const proxy = await startTcpCountingProxy(front.url);
    const keepAlive = new Agent({ keepAlive: true });
    const noKeepAlive = new Agent({ keepAlive: false });
    try {
      for (let index = 0; index < 5; index += 1) expect(await get(proxy.url, keepAlive)).toBe('ok');
      expect(proxy.connections).toBe(1);
      expect(front).toMatchObject({ requests: 5, serverCloses: 5 });
      for (let index = 0; index < 3; index += 1) expect(await get(proxy.url, noKeepAlive)).toBe('ok');
      expect(proxy.connections).toBe(4);
    } finally {
      keepAlive.destroy();
      noKeepAlive.destroy();
      await proxy.close();
      await front.close();
    }
  });

  it('forwards to this machine only', async () => {
    await expect(startTcpCountingProxy('http://example.com:80')).rejects.toThrow(/this machine only/);
  });
});
