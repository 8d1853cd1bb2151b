/**
 * What only a real moto shows about the AWS reference backends: request counts, moto-iam's XML
 * refusals, a dead or closed port, and a session leaving nothing behind.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { requestsSentBy } from '../backends/aws/aws-provider-backend';
import { SecretsManagerBackend } from '../backends/aws/secrets-manager-backend';
import { SystemsManagerParameterStoreBackend } from '../backends/aws/parameter-store-backend';
import { ConfigurationError, ForbiddenError, TimeoutError, UnauthorizedError, UnavailableError } from '../model/errors';
import { endpointOf } from '../containers/contract';
import { motoIamServer, motoServer, nativeMotoExecutable } from '../containers/moto';
import { startServers, type StartedServers } from '../containers/servers';
import { awsParameterStoreTarget, awsSecretsManagerTarget } from '../backends/aws/targets';
import { runRoot } from '../backends/aws/stores';
import type { TargetEnvironment } from '../suites/target';

function requireMoto(ctx: TestContext): void {
  if (existsSync(nativeMotoExecutable)) return;
  const note = `not run: moto_server not installed at ${nativeMotoExecutable}; run npm run servers:install`;
  if (process.env.CI === 'true') throw new Error(note);
  ctx.skip(note);
}

describe('against moto', () => {
  let servers: StartedServers | undefined;
  let environment: TargetEnvironment;
  const logDir = mkdtempSync(join(tmpdir(), 'asc-aws-backends-'));

  beforeAll(async () => {
    if (!existsSync(nativeMotoExecutable)) return;
    servers = await startServers([motoServer, motoIamServer], { provisioning: 'native', logDir });
    environment = { runId: `aws-backends-${process.pid}`, canary: 'cnryawsbackends', scratchDir: logDir, servers: servers.endpoints };
  }, 120_000);

  afterAll(async () => {
    await servers?.stop();
    rmSync(logDir, { recursive: true, force: true });
  });

  function motoKwargs(name: 'moto' | 'moto-iam', extra: Record<string, unknown> = {}): Record<string, unknown> {
    const endpoint = servers && endpointOf(servers.endpoints, name === 'moto' ? motoServer : motoIamServer);
    if (!endpoint) throw new Error(`${name} did not start`);
    return {
      endpoint_url: endpoint.endpoint,
      region_name: endpoint.region,
      aws_access_key_id: endpoint.accessKeyId,
      aws_secret_access_key: endpoint.secretAccessKey,
      ...extra,
    };
  }

  it('sends one request per lookup, none for a disabled kind, and reads "not found" as null', async (ctx) => {
    requireMoto(ctx);
    const backend = new SecretsManagerBackend(motoKwargs('moto', { connections_prefix: null }));
    try {
      expect(await backend.getVariable('asc_missing_variable')).toBeNull();
      expect(requestsSentBy(backend)).toBe(1);
      expect(await backend.getConnection('asc_missing_connection')).toBeNull();
      expect(requestsSentBy(backend)).toBe(1);
    } finally {
      await backend.close();
    }
    expect(() => requestsSentBy({ kind: 'Other' })).toThrow(/not an AWS provider backend/);
  });

  it("reads moto-iam's XML refusal of unknown keys as Unauthorized, sent once, without the keys", async (ctx) => {
    requireMoto(ctx);
    const secretKey = 'wrong-secret-key-for-the-test';
    for (const make of [
      (kwargs: Record<string, unknown>) => new SecretsManagerBackend(kwargs),
      (kwargs: Record<string, unknown>) => new SystemsManagerParameterStoreBackend(kwargs),
    ]) {
      const backend = make(motoKwargs('moto-iam', { aws_access_key_id: 'ASCUNKNOWNKEY', aws_secret_access_key: secretKey }));
      try {
        const error = await backend.getVariable('k').then(
          () => null,
          (caught: unknown) => caught,
        );
        expect(error).toBeInstanceOf(UnauthorizedError);
        expect((error as UnauthorizedError).oneLine()).toMatch(/InvalidClientTokenId, HTTP 403/);
        expect((error as UnauthorizedError).oneLine()).not.toContain('ASCUNKNOWNKEY');
        expect((error as UnauthorizedError).oneLine()).not.toContain(secretKey);
        expect(requestsSentBy(backend)).toBe(1);
      } finally {
        await backend.close?.();
      }
    }
  });

  it('is Unavailable on a closed port and Timeout on a port that never answers', async (ctx) => {
    requireMoto(ctx);
    const closed = new SecretsManagerBackend(
      motoKwargs('moto', { endpoint_url: 'http://127.0.0.1:9', config_kwargs: { connect_timeout: 5, read_timeout: 5 } }),
    );
    await expect(closed.getVariable('k')).rejects.toBeInstanceOf(UnavailableError);
    await closed.close();
    // Accepts connections and never answers.
    const accepted = new Set<Socket>();
    const silentServer = createServer((socket) => accepted.add(socket));
    await new Promise<void>((listening) => silentServer.listen(0, '127.0.0.1', () => listening()));
    const address = silentServer.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const silent = new SystemsManagerParameterStoreBackend(
      motoKwargs('moto', { endpoint_url: `http://127.0.0.1:${port}`, config_kwargs: { read_timeout: 0.3, retries: { total_max_attempts: 1 } } }),
    );
    try {
      await expect(silent.getVariable('k')).rejects.toBeInstanceOf(TimeoutError);
    } finally {
      await silent.close();
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((closed) => silentServer.close(() => closed()));
    }
  });

  it('leaves nothing behind: a session removes its secrets, its moto-iam seeds and users', async (ctx) => {
    requireMoto(ctx);
    for (const target of [awsSecretsManagerTarget, awsParameterStoreTarget]) {
      const session = await target.open(environment);
      await session.fixtures.putVariable('asc_left', 'value-1');
      await session.fixtures.putConnection('asc_left', { fields: { conn_type: 'http', user: 'svc' } });
      await session.fixtures.storeNames?.put(`${session.fixtures.storeNames.root}/named/x`, 'value-2');
      await expect(session.fixtures.storeNames?.put('outside/root', 'v')).rejects.toBeInstanceOf(ConfigurationError);
      const denied = await session.auth?.deniedRead?.({ connId: 'asc_left', key: 'asc_left' });
      await expect(denied?.backend.getVariable('asc_left')).rejects.toBeInstanceOf(ForbiddenError);
      // Two fixtures and one named secret in moto, the two denied-read seeds in moto-iam.
      expect(await target.residue?.(environment)).toBe(5);
      await session.close();
      expect(await target.residue?.(environment)).toBe(0);
    }
    expect(runRoot('ssm', environment.runId)).toMatch(/^\/asc\/[0-9a-f]{10}$/);
  });
});
