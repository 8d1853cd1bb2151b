/**
 * OpenBao run the way production runs it, not in dev mode: a server configuration file, Raft
 * integrated storage on disk, HTTPS listeners with the run's own certificates, a file audit device
 * declared in the configuration (OpenBao 2.x refuses to create one through the API), and a plugin
 * directory for external plugins. The start initialises the server (one unseal key share) and
 * unseals it, as an operator would, then waits until it is the active node.
 *
 * A local process only: no image registry is reachable to build one from, and the server needs
 * the run's files (certificates, plugins) anyway.
 *
 * Three listeners on one server, each presenting another certificate: the right one (SANs
 * `127.0.0.1`, `localhost`), an expired one and one for another host name, so that every TLS
 * refusal is shown against the same server.
 *
 *   await using vault = await new ProductionVaultServer(await createTlsMaterial(dir)).withLogDir(dir).start();
 *   vault.getAddress(); vault.getRootToken(); vault.endpoint.caFile; vault.endpoint.auditLogFile;
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnavailableError } from '../backends/errors';
import type { ServerInfo } from './contract';
import { httpsJson } from './https-json';
import { displayPath, requireInstalled, startServerProcess, waitUntilReady, type ServerProcess } from './native-process';
import { StartedServer } from './server-module';
import type { IssuedCertificate, TlsMaterial } from './tls-certificates';
import { nativeVaultExecutable } from './vault';

/** `raft`: what production runs (fsynced log, leader election). `inmem`: nothing on disk, faster. */
export type VaultStorage = 'raft' | 'inmem';

export interface ProductionVaultEndpoint extends ServerInfo {
  /** `https://127.0.0.1:<port>`, presenting the run's valid server certificate. */
  readonly address: string;
  /** Presenting a certificate of the same CA whose validity has ended. */
  readonly expiredCertificateAddress: string;
  /** Presenting a certificate of the same CA for another host name only. */
  readonly wrongHostAddress: string;
  /** The run's CA: what `verify` points at. */
  readonly caFile: string;
  readonly caPem: string;
  /** The root token `sys/init` gave; setup only, backends get their own credentials. */
  readonly rootToken: string;
  /** The file audit device `file/`, declared in the configuration. */
  readonly auditLogFile: string;
  readonly pluginDirectory: string;
  readonly storage: VaultStorage;
  /** Milliseconds from spawn to each step: listening, initialised, unsealed, active. */
  readonly phasesMs: { readonly listening: number; readonly initialised: number; readonly unsealed: number; readonly active: number };
}

const defaultLogDir = join(tmpdir(), 'secrets-conformance', 'servers');

export class ProductionVaultServer {
  private readonly tls: TlsMaterial;
  private storage: VaultStorage = 'raft';
  private logDir = defaultLogDir;
  private name = 'vault-production';
  private executable = nativeVaultExecutable;
  private pluginDirectory: string | undefined;

  constructor(tls: TlsMaterial) {
    this.tls = tls;
  }

  withStorage(storage: VaultStorage): this {
    this.storage = storage;
    return this;
  }

  /** Output goes to `<logDir>/<name>.log`, the server's files to `<logDir>/<name>-<random>/`. */
  withLogDir(logDir: string, name?: string): this {
    this.logDir = logDir;
    if (name) this.name = name;
    return this;
  }

  withExecutable(executable: string): this {
    this.executable = executable;
    return this;
  }

  /** Where external plugin binaries are (registered later through `sys/plugins/catalog`). */
  withPluginDirectory(directory: string): this {
    this.pluginDirectory = directory;
    return this;
  }

  async start(): Promise<StartedProductionVaultServer> {
    requireInstalled(this.executable, 'bao');
    mkdirSync(this.logDir, { recursive: true });
    const runDir = mkdtempSync(join(this.logDir, `${this.name}-`));
    const pluginDirectory = this.pluginDirectory ?? join(runDir, 'plugins');
    mkdirSync(pluginDirectory, { recursive: true });
    const auditLogFile = join(runDir, 'audit.log');
    const logFile = join(this.logDir, `${this.name}.log`);
    const ca = this.tls.ca.certificatePem;
    const began = performance.now();
    const since = (): number => Math.round(performance.now() - began);

    // port: API (valid certificate), +1: cluster, +2: expired certificate, +3: wrong host name.
    const {
      server,
      port,
      ready: listening,
    } = await startServerProcess(
      { followingFreePorts: 3 },
      (port) => {
        const configFile = join(runDir, `config-${port}.hcl`);
        writeFileSync(configFile, this.configuration(port, runDir, pluginDirectory, auditLogFile));
        return { name: this.name, executable: this.executable, args: ['server', `-config=${configFile}`], logFile };
      },
      (server, port) =>
        waitUntilReady(server, () => answersAt(`https://127.0.0.1:${port}`, ca).then((answered) => (answered ? since() : undefined)), {
          what: `https://127.0.0.1:${port}/v1/sys/health`,
        }),
    );
    const address = `https://127.0.0.1:${port}`;
    try {
      const { rootToken, unsealKey } = await initialise(address, ca);
      const initialised = since();
      await unseal(address, ca, unsealKey, logFile);
      const unsealed = since();
      const version = await waitUntilReady(server, () => activeVersion(address, ca), {
        what: `${address}/v1/sys/health (active node)`,
        deadlineMs: 60_000,
      });
      const endpoint: ProductionVaultEndpoint = {
        provisioning: 'native',
        version,
        logFile,
        proxyUpstream: `127.0.0.1:${port}`,
        address,
        expiredCertificateAddress: `https://127.0.0.1:${port + 2}`,
        wrongHostAddress: `https://127.0.0.1:${port + 3}`,
        caFile: this.tls.ca.certificateFile,
        caPem: ca,
        rootToken,
        auditLogFile,
        pluginDirectory,
        storage: this.storage,
        phasesMs: { listening, initialised, unsealed, active: since() },
        startMs: since(),
      };
      return new StartedProductionVaultServer(endpoint, () => server.stop().then(() => undefined), server);
    } catch (error) {
      await server.stop().catch(() => server.killNow());
      throw error;
    }
  }

