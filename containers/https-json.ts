/**
 * One JSON request over HTTPS that trusts exactly the CA it is given: what the server modules use
 * to probe and set up servers served with the run's own certificates. Node's `https` (the socket
 * layer axios and node-vault use too), so a TLS failure carries Node's own error code.
 */
import { request } from 'node:https';
import { TimeoutError, UnavailableError } from '../model/errors';

export interface HttpsJsonRequest {
  readonly method?: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'LIST';
  /** PEM text of the CA(s) to trust; nothing else is trusted. */
  readonly ca: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly timeoutMs?: number;
}

export interface HttpsJsonAnswer {
  readonly status: number;
  /** The parsed JSON body; `undefined` for an empty one. */
  readonly body: unknown;
}

export function httpsJson(url: string, options: HttpsJsonRequest): Promise<HttpsJsonAnswer> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: options.method ?? 'GET',
        ca: options.ca,
        headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
        timeout: timeoutMs,
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text === '' ? undefined : JSON.parse(text);
          } catch {
            body = text;
          }
          resolve({ status: incoming.statusCode ?? 0, body });
        });
      },
    );
    outgoing.on('timeout', () =>
      outgoing.destroy(new TimeoutError(`no answer within ${timeoutMs} ms`, { where: new URL(url).origin, hint: 'is the server up?' })),
    );
    outgoing.on('error', (error: Error & { code?: string }) => {
      if (error instanceof TimeoutError) return reject(error);
      reject(
        new UnavailableError(`${options.method ?? 'GET'} ${new URL(url).pathname} failed: ${error.code ?? error.message}`, {
          where: new URL(url).origin,
          hint: 'check that the server runs and presents a certificate the given CA signed',
          cause: error,
        }),
      );
    });
    outgoing.end(payload);
  });
}
