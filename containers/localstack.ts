/**
 * LocalStack (community, `localstack-core` from PyPI): the second AWS emulator, serving Secrets
 * Manager, SSM, STS and IAM on one gateway port. Docker: `@testcontainers/localstack` on the image
 * containers/images.ts picks (upstream `localstack/localstack`). Native: its runtime from the venv
 * `npm run servers:install` builds with a Python >= 3.12 (install/localstack.sh says why).
 *
 * Any access key is accepted and IAM policies are not enforced (that is LocalStack Pro's
 * `ENFORCE_IAM`), so the endpoint carries LocalStack's documented `test` keys.
 *
 *   await using localstack = await new LocalstackServer().withLogDir(dir).start();
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UnavailableError } from '../model/errors';
import type { ServerKind } from './contract';
import type { MotoEndpoint } from './moto';
import { repoPath } from './native-process';
import { serverKind, ServerModule, StartedServer } from './server-module';

/** The same shape as moto's: the AWS targets read either through `endpoint_url`. */
export type LocalstackEndpoint = MotoEndpoint;

export const defaultLocalstackImage = 'localstack/localstack:2026.3.0';
export const nativeLocalstackExecutable = repoPath('.cache/localstack-venv/bin/python');
const containerPort = 4566;
const region = 'us-east-1';
const services = 'secretsmanager,ssm,sts,iam';
/** LocalStack's documented keys; any other pair works the same. */
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' } as const;
/** No network calls out: no certificate download, no DNS server, no analytics. */
const offline = { SKIP_SSL_CERT_DOWNLOAD: '1', DNS_ADDRESS: '0', DISABLE_EVENTS: '1' } as const;

export class LocalstackServer extends ServerModule<LocalstackEndpoint, StartedLocalstackServer> {
  constructor() {
    super({
      name: 'localstack',
      upstreamImage: defaultLocalstackImage,
      executable: nativeLocalstackExecutable,
      handle: StartedLocalstackServer,
    });
  }

  protected startProcess(): Promise<StartedLocalstackServer> {
    // State and plugin caches stay beside the log, never in the user's home or /var/lib.
    const state = join(this.logFile.replace(/\.log$/, ''), 'state');
    mkdirSync(state, { recursive: true });
    return this.startNative(
      {
        installedAs: 'localstack (install/localstack.sh)',
        args: () => ['-m', 'localstack.runtime.main'],
        env: (port) => ({
          ...offline,
          GATEWAY_LISTEN: `127.0.0.1:${port}`,
          SERVICES: services,
          LOCALSTACK_VOLUME_DIR: join(state, 'volume'),
          FILESYSTEM_ROOT: join(state, 'filesystem'),
          CACHE_DIR: join(state, 'cache'),
          TMP_FOLDER: join(state, 'tmp'),
          XDG_CACHE_HOME: join(state, 'xdg-cache'),
          PYTHONUNBUFFERED: '1',
        }),
        healthPath: '/_localstack/health',
        probe: readLocalstackVersion,
      },
      async (port, version) => ({ version, proxyUpstream: `127.0.0.1:${port}`, endpoint: `http://127.0.0.1:${port}`, region, ...credentials }),
    );
  }

  protected startContainer(): Promise<StartedLocalstackServer> {
    return this.startInDocker(
      async (prepare) => {
        const { LocalstackContainer } = await import('@testcontainers/localstack');
        return prepare(new LocalstackContainer(this.image).withEnvironment({ ...offline, SERVICES: services })).start();
      },
      async (started) => {
        const endpoint = `http://${started.getHost()}:${started.getMappedPort(containerPort)}`;
        return {
          version: (await readLocalstackVersion(endpoint).catch(() => undefined)) ?? this.image,
          ...this.upstreamOnNetwork(containerPort),
          endpoint,
          region,
          ...credentials,
        };
      },
    );
  }
}

/** LocalStack as AWS, with its own behaviour where it differs from moto's (the aws family's table). */
export const localstackServer: ServerKind<LocalstackEndpoint> = serverKind('localstack', () => new LocalstackServer());

export class StartedLocalstackServer extends StartedServer<LocalstackEndpoint> {
  getEndpoint(): string {
    return this.endpoint.endpoint;
  }
}

/** The version `/_localstack/health` reports once the gateway serves. */
async function readLocalstackVersion(endpoint: string): Promise<string | undefined> {
  const response = await fetch(`${endpoint}/_localstack/health`, { signal: AbortSignal.timeout(2_000) });
  if (response.status !== 200) {
    await response.body?.cancel();
    return undefined;
  }
  const health = (await response.json()) as { version?: unknown };
  if (typeof health.version !== 'string') {
    throw new UnavailableError('LocalStack health answer has no version', { where: endpoint, hint: 'is this a LocalStack gateway?' });
  }
  return health.version;
}
