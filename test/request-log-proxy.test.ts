import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createHttpsServer, get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listenOnLoopback, startRequestLogProxy, type RequestLogProxy } from '../containers/request-log-proxy';
import { createTlsMaterial, type TlsMaterial } from '../containers/tls-certificates';

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

/** GET over HTTPS trusting `ca` only: the status, or the TLS error's code. */
function httpsStatus(url: string, ca: string): Promise<number | string> {
  return new Promise((settled) => {
    const request = httpsGet(url, { ca }, (answer) => {
      answer.resume();
      answer.on('end', () => settled(answer.statusCode ?? 0));
    });
    request.on('error', (error: Error & { code?: string }) => settled(error.code ?? error.message));
  });
}

describe('request-log proxy before an HTTPS-only server', () => {
  let tls: TlsMaterial;
  let upstreamAddress: string;

  async function httpsUpstream(): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'asc-proxy-tls-'));
    closers.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
    tls = await createTlsMaterial(dir);
    const server = createHttpsServer({ cert: tls.server.certificatePem, key: tls.server.keyPem }, (incoming, outgoing) => {
      incoming.resume();
      outgoing.writeHead(incoming.url === '/secret' ? 200 : 404).end();
    });
    const port = await listenOnLoopback(server);
    closers.push(() => new Promise<void>((closed) => server.close(() => closed())));
    upstreamAddress = `127.0.0.1:${port}`;
  }

  it('shows the server certificate, so a client trusting the run CA passes and one trusting another CA does not', async () => {
    await httpsUpstream();
    const proxy = await startRequestLogProxy(upstreamAddress, {
      tls: { certificatePem: tls.server.certificatePem, keyPem: tls.server.keyPem, upstreamCaPem: tls.ca.certificatePem },
    });
    closers.push(() => proxy.close());
    expect(proxy.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await httpsStatus(`${proxy.url}/secret`, tls.ca.certificatePem)).toBe(200);
    expect(await httpsStatus(`${proxy.url}/other`, tls.ca.certificatePem)).toBe(404);
    expect(await httpsStatus(`${proxy.url}/secret`, tls.otherCa.certificatePem)).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(proxy.requests.map((r) => [r.path, r.status])).toEqual([
      ['/secret', 200],
      ['/other', 404],
    ]);
  });

  it('dials the server trusting only the CA it was given: another CA is a 502, never a forwarded request', async () => {
    await httpsUpstream();
    const proxy = await startRequestLogProxy(upstreamAddress, {
      tls: { certificatePem: tls.server.certificatePem, keyPem: tls.server.keyPem, upstreamCaPem: tls.otherCa.certificatePem },
    });
    closers.push(() => proxy.close());
    expect(await httpsStatus(`${proxy.url}/secret`, tls.ca.certificatePem)).toBe(502);
  });
});
