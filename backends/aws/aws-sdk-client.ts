/**
 * The SDK side of both AWS provider backends: the client configuration the settings give
 * (credentials, region, endpoint, TLS, timeouts, botocore's retry strategy), and the middleware
 * that counts each attempt on the wire, holds it to a request gate and reads moto's XML refusals.
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import type { Client, DeserializeMiddleware, FinalizeRequestMiddleware, HttpResponse, MetadataBearer, MiddlewareStack } from '@smithy/types';
import { BotocoreRetryStrategy } from '../../model/retry';
import type { RequestGate } from '../../model/request-gate';
import { AwsRawErrorResponse } from './aws-failures';
import type { AwsClientSettings } from './aws-kwargs';

/** The SDK client configuration for the settings; shared by both services. */
export function sdkClientConfig(settings: AwsClientSettings) {
  // Like AwsConnectionWrapper: static keys only when both halves are given, else the default chain.
  const credentials =
    settings.accessKeyId && settings.secretAccessKey
      ? {
          accessKeyId: settings.accessKeyId,
          secretAccessKey: settings.secretAccessKey,
          ...(settings.sessionToken ? { sessionToken: settings.sessionToken } : {}),
        }
      : undefined;
  const httpsAgent =
    settings.verify === false
      ? new HttpsAgent({ keepAlive: true, rejectUnauthorized: false })
      : typeof settings.verify === 'string'
        ? new HttpsAgent({ keepAlive: true, ca: readFileSync(settings.verify) })
        : undefined;
  return {
    ...(settings.regionName ? { region: settings.regionName } : {}),
    ...(settings.endpointUrl ? { endpoint: settings.endpointUrl } : {}),
    ...(credentials ? { credentials } : {}),
    ...(settings.useSsl === undefined ? {} : { tls: settings.useSsl }),
    maxAttempts: settings.retry.totalMaxAttempts,
    // One strategy per client: botocore keeps one retry quota per client.
    retryStrategy: new BotocoreRetryStrategy(settings.retry),
    requestHandler: {
      connectionTimeout: settings.connectTimeoutMs,
      // botocore's read_timeout is the socket's: the longest silence, not the whole answer.
      socketTimeout: settings.readTimeoutMs,
      ...(httpsAgent ? { httpsAgent } : {}),
    },
  };
}

// The SDK's clients differ in their input and output types; only the middleware stack is used here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyClient = Client<any, any, any> & { middlewareStack: MiddlewareStack<any, any>; destroy(): void };

/** The client of one backend, with the count of HTTP requests it has sent (retries included). */
export interface ClientHandle<C extends AnyClient> {
  readonly client: C;
  requestsSent: number;
}

async function bodyText(body: unknown): Promise<string> {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Every attempt on the wire of `client` first takes a slot of `gate` (a cap on the request rate to a
 * server the harness does not own); no gate, no change.
 */
export function gateRequests<C extends Pick<AnyClient, 'middlewareStack'>>(client: C, gate: RequestGate | undefined): C {
  if (!gate) return client;
  const takeSlot: FinalizeRequestMiddleware<object, MetadataBearer> = (next) => async (args) => {
    await gate.take();
    return next(args);
  };
  // In the finalize step after the retry middleware: once per attempt.
  client.middlewareStack.add(takeSlot, { step: 'finalizeRequest', priority: 'low', name: 'ascRequestGate' });
  return client;
}

/** The client as a backend keeps it: each attempt counted and gated, moto's XML refusals read for their code. */
export function instrument<C extends AnyClient>(client: C, gate?: RequestGate): ClientHandle<C> {
  const handle: ClientHandle<C> = { client: gateRequests(client, gate), requestsSent: 0 };
  const countRequests: FinalizeRequestMiddleware<object, MetadataBearer> = (next) => async (args) => {
    handle.requestsSent += 1;
    return next(args);
  };
  const readXmlErrors: DeserializeMiddleware<object, MetadataBearer> = (next) => async (args) => {
    const result = await next(args);
    const response = result.response as Partial<HttpResponse>;
    const { statusCode = 0, headers = {} } = response;
    const contentType = Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
    // moto labels its XML refusals text/html; a JSON error body is left to the SDK.
    if (statusCode >= 400 && !/json/i.test(contentType)) {
      const text = await bodyText(response.body);
      const code = /^\s*</.test(text) ? /<Code>([^<]*)<\/Code>/.exec(text)?.[1] : undefined;
      if (code !== undefined) throw new AwsRawErrorResponse(code, statusCode);
      response.body = Buffer.from(text, 'utf8');
    }
    return result;
  };
  // In the finalize step after the retry middleware: runs once per attempt on the wire.
  client.middlewareStack.add(countRequests, { step: 'finalizeRequest', priority: 'low', name: 'ascCountRequests' });
  // Below the SDK's deserializer, so it sees the raw response first.
  client.middlewareStack.add(readXmlErrors, { step: 'deserialize', priority: 'low', name: 'ascReadXmlErrors' });
  return handle;
}
