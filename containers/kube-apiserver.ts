/**
 * A real Kubernetes API server (kube-apiserver v1.37.2) on 127.0.0.1, with kine keeping its
 * objects in a SQLite file in place of etcd: both built by `install/kubernetes.sh` into
 * `.cache/bin`. Per run: a CA and serving certificate (SANs `127.0.0.1`, `localhost`), a
 * service-account signing key (so TokenRequest mints real tokens, which TokenReview then checks),
 * and static tokens for the harness's own identities (`--token-auth-file`): an admin in
 * `system:masters`, and an authenticated user that RBAC grants nothing. Authorisation is RBAC
 * only; no controller manager runs, so nothing acts on the objects besides the API server itself.
 *
 * The state (kine's SQLite file, keys, tokens) lives in a private temporary folder removed at
 * stop, never in the run's report folder: Secrets are stored unencrypted, and the canary scan
 * reads that folder. On the container path the same two binaries run in one locally built image
 * (kine on the container's loopback), with the state folder mounted at the same path, so the
 * arguments, keys, tokens and audit log are the native ones.
 *
 *   await using kube = await new KubeApiServer().withLogDir(dir).start();
 *   kube.endpoint.address; kube.endpoint.caPem; kube.endpoint.adminToken;
 */
import { generateKeyPair, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { UnavailableError } from '../model/errors';
import type { ServerInfo, ServerKind } from './contract';
import { httpsJson } from './https-json';
import { repoPath, requireInstalled, startServerProcess, waitUntilReady, type ServerProcess } from './native-process';
import { serverKind, ServerModule, StartedServer } from './server-module';
import { privateStateDir, removeStateDir } from './service-account';
import type { ProxyTls } from './request-log-proxy';
import { createTlsMaterial } from './tls-certificates';

export interface KubeApiServerEndpoint extends ServerInfo {
  /** `https://127.0.0.1:<port>`, presenting a certificate the run's CA signed. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** The run's CA, PEM text: what a client trusts (a pod's `ca.crt`). */
  readonly caPem: string;
  /** What a harness proxy before the server shows and trusts: the serving certificate and key, and the CA. */
  readonly proxyTls: ProxyTls;
  /** A static token of `system:masters`: setup only, never a backend's credential. */
  readonly adminToken: string;
  /** A static token of an authenticated user (`asc-nobody`) whom RBAC grants nothing. */
  readonly nobodyToken: string;
  /** The issuer service-account tokens carry (`--service-account-issuer`). */
  readonly serviceAccountIssuer: string;
  /**
   * The API server's audit log (JSON lines): every list of Secrets at Metadata level (who, which
   * namespace, the request URI with its label selector; never a body), nothing else.
   */
  readonly auditLogFile: string;
  /**
   * The run's service-account signing key (PEM file in the state folder): what the harness signs a
   * token with when TokenRequest cannot make it (one already expired). Never a backend's credential.
   */
  readonly signingKeyFile: string;
  /** Milliseconds from the start to kine listening and to `/readyz` answering ok. */
  readonly phasesMs: { readonly kine: number; readonly ready: number };
}

export const nativeKubeApiServerExecutable = repoPath('.cache/bin/kube-apiserver');
export const nativeKineExecutable = repoPath('.cache/bin/kine');
const serviceAccountIssuer = 'https://kubernetes.default.svc.cluster.local';
/** kine's own SQLite settings (pkg/drivers/sqlite DefaultParams). */
/** Lists of Secrets at Metadata level (no request or response bodies), nothing else. */
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    resources: [{ group: "", resources: ["secrets"] }]
    verbs: ["list"]
  - level: None
`;
/**
 * No registry ships kube-apiserver with kine beside it: the image is the one `npm run containers:up`
 * builds from the same two binaries (containers/images/kube-apiserver), under this name.
 */
export const defaultKubeApiServerImage = 'asc-local/kube-apiserver:v1.37.2';
const containerPort = 6443;

/** What a run's API server is started with: keys, certificates, tokens and the audit policy, in its state folder. */
interface RunState {
  readonly tls: Awaited<ReturnType<typeof createTlsMaterial>>;
  readonly signingKeyFile: string;
  readonly tokenFile: string;
  readonly auditPolicyFile: string;
  readonly auditLogFile: string;
  readonly adminToken: string;
  readonly nobodyToken: string;
}

async function prepareState(stateDir: string): Promise<RunState> {
  const [tls, signingKey] = await Promise.all([createTlsMaterial(join(stateDir, 'tls')), promisify(generateKeyPair)('rsa', { modulusLength: 2048 })]);
  const signingKeyFile = join(stateDir, 'service-account.key');
  writeFileSync(signingKeyFile, signingKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
  const adminToken = randomBytes(24).toString('hex');
  const nobodyToken = randomBytes(24).toString('hex');
  const tokenFile = join(stateDir, 'tokens.csv');
  const auditPolicyFile = join(stateDir, 'audit-policy.yaml');
  const auditLogFile = join(stateDir, 'audit.log');
  writeFileSync(auditPolicyFile, auditPolicy);
  // token,user,uid,"group,..."
  writeFileSync(tokenFile, `${adminToken},asc-admin,asc-admin,"system:masters"\n${nobodyToken},asc-nobody,asc-nobody\n`, { mode: 0o600 });
  return { tls, signingKeyFile, tokenFile, auditPolicyFile, auditLogFile, adminToken, nobodyToken };
}

/** kube-apiserver's arguments on both paths, the store and the advertised address apart. */
function apiserverArgs(state: RunState, stateDir: string, listen: { bindAddress: string; port: number }): string[] {
  return [
    `--bind-address=${listen.bindAddress}`,
    `--secure-port=${listen.port}`,
    `--cert-dir=${join(stateDir, 'certs')}`,
    `--tls-cert-file=${state.tls.server.certificateFile}`,
    `--tls-private-key-file=${state.tls.server.keyFile}`,
    '--authorization-mode=RBAC',
    `--token-auth-file=${state.tokenFile}`,
    `--service-account-issuer=${serviceAccountIssuer}`,
    `--service-account-key-file=${state.signingKeyFile}`,
    `--service-account-signing-key-file=${state.signingKeyFile}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    // Nothing runs pods: the admission that mounts service-account tokens into them stays off.
    '--disable-admission-plugins=ServiceAccount',
    `--audit-policy-file=${state.auditPolicyFile}`,
    `--audit-log-path=${state.auditLogFile}`,
    '--endpoint-reconciler-type=none',
    '--enable-priority-and-fairness=false',
    '--profiling=false',
    '--v=1',
  ];
}