  private configuration(port: number, runDir: string, pluginDirectory: string, auditLogFile: string): string {
    const listener = (listenPort: number, certificate: IssuedCertificate, cluster: boolean): string =>
      [
        'listener "tcp" {',
        `  address = ${hcl(`127.0.0.1:${listenPort}`)}`,
        ...(cluster ? [`  cluster_address = ${hcl(`127.0.0.1:${port + 1}`)}`] : []),
        `  tls_cert_file = ${hcl(certificate.certificateFile)}`,
        `  tls_key_file = ${hcl(certificate.keyFile)}`,
        '  tls_min_version = "tls12"',
        '}',
      ].join('\n');
    const storage =
      this.storage === 'raft'
        ? // performance_multiplier 1: production's tightest Raft timings; the default (5) makes a
          // single node wait seconds for its first election.
          `storage "raft" {\n  path = ${hcl(join(runDir, 'raft'))}\n  node_id = "conformance"\n  performance_multiplier = 1\n}`
        : 'storage "inmem" {}';
    if (this.storage === 'raft') mkdirSync(join(runDir, 'raft'), { recursive: true });
    return [
      'ui = false',
      `api_addr = ${hcl(`https://127.0.0.1:${port}`)}`,
      `cluster_addr = ${hcl(`https://127.0.0.1:${port + 1}`)}`,
      `plugin_directory = ${hcl(pluginDirectory)}`,
      storage,
      listener(port, this.tls.server, true),
      listener(port + 2, this.tls.expiredServer, false),
      listener(port + 3, this.tls.wrongHostServer, false),
      `audit "file" "file" {\n  options {\n    file_path = ${hcl(auditLogFile)}\n  }\n}`,
      '',
    ].join('\n');
  }
}

export class StartedProductionVaultServer extends StartedServer<ProductionVaultEndpoint> {
  constructor(endpoint: ProductionVaultEndpoint, stop: () => Promise<void>, process?: ServerProcess) {
    super(endpoint, stop, process);
  }

  getAddress(): string {
    return this.endpoint.address;
  }

  getRootToken(): string {
    return this.endpoint.rootToken;
  }
}

/** An HCL string literal: JSON's escaping is a subset HCL reads the same way. */
function hcl(text: string): string {
  return JSON.stringify(text);
}

/** Any HTTP answer from sys/health means the listener is up (501: not initialised yet). */
async function answersAt(address: string, ca: string): Promise<boolean> {
  const answer = await httpsJson(`${address}/v1/sys/health`, { ca, timeoutMs: 2_000 });
  return answer.status > 0;
}

async function activeVersion(address: string, ca: string): Promise<string | undefined> {
  const answer = await httpsJson(`${address}/v1/sys/health`, { ca, timeoutMs: 2_000 });
  if (answer.status !== 200) return undefined;
  const version = (answer.body as { version?: unknown }).version;
  return typeof version === 'string' ? version : undefined;
}

async function initialise(address: string, ca: string): Promise<{ rootToken: string; unsealKey: string }> {
  // One share, threshold one: a conformance run needs a sealed-then-unsealed server, not Shamir.
  const answer = await httpsJson(`${address}/v1/sys/init`, { ca, method: 'PUT', body: { secret_shares: 1, secret_threshold: 1 }, timeoutMs: 60_000 });
  const body = answer.body as { keys_base64?: unknown; root_token?: unknown } | undefined;
  const unsealKey = Array.isArray(body?.keys_base64) ? body.keys_base64[0] : undefined;
  if (answer.status !== 200 || typeof body?.root_token !== 'string' || typeof unsealKey !== 'string') {
    throw new UnavailableError(`OpenBao did not initialise (HTTP ${answer.status})`, {
      where: `${address}/v1/sys/init`,
      hint: 'read the server log; a storage directory left from another run must be empty',
    });
  }
  return { rootToken: body.root_token, unsealKey };
}

async function unseal(address: string, ca: string, key: string, logFile: string): Promise<void> {
  const answer = await httpsJson(`${address}/v1/sys/unseal`, { ca, method: 'PUT', body: { key }, timeoutMs: 60_000 });
  const sealed = (answer.body as { sealed?: unknown } | undefined)?.sealed;
  if (answer.status !== 200 || sealed !== false) {
    throw new UnavailableError(`OpenBao stayed sealed after the unseal key (HTTP ${answer.status})`, {
      where: `${address}/v1/sys/unseal`,
      hint: `read ${displayPath(logFile)}`,
    });
  }
}
