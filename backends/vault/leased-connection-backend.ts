/**
 * A custom secrets backend serving Airflow connections whose login and password are dynamic
 * secrets: each connection id names a role of a Vault database (or AWS) secrets engine, and the
 * credential comes under a lease. What Airflow's own VaultBackend does not do (it reads KV only):
 *
 * - a credential is reused while its lease has more than half its time left, never past its end;
 * - in the second half the lease is renewed (Vault caps renewals at the role's max_ttl); when a
 *   renewal cannot keep it alive for another second, a new credential is read;
 * - `close()` revokes every lease it holds, so the users it made disappear with it.
 *
 * Login, TLS (`verify`), namespaces and errors are the reference VaultBackend's. Certified in every
 * run as the `vault-database` and `vault-aws-creds` targets; certify your own lease-backed backend
 * the same way: `npm test -- --backend=./your-backend.ts` with `store: { layout: 'vault-leases' }`.
 */
import { BaseSecretsBackend } from '../../model/contract';
import { VaultBackend, type VaultClient } from './vault-backend';
import { classifyVaultFailure, describeVaultFailure } from './vault-failures';

/** Which fields of an engine's credential are the connection's login and password. */
const CREDENTIAL_FIELDS = {
  database: { login: 'username', password: 'password' },
  aws: { login: 'access_key', password: 'secret_key' },
} as const;

type Engine = keyof typeof CREDENTIAL_FIELDS;

/** A credential is never used in its last second: the time a lookup takes to reach its user. */
const SAFETY_MS = 1_000;

interface Lease {
  readonly id: string;
  readonly ttlMs: number;
  readonly renewable: boolean;
  expiresAt: number;
  readonly login: string;
  readonly password: string;
}

/** The reference backend's login and request machinery, lent to the lease logic. */
class VaultSession extends VaultBackend {
  client(): Promise<VaultClient> {
    return this.authenticated();
  }

  call<T>(method: 'GET' | 'POST', request: () => Promise<T>): Promise<T> {
    return this.send(method, request);
  }
}

export class LeasedConnectionBackend extends BaseSecretsBackend {
  readonly kind = 'LeasedConnectionBackend';
  private readonly session: VaultSession;
  private readonly engine: Engine;
  private readonly mount: string;
  private readonly template: Record<string, unknown>;
  private readonly leases = new Map<string, Promise<Lease | null>>();
  private readonly url: string;
  /** The kwargs as given, so a variant can be built from them. */
  readonly kwargs: Readonly<Record<string, unknown>>;

  constructor(
    kwargs: Record<string, unknown>,
    readonly now: () => number = Date.now,
  ) {
    super({ parser: 'sdk' });
    this.kwargs = { ...kwargs };
    const { engine = 'database', connection = {}, mount_point: mount = engine, ...vault } = kwargs;
    if (engine !== 'database' && engine !== 'aws') throw new TypeError(`engine must be "database" or "aws", not ${String(engine)}`);
    this.engine = engine;
    this.mount = String(mount);
    this.template = connection as Record<string, unknown>;
    this.url = String(vault.url ?? '');
    this.session = new VaultSession({ ...vault, mount_point: this.mount });
  }

  get requestsSent(): number {
    return this.session.requestsSent;
  }

  async getConnValue(connId: string): Promise<string | null> {
    const lease = await this.currentLease(connId);
    if (lease === null) return null;
    return JSON.stringify({ ...this.template, login: lease.login, password: lease.password });
  }

  async getVariable(): Promise<string | null> {
    return null;
  }

  async close(): Promise<void> {
    const held = await Promise.all([...this.leases.values()].map((lease) => lease.catch(() => null)));
    this.leases.clear();
    for (const lease of held) if (lease) await this.revoke(lease);
    await this.session.close();
  }

  /** The connection's lease: kept, renewed or replaced, one request at a time per id. */
  private currentLease(connId: string): Promise<Lease | null> {
    const previous = this.leases.get(connId) ?? Promise.resolve(null);
    const next = previous.catch(() => null).then((lease) => this.freshen(connId, lease));
    this.leases.set(connId, next);
    return next;
  }

  protected async freshen(connId: string, lease: Lease | null): Promise<Lease | null> {
    if (lease) {
      const left = lease.expiresAt - this.now();
      if (left > lease.ttlMs / 2) return lease;
      if (lease.renewable && left > SAFETY_MS && (await this.renew(lease)) > SAFETY_MS) return lease;
      await this.revoke(lease);
    }
    return this.issue(connId);
  }

  protected async issue(role: string): Promise<Lease | null> {
    const client = await this.session.client();
    const path = `${this.mount}/creds/${role}`;
    const asked = this.now();
    let answer: { lease_id?: string; lease_duration?: number; renewable?: boolean; data?: Record<string, unknown> };
    try {
      answer = (await this.session.call('GET', () => client.read(path))) as typeof answer;
    } catch (error) {
      const failure = describeVaultFailure(error);
      if (failure.status === 404) return null;
      throw classifyVaultFailure(failure, { phase: 'read', what: `connection "${role}"`, where: `${new URL(this.url).origin}/v1/${path}` });
    }
    const fields = CREDENTIAL_FIELDS[this.engine];
    const ttlMs = (answer.lease_duration ?? 0) * 1000;
    return {
      id: String(answer.lease_id),
      ttlMs,
      renewable: answer.renewable === true,
      expiresAt: asked + ttlMs,
      login: String(answer.data?.[fields.login] ?? ''),
      password: String(answer.data?.[fields.password] ?? ''),
    };
  }

  /** Renews for another full TTL; Vault may give less (max_ttl). The milliseconds it now has left. */
  private async renew(lease: Lease): Promise<number> {
    const client = await this.session.client();
    const asked = this.now();
    const answer = (await this.session.call('POST', () =>
      client.write('sys/leases/renew', { lease_id: lease.id, increment: Math.round(lease.ttlMs / 1000) }),
    )) as { lease_duration?: number };
    lease.expiresAt = asked + (answer.lease_duration ?? 0) * 1000;
    return lease.expiresAt - this.now();
  }

  private async revoke(lease: Lease): Promise<void> {
    const client = await this.session.client();
    await this.session.call('POST', () => client.write('sys/leases/revoke', { lease_id: lease.id }));
  }
}