const sqliteParams = '_journal_mode=WAL&_busy_timeout=30000&_synchronous=NORMAL&_txlock=immediate&_stmt_cache_size=20&cache=shared';

export class KubeApiServer extends ServerModule<KubeApiServerEndpoint, StartedKubeApiServer> {
  private containerState: RunState | undefined;

  constructor() {
    super({
      name: 'kube-apiserver',
      upstreamImage: defaultKubeApiServerImage,
      executable: nativeKubeApiServerExecutable,
      handle: StartedKubeApiServer,
    });
  }

  protected async startProcess(): Promise<StartedKubeApiServer> {
    requireInstalled(this.executable, 'kube-apiserver');
    requireInstalled(nativeKineExecutable, 'kine');
    const stateDir = privateStateDir(this.name);
    try {
      return await this.startIn(stateDir);
    } catch (error) {
      removeStateDir(stateDir);
      throw error;
    }
  }

  protected startContainer(): Promise<StartedKubeApiServer> {
    const stateDir = privateStateDir(this.name);
    return this.startInDocker(
      async (prepareContainer) => {
        const { GenericContainer, Wait } = await import('testcontainers');
        const state = await prepareState(stateDir);
        this.containerState = state;
        // The state folder appears in the container at the same path, so the arguments are the native ones
        // and the audit log the API server writes is read here as it is natively.
        const container = new GenericContainer(this.image)
          .withBindMounts([{ source: stateDir, target: stateDir, mode: 'rw' }])
          .withExposedPorts(containerPort)
          .withCommand(apiserverArgs(state, stateDir, { bindAddress: '0.0.0.0', port: containerPort }))
          .withWaitStrategy(Wait.forHttp('/readyz', containerPort).usingTls().allowInsecure().forStatusCode(200))
          .withStartupTimeout(90_000);
        return prepareContainer(container).start();
      },
      async (started) => {
        const state = this.containerState!;
        const port = started.getMappedPort(containerPort);
        const address = `https://${started.getHost()}:${port}`;
        return {
          version: (await readyVersion(address, state.tls.ca.certificatePem, state.adminToken)) ?? this.image,
          ...this.upstreamOnNetwork(containerPort),
          address,
          host: started.getHost(),
          port,
          caPem: state.tls.ca.certificatePem,
          proxyTls: proxyTlsOf(state.tls),
          adminToken: state.adminToken,
          nobodyToken: state.nobodyToken,
          serviceAccountIssuer,
          auditLogFile: state.auditLogFile,
          signingKeyFile: state.signingKeyFile,
          phasesMs: { kine: 0, ready: 0 },
        };
      },
      () => removeStateDir(stateDir),
    ).catch((error: unknown) => {
      removeStateDir(stateDir);
      throw error;
    });
  }

