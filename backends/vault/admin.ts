/**
 * Vault as the fixture side sees it: calls made with the root token, which the backend under test
 * never holds. Every failure becomes a SecretsError without the raw client error, whose request
 * config would carry the token.
 */
import NodeVault from 'node-vault';
import { ConfigurationError } from '../../model/errors';
import { classifyVaultFailure, describeVaultFailure } from './vault-failures';
import { quoteVaultPath } from './vault-paths';

type VaultClient = ReturnType<typeof NodeVault>;

/** The KV secrets engine's version on a mount: 1 keeps one value, 2 keeps versions. */
export type KvVersion = 1 | 2;
/** A Vault and a token allowed to write there: a run's root token, or a deployment's writer token (migrate). */

const ADMIN_TIMEOUT_MS = 10_000;
const RESIDUE_LIMIT = 10_000;
const RESIDUE_DEPTH = 16;

/** Where the operator works: a Vault server (dev mode over HTTP, or production over HTTPS with its CA). */
export interface VaultServerAccess {
  readonly address: string;
  readonly rootToken: string;
  /** PEM text of the CA that signed the server's certificate (HTTPS only). */
  readonly caPem?: string;
}

async function adminCall<T>(vault: VaultServerAccess, what: string, path: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw classifyVaultFailure(describeVaultFailure(error), {
      phase: 'admin',
      what,
      where: `${vault.address}/v1/${path}`,
      hidden: [vault.rootToken],
      timeoutMs: ADMIN_TIMEOUT_MS,
    });
  }
}

function statusOf(error: unknown): number | null {
  return describeVaultFailure(error).status;
}

export class VaultAdmin {
  private readonly client: VaultClient;

  constructor(
    readonly vault: VaultServerAccess,
    /** Sent as `X-Vault-Namespace`; absent: the root namespace. */
    readonly namespace?: string,
  ) {
    const tls = vault.caPem ? { ca: vault.caPem } : {};
    this.client = NodeVault({ endpoint: vault.address, requestOptions: { timeout: ADMIN_TIMEOUT_MS, ...tls } });
    this.client.token = vault.rootToken;
    (this.client as { pathPrefix?: string }).pathPrefix = '';
    (this.client as { namespace?: string | undefined }).namespace = namespace;
  }

  /** The same operator inside a child namespace of this one. */
  inNamespace(child: string): VaultAdmin {
    return new VaultAdmin(this.vault, this.namespace ? `${this.namespace.replace(/\/+$/, '')}/${child}` : child);
  }

  read(what: string, path: string): Promise<{ data?: unknown } | undefined> {
    return adminCall(this.vault, what, path, () => this.client.read(path));
  }

  /** A read that answers `undefined` where Vault has nothing (404) instead of failing. */
  async readIfPresent(what: string, path: string): Promise<{ data?: unknown } | undefined> {
    try {
      return (await this.client.read(path)) as { data?: unknown } | undefined;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      return adminCall(this.vault, what, path, () => Promise.reject(error));
    }
  }

  write(what: string, path: string, body: Record<string, unknown>): Promise<{ data?: unknown; auth?: unknown } | undefined> {
    return adminCall(this.vault, what, path, () => this.client.write(path, body));
  }

  delete(what: string, path: string): Promise<unknown> {
    return adminCall(this.vault, what, path, () => this.client.delete(path));
  }

  /** A LIST; a path with nothing under it is an empty list (Vault answers 404). */
  async list(what: string, path: string): Promise<string[]> {
    try {
      const answer = (await this.client.list(path)) as { data?: { keys?: unknown } };
      const keys = answer.data?.keys;
      return Array.isArray(keys) ? keys.filter((key): key is string => typeof key === 'string') : [];
    } catch (error) {
      if (statusOf(error) === 404) return [];
      return adminCall(this.vault, what, path, () => Promise.reject(error));
    }
  }

  /** Whether Vault still knows a credential: a lookup answered with data (not 204, 400, 403). */
  async stillKnown(path: string, body: Record<string, unknown>): Promise<boolean> {
    try {
      const answer: unknown = await this.client.write(path, body);
      const data = typeof answer === 'object' && answer !== null ? (answer as { data?: unknown }).data : null;
      return data !== null && data !== undefined;
    } catch (error) {
      const status = statusOf(error);
      if (status === null || status >= 500) return adminCall(this.vault, `a lookup at ${path}`, path, () => Promise.reject(error));
      return false;
    }
  }

  /**
   * Mounts a secrets engine or auth method unless it is there. Sessions of several workers may
   * race: "path is already in use" is fine when the mount that won has the wanted type.
   */
  async ensureMount(kind: 'secrets' | 'auth', path: string, type: string, options: Record<string, string> = {}): Promise<void> {
    const listPath = kind === 'secrets' ? 'sys/mounts' : 'sys/auth';
    const mountPath = `${listPath}/${quoteVaultPath(path)}`;
    const existing = async (): Promise<{ type?: unknown; options?: { version?: unknown } | null } | undefined> => {
      const answer = (await this.read(`the ${kind} mounts`, listPath)) as { data?: Record<string, unknown> } | undefined;
      return answer?.data?.[`${path}/`] as { type?: unknown; options?: { version?: unknown } | null } | undefined;
    };
    let mounted = await existing();
    if (!mounted) {
      try {
        await this.client.write(mountPath, { type, options });
      } catch (error) {
        if (statusOf(error) !== 400) await adminCall(this.vault, `mounting ${path}`, mountPath, () => Promise.reject(error));
      }
      mounted = await existing();
    }
    const version = mounted?.options?.version;
    if (!mounted || mounted.type !== type || (options.version !== undefined && version !== options.version)) {
      throw new ConfigurationError(`the ${kind} mount "${path}" is not a ${type}${options.version ? ` v${options.version}` : ''} mount`, {
        what: `${kind} mount "${path}"`,
        where: this.vault.address,
        hint: 'another program uses this run-named mount; start a new run (a new run id)',
      });
    }
  }
}

/** Secrets under a mount, listed recursively (bounded in depth and count). */
export async function countSecrets(admin: Pick<VaultAdmin, 'list'>, mount: string, version: KvVersion, under?: string): Promise<number> {
  const folder = under === undefined ? '' : `${quoteVaultPath(under)}/`;
  const root = version === 2 ? `${quoteVaultPath(mount)}/metadata/${folder}` : `${quoteVaultPath(mount)}/${folder}`;
  let count = 0;
  const folders: Array<{ path: string; depth: number }> = [{ path: '', depth: 0 }];
  while (folders.length > 0) {
    const folder = folders.pop() as { path: string; depth: number };
    for (const key of await admin.list(`the secrets of mount ${mount}`, `${root}${folder.path}`)) {
      if (!key.endsWith('/')) count += 1;
      else if (folder.depth < RESIDUE_DEPTH) folders.push({ path: `${folder.path}${quoteVaultPath(key)}`, depth: folder.depth + 1 });
      if (count >= RESIDUE_LIMIT) return count;
    }
  }
  return count;
}
