import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { listenOnLoopback, startRequestLogProxy, type RequestLogProxy } from '../containers/request-log-proxy';

const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function upstream(): Promise<string> {
  const server = createServer((incoming, outgoing) => {
    incoming.resume();
    outgoing.writeHead(200, { 'content-type': 'text/plain' }).end('from upstream');
  });
  const port = await listenOnLoopback(server);
  closers.push(() => new Promise<void>((closed) => server.close(() => closed())));
  return `127.0.0.1:${port}`;
}

async function proxied(options: Parameters<typeof startRequestLogProxy>[1]): Promise<RequestLogProxy> {
  const proxy = await startRequestLogProxy(await upstream(), options);
  closers.push(() => proxy.close());
  return proxy;
}

describe('request-log proxy', () => {
  it('forwards, and notes when each request came and what status it got', async () => {
    const proxy = await proxied({});
    for (let i = 0; i < 2; i += 1) expect(await (await fetch(`${proxy.url}/x`)).text()).toBe('from upstream');
    expect(proxy.requests.map((r) => r.status)).toEqual([200, 200]);
    expect(proxy.requests[1]!.at).toBeGreaterThanOrEqual(proxy.requests[0]!.at);
  });

  it('answers itself where `answer` says so, reading and dropping the body, and forwards the rest', async () => {
    const throttled = { status: 400, headers: { 'content-type': 'application/json' }, body: '{"__type":"ThrottlingException"}' };
    const proxy = await proxied({ answer: (request) => (request.path === '/read' ? throttled : null) });
    const canned = await fetch(`${proxy.url}/read`, { method: 'POST', body: 'x'.repeat(100_000) });
    expect(canned.status).toBe(400);
    expect(await canned.json()).toEqual({ __type: 'ThrottlingException' });
    expect(await (await fetch(`${proxy.url}/other`)).text()).toBe('from upstream');
    expect(proxy.requests.map((r) => [r.path, r.status])).toEqual([
      ['/read', 400],
      ['/other', 200],
    ]);
  });
});
