/**
 * moto in server mode: AWS Secrets Manager, SSM Parameter Store, IAM and STS on one HTTP endpoint.
 * Docker: the `motoserver/moto` image. Native: `moto_server` from the venv that
 * `npm run servers:install` puts in `.cache/servers-venv`.
 *
 * With `withIamEnforced()` moto checks SigV4 signatures and IAM policies on every request
 * (`INITIAL_NO_AUTH_ACTION_COUNT=0`). Such a server starts with no identity at all, so the start
 * creates an admin user (allowed everything) whose keys the endpoint carries: the auth suite uses
 * them to create the users and policies it tests with.
 *
 *   await using moto = await new MotoServer().withIamEnforced().withLogDir(dir, 'moto-iam').start();
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { UnavailableError } from '../model/errors';
import type { ServerInfo, ServerKind } from './contract';
import { repoPath } from './native-process';
import { serverKind, ServerModule, StartedServer, type EndpointDetails } from './server-module';

export interface MotoEndpoint extends ServerInfo {
  /** `http://127.0.0.1:<port>`, for the SDK's `endpoint` and Airflow's `endpoint_url`. */
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** A moto that enforces IAM: the credentials are an admin user's, allowed to create users and policies. */
export interface MotoIamEndpoint extends MotoEndpoint {
  readonly accountId: string;
  readonly adminUserName: string;
}

export const defaultMotoImage = 'motoserver/moto:5.2.5';
export const nativeMotoExecutable = repoPath('.cache/servers-venv/bin/moto_server');
const containerPort = 5000;
const region = 'us-east-1';
/** moto's account when an access key does not name another. */
const defaultAccountId = '123456789012';
const adminUserName = 'conformance-admin';
/** Any key works while IAM is not enforced; these are the values moto's own docs use. */
const unenforcedCredentials = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

export class MotoServer extends ServerModule<MotoEndpoint | MotoIamEndpoint, StartedMotoServer> {
  private iamEnforced = false;

  constructor() {
    super({ name: 'moto', upstreamImage: defaultMotoImage, executable: nativeMotoExecutable, handle: StartedMotoServer });
  }

  /** Check SigV4 and IAM policies on every request; the endpoint then carries an admin user's keys. */
  withIamEnforced(): this {
    this.iamEnforced = true;
    return this;
  }

  protected override get defaultName(): string {
    return this.iamEnforced ? `${super.defaultName}-iam` : super.defaultName;
  }

  private get environment(): Record<string, string> {
    return this.iamEnforced ? { INITIAL_NO_AUTH_ACTION_COUNT: '0' } : {};
  }

  protected startProcess(): Promise<StartedMotoServer> {
    // Read while the server starts: the interpreter takes a moment.
    const version = nativeMotoVersion(this.executable);
    return this.startNative(
      {
        installedAs: 'moto_server',
        args: (port) => ['-H', '127.0.0.1', '-p', String(port)],
        env: { ...this.environment, PYTHONUNBUFFERED: '1' },
        healthPath: '/moto-api/',
        probe: motoAnswers,
      },
      async (port) => this.describe(`http://127.0.0.1:${port}`, await version, { proxyUpstream: `127.0.0.1:${port}` }),
    );
  }

  protected startContainer(): Promise<StartedMotoServer> {
    return this.startInDocker(
      async (prepare) => {
        const { GenericContainer, Wait } = await import('testcontainers');
        const container = new GenericContainer(this.image)
          .withExposedPorts(containerPort)
          .withEnvironment(this.environment)
          .withWaitStrategy(Wait.forHttp('/moto-api/', containerPort).forStatusCode(200))
          .withStartupTimeout(60_000);
        return prepare(container).start();
      },
      async (started) => {
        const probe = await started.exec(['python', '-c', motoVersionScript]).catch(() => undefined);
        const reported = probe?.exitCode === 0 ? probe.output.trim() : '';
        const endpoint = `http://${started.getHost()}:${started.getMappedPort(containerPort)}`;
        return this.describe(endpoint, reported || this.image, this.upstreamOnNetwork(containerPort));
      },
    );
  }

  /** With IAM enforced, describing the server creates its admin user. */
  private async describe(
    endpoint: string,
    version: string,
    upstream: { proxyUpstream?: string },
  ): Promise<EndpointDetails<MotoEndpoint | MotoIamEndpoint>> {
    const common = { version, ...upstream, endpoint, region };
    return this.iamEnforced ? { ...common, ...(await createAdminUser(endpoint)) } : { ...common, ...unenforcedCredentials };
  }
}

