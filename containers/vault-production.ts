/**
 * OpenBao run the way production runs it, not in dev mode: a configuration file
 * (`vault-production-config.ts`), Raft storage on disk, HTTPS listeners with the run's own
 * certificates, a declared file audit device and the external plugins `install/vault-plugins.sh`
 * builds. The start initialises the server (one unseal key share) and unseals it, as an operator
 * would, then waits until it is the active node. A local process only: it needs the run's files.
 *
 * Three listeners on one server, each presenting another certificate: the right one (SANs
 * `127.0.0.1`, `localhost`), an expired one and one for another host name. The state (certificate
 * keys, Raft, audit log) lives in a private temporary folder removed at stop; the audit log is
 * first copied next to the server log, where the run's canary scan reads it.
 *
 *   await using vault = await new ProductionVaultServer().withLogDir(dir).start();
 *   vault.endpoint.address; vault.endpoint.caFile; vault.endpoint.auditLogFile;
 */
import { copyFileSync, existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UnavailableError } from '../model/errors';
import type { ServerInfo, ServerKind } from './contract';
import { httpsJson } from './https-json';
import { displayPath, repoPath, requireInstalled, startServerProcess, waitUntilReady } from './native-process';
import { StartedServer } from './server-module';
import { privateStateDir, removeStateDir } from './service-account';
import { createTlsMaterial } from './tls-certificates';
import { nativeVaultExecutable } from './vault';
import { productionVaultConfig, statePlaces } from './vault-production-config';

/** Where `install/vault-plugins.sh` puts the LDAP and AWS plugins OpenBao 2.7 no longer ships. */
export const vaultPluginDirectory = repoPath('.cache/bao-plugins');

/**
 * The plugin folder by its real path: OpenBao runs a plugin only when the binary's resolved path lies
 * inside the configured folder, and `.cache` may be a link to the user's shared cache.
 */
function realPluginDirectory(): string {
  return existsSync(vaultPluginDirectory) ? realpathSync(vaultPluginDirectory) : vaultPluginDirectory;
}

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
  /** A CA that signed nothing this server presents. */
  readonly otherCaFile: string;
  /** The root token `sys/init` gave; setup only, backends get their own credentials. */
  readonly rootToken: string;
  /** The file audit device `file/`, declared in the configuration. */
  readonly auditLogFile: string;
  /** Milliseconds from spawn to each step: listening, initialised, unsealed, active. */
  readonly phasesMs: { readonly listening: number; readonly initialised: number; readonly unsealed: number; readonly active: number };
}

export class ProductionVaultServer {
  private logDir = join(process.cwd(), 'reports', 'servers');
  private name = 'vault-production';

  /** Output goes to `<logDir>/<name>.log`, the audit log (at stop) to `<logDir>/<name>-audit.log`. */
  withLogDir(logDir: string, name?: string): this {
    this.logDir = logDir;
    if (name) this.name = name;
    return this;
  }

  async start(): Promise<StartedProductionVaultServer> {
    requireInstalled(nativeVaultExecutable, 'bao');
    mkdirSync(this.logDir, { recursive: true });
    const stateDir = privateStateDir(this.name);
    try {
      return await this.startIn(stateDir);
    } catch (error) {
      removeStateDir(stateDir);
      throw error;
    }
  }

  private async startIn(stateDir: string): Promise<StartedProductionVaultServer> {
    const tls = await createTlsMaterial(join(stateDir, 'tls'));
    const places = statePlaces(stateDir);
    mkdirSync(places.raftDir);
    const logFile = join(this.logDir, `${this.name}.log`);
    const ca = tls.ca.certificatePem;
    const began = performance.now();
    const since = (): number => Math.round(performance.now() - began);
    const {
      server,
      port,
      ready: listening,
    } = await startServerProcess(
      { followingFreePorts: 3 },
      (port) => {
        const configFile = join(stateDir, `config-${port}.hcl`);
        writeFileSync(configFile, productionVaultConfig(tls, { ...places, port, pluginDirectory: realPluginDirectory() }));
        return { name: this.name, executable: nativeVaultExecutable, args: ['server', `-config=${configFile}`], logFile };
      },
      (server, port) =>
        waitUntilReady(server, async () => ((await healthAt(`https://127.0.0.1:${port}`, ca)).status > 0 ? since() : undefined), {
          what: `https://127.0.0.1:${port}/v1/sys/health`,
        }),
    );
    const address = `https://127.0.0.1:${port}`;
    const auditCopy = join(this.logDir, `${this.name}-audit.log`);
    const stop = async (): Promise<void> => {
      await server.stop();
      if (existsSync(places.auditLogFile)) copyFileSync(places.auditLogFile, auditCopy);
      removeStateDir(stateDir);
    };
    try {
      const { rootToken, unsealKey } = await operatorCall(address, ca, 'sys/init', { secret_shares: 1, secret_threshold: 1 }, logFile).then(
        (body) => ({ rootToken: body.root_token, unsealKey: Array.isArray(body.keys_base64) ? body.keys_base64[0] : undefined }),
      );
      if (typeof rootToken !== 'string' || typeof unsealKey !== 'string') throw notReady('sys/init gave no root token and key', logFile);
      const initialised = since();
      const unsealed = await operatorCall(address, ca, 'sys/unseal', { key: unsealKey }, logFile);
      if (unsealed.sealed !== false) throw notReady('the server stayed sealed after the unseal key', logFile);
      const unsealedMs = since();
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
        caFile: tls.ca.certificateFile,
        caPem: ca,
        otherCaFile: tls.otherCa.certificateFile,
        rootToken,
        auditLogFile: places.auditLogFile,
        phasesMs: { listening, initialised, unsealed: unsealedMs, active: since() },
        startMs: since(),
      };
      return new StartedProductionVaultServer(endpoint, stop, server);
    } catch (error) {
      await stop().catch(() => server.killNow());
      throw error;
    }
  }
}

/** The production-mode OpenBao of a run: every production Vault target shares it. */
export const productionVaultServer: ServerKind<ProductionVaultEndpoint> = {
  name: 'vault-production',
  start: ({ logDir }) => new ProductionVaultServer().withLogDir(logDir, 'vault-production').start(),
};

export class StartedProductionVaultServer extends StartedServer<ProductionVaultEndpoint> {}

function healthAt(address: string, ca: string) {
  return httpsJson(`${address}/v1/sys/health`, { ca, timeoutMs: 2_000 });
}

async function activeVersion(address: string, ca: string): Promise<string | undefined> {
  const answer = await healthAt(address, ca);
  const version = (answer.body as { version?: unknown } | undefined)?.version;
  return answer.status === 200 && typeof version === 'string' ? version : undefined;
}

function notReady(what: string, logFile: string): UnavailableError {
  return new UnavailableError(`OpenBao did not come up: ${what}`, { where: 'vault-production', hint: `read ${displayPath(logFile)}` });
}

/** An unauthenticated operator call of the start (init, unseal); the answer body, or an error naming the step. */
async function operatorCall(address: string, ca: string, path: string, body: object, logFile: string): Promise<Record<string, unknown>> {
  const answer = await httpsJson(`${address}/v1/${path}`, { ca, method: 'PUT', body, timeoutMs: 60_000 });
  if (answer.status !== 200) throw notReady(`${path} answered HTTP ${answer.status}`, logFile);
  return (answer.body ?? {}) as Record<string, unknown>;
}