  private async startIn(stateDir: string): Promise<StartedKubeApiServer> {
    const began = performance.now();
    const since = (): number => Math.round(performance.now() - began);
    const state = await prepareState(stateDir);
    const { tls, adminToken, nobodyToken, auditLogFile, signingKeyFile } = state;

    const kine = await startServerProcess(
      {},
      (port) => ({
        name: `${this.name}-kine`,
        executable: nativeKineExecutable,
        args: [
          `--listen-address=127.0.0.1:${port}`,
          `--endpoint=sqlite://${join(stateDir, 'state.db')}?${sqliteParams}`,
          // Its default is :8080 on every interface.
          '--metrics-bind-address=0',
        ],
        logFile: join(this.logDirectory, `${this.name}-kine.log`),
      }),
      (server, port) => waitUntilReady(server, () => tcpOpen(port), { what: `kine at 127.0.0.1:${port}` }),
    );
    const kineMs = since();
    let apiserver: ServerProcess | undefined;
    const stop = async (): Promise<void> => {
      await apiserver?.stop().catch(() => apiserver?.killNow());
      await kine.server.stop().catch(() => kine.server.killNow());
      removeStateDir(stateDir);
    };
    try {
      const started = await startServerProcess(
        {},
        (port) => ({
          name: this.name,
          executable: this.executable,
          args: [
            '--advertise-address=127.0.0.1',
            `--etcd-servers=http://127.0.0.1:${kine.port}`,
            ...apiserverArgs(state, stateDir, { bindAddress: '127.0.0.1', port }),
          ],
          logFile: this.logFile,
        }),
        (server, port) =>
          waitUntilReady(server, () => readyVersion(`https://127.0.0.1:${port}`, tls.ca.certificatePem, adminToken), {
            what: `https://127.0.0.1:${port}/readyz`,
            deadlineMs: 90_000,
            maxAttempts: 900,
            intervalMs: 100,
          }),
      );
      apiserver = started.server;
      const address = `https://127.0.0.1:${started.port}`;
      const endpoint: KubeApiServerEndpoint = {
        provisioning: 'native',
        version: started.ready,
        logFile: this.logFile,
        proxyUpstream: `127.0.0.1:${started.port}`,
        address,
        host: '127.0.0.1',
        port: started.port,
        caPem: tls.ca.certificatePem,
        proxyTls: proxyTlsOf(tls),
        adminToken,
        nobodyToken,
        serviceAccountIssuer,
        auditLogFile,
        signingKeyFile,
        phasesMs: { kine: kineMs, ready: since() },
        startMs: since(),
      };
      return new StartedKubeApiServer(endpoint, stop, apiserver);
    } catch (error) {
      await stop();
      throw error;
    }
  }

  private get logDirectory(): string {
    return join(this.logFile, '..');
  }
}

function proxyTlsOf(tls: RunState['tls']): ProxyTls {
  return { certificatePem: tls.server.certificatePem, keyPem: tls.server.keyPem, upstreamCaPem: tls.ca.certificatePem };
}

/** The API server of a run, shared by every kubernetes target and Vault's Kubernetes auth; a local process. */
export const kubeApiServer: ServerKind<KubeApiServerEndpoint> = serverKind('kube-apiserver', () => new KubeApiServer());

export class StartedKubeApiServer extends StartedServer<KubeApiServerEndpoint> {}

function tcpOpen(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(undefined));
  });
}

/** The server's `gitVersion` once `/readyz` says ok (every post-start hook done: RBAC bootstrapped). */
async function readyVersion(address: string, ca: string, token: string): Promise<string | undefined> {
  const headers = { authorization: `Bearer ${token}` };
  const ready = await httpsJson(`${address}/readyz`, { ca, headers, timeoutMs: 2_000 });
  if (ready.status !== 200) return undefined;
  const version = await httpsJson(`${address}/version`, { ca, headers, timeoutMs: 2_000 });
  const gitVersion = (version.body as { gitVersion?: unknown } | undefined)?.gitVersion;
  if (typeof gitVersion !== 'string')
    throw new UnavailableError('kube-apiserver /version has no gitVersion', { where: address, hint: 'is this a Kubernetes API server?' });
  return gitVersion;
}