/** moto as AWS: any signature and any key pass. */
export const motoServer: ServerKind<MotoEndpoint> = serverKind('moto', () => new MotoServer());
/**
 * A second moto that checks SigV4 signatures and IAM policies (the auth scenarios). Its start
 * always creates the admin user, so its endpoint is a MotoIamEndpoint.
 */
export const motoIamServer = serverKind('moto-iam', () => new MotoServer().withIamEnforced()) as ServerKind<MotoIamEndpoint>;

export class StartedMotoServer extends StartedServer<MotoEndpoint | MotoIamEndpoint> {
  /** For the AWS SDK's `endpoint` and Airflow's `endpoint_url`. */
  getEndpoint(): string {
    return this.endpoint.endpoint;
  }

  getRegion(): string {
    return this.endpoint.region;
  }

  getCredentials(): { accessKeyId: string; secretAccessKey: string } {
    return { accessKeyId: this.endpoint.accessKeyId, secretAccessKey: this.endpoint.secretAccessKey };
  }
}

const motoVersionScript = 'import importlib.metadata as m; print(m.version("moto"))';

/** moto has no version endpoint: ask the interpreter that runs `moto_server`. */
async function nativeMotoVersion(executable: string): Promise<string> {
  const python = join(dirname(executable), 'python');
  if (!existsSync(python)) return 'unknown';
  try {
    const { stdout } = await promisify(execFile)(python, ['-c', motoVersionScript], { timeout: 15_000 });
    return stdout.trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

async function motoAnswers(endpoint: string): Promise<true | undefined> {
  const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2_000) });
  await response.body?.cancel();
  return response.status === 200 ? true : undefined;
}

/**
 * Lifts enforcement for the few unsigned IAM calls that create the admin user, then enforces it
 * again from the first request on. moto's `/moto-api/reset-auth` sets how many requests pass
 * unchecked and restarts the count.
 */
async function createAdminUser(endpoint: string): Promise<Pick<MotoIamEndpoint, 'accountId' | 'adminUserName' | 'accessKeyId' | 'secretAccessKey'>> {
  await setUncheckedRequests(endpoint, 'inf');
  try {
    const user = await iamCall(endpoint, { Action: 'CreateUser', UserName: adminUserName });
    await iamCall(endpoint, {
      Action: 'PutUserPolicy',
      UserName: adminUserName,
      PolicyName: 'allow-everything',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
      }),
    });
    const key = await iamCall(endpoint, { Action: 'CreateAccessKey', UserName: adminUserName });
    const accessKeyId = xmlText(key, 'AccessKeyId');
    const secretAccessKey = xmlText(key, 'SecretAccessKey');
    if (!accessKeyId || !secretAccessKey) {
      throw new UnavailableError('moto CreateAccessKey answered without a key pair', {
        where: endpoint,
        hint: 'check the moto version (5.2.x expected)',
      });
    }
    const accountId = /arn:aws:iam::(\d{12}):user\//.exec(user)?.[1] ?? defaultAccountId;
    return { accountId, adminUserName, accessKeyId, secretAccessKey };
  } finally {
    await setUncheckedRequests(endpoint, '0');
  }
}

async function setUncheckedRequests(endpoint: string, count: 'inf' | '0'): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset-auth`, {
    method: 'POST',
    body: count,
    signal: AbortSignal.timeout(5_000),
  });
  await response.body?.cancel();
  if (!response.ok) {
    throw new UnavailableError(`moto refused to set its unchecked request count (HTTP ${response.status})`, {
      where: `${endpoint}/moto-api/reset-auth`,
      hint: 'check the moto version (5.2.x expected)',
    });
  }
}

/** An IAM Query API call. Unsigned: moto only reads the service name from the credential scope. */
async function iamCall(endpoint: string, parameters: Record<string, string>): Promise<string> {
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      authorization: `AWS4-HMAC-SHA256 Credential=bootstrap/20260101/${region}/iam/aws4_request, SignedHeaders=host, Signature=unsigned`,
    },
    body: new URLSearchParams({ ...parameters, Version: '2010-05-08' }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await response.text();
  if (!response.ok) {
    const code = xmlText(body, 'Code') ?? 'no error code';
    throw new UnavailableError(`moto IAM ${parameters.Action} failed: HTTP ${response.status} ${code}`, {
      what: `IAM user ${adminUserName}`,
      where: endpoint,
      hint: 'read the moto-iam log',
    });
  }
  return body;
}

function xmlText(xml: string, element: string): string | undefined {
  return new RegExp(`<${element}>([^<]*)</${element}>`).exec(xml)?.[1];
}
