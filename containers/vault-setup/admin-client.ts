/**
 * The operator's side of a production Vault: the API calls that set up auth methods, engines,
 * policies and namespaces, over HTTPS trusting only the run's CA. A refused call is an
 * `UnavailableError` naming the path, the status and Vault's own message (never a request body:
 * it carries passwords).
 */
import { UnavailableError } from '../../backends/errors';
import { httpsJson, type HttpsJsonAnswer } from '../https-json';

export interface VaultAdminOptions {
  /** `https://127.0.0.1:<port>` */
  readonly address: string;
  readonly token: string;
  /** PEM text of the CA that signed the server's certificate. */
  readonly ca: string;
  /** Sent as `X-Vault-Namespace`; absent: the root namespace. */
  readonly namespace?: string;
}

export interface VaultAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** `errors` of Vault's answer, when it sent any. */
  readonly errors: readonly string[];
}

export class VaultAdmin {
  readonly address: string;
  readonly namespace: string | undefined;
  private readonly token: string;
  private readonly ca: string;

  constructor(options: VaultAdminOptions) {
    this.address = options.address;
    this.token = options.token;
    this.ca = options.ca;
    this.namespace = options.namespace;
  }

  /** The same operator, acting inside a (child) namespace. */
  inNamespace(namespace: string): VaultAdmin {
    return new VaultAdmin({ address: this.address, token: this.token, ca: this.ca, namespace });
  }

  /** The same server and namespace with another token (a login's), to check what it may do. */
  withToken(token: string): VaultAdmin {
    return new VaultAdmin({ address: this.address, token, ca: this.ca, ...(this.namespace ? { namespace: this.namespace } : {}) });
  }

  read(path: string): Promise<Record<string, unknown>> {
    return this.expectOk('GET', path);
  }

  write(path: string, body: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.expectOk('POST', path, body);
  }

  delete(path: string): Promise<Record<string, unknown>> {
    return this.expectOk('DELETE', path);
  }

  /** Any answer, refusals included: what the proofs of a refusal inspect. */
  async send(method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'LIST', path: string, body?: Record<string, unknown>): Promise<VaultAnswer> {
    const answer: HttpsJsonAnswer = await httpsJson(`${this.address}/v1/${path}`, {
      method,
      ca: this.ca,
      headers: { 'x-vault-token': this.token, ...(this.namespace ? { 'x-vault-namespace': this.namespace } : {}) },
      ...(body === undefined ? {} : { body }),
      timeoutMs: 30_000,
    });
    const parsed = typeof answer.body === 'object' && answer.body !== null ? (answer.body as Record<string, unknown>) : {};
    const errors = Array.isArray(parsed.errors) ? parsed.errors.map(String) : [];
    return { status: answer.status, body: parsed, errors };
  }

  async enableAuth(path: string, type: string, options: Record<string, unknown> = {}): Promise<void> {
    await this.write(`sys/auth/${path}`, { type, ...options });
  }

  async mount(path: string, type: string, options: Record<string, unknown> = {}): Promise<void> {
    await this.write(`sys/mounts/${path}`, { type, ...options });
  }

  async writePolicy(name: string, policy: string): Promise<void> {
    await this.write(`sys/policies/acl/${name}`, { policy });
  }

  /** The accessor of an auth mount, which identity group aliases name. */
  async authAccessor(path: string): Promise<string> {
    const mounts = await this.read('sys/auth');
    const data = (mounts.data ?? mounts) as Record<string, { accessor?: unknown }>;
    const accessor = data[`${path}/`]?.accessor;
    if (typeof accessor !== 'string') {
      throw new UnavailableError(`no accessor for auth mount ${path}/`, {
        where: `${this.address}/v1/sys/auth`,
        hint: 'enable the auth method first',
      });
    }
    return accessor;
  }

  private async expectOk(method: 'GET' | 'POST' | 'DELETE', path: string, body?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const answer = await this.send(method, path, body);
    if (answer.status >= 200 && answer.status < 300) return answer.body;
    const namespace = this.namespace ? ` in namespace ${this.namespace}` : '';
    throw new UnavailableError(`Vault refused ${method} ${path}${namespace}: HTTP ${answer.status} ${answer.errors.join('; ')}`.trim(), {
      where: `${this.address}/v1/${path}`,
      hint: 'check the setup order (mount before configure) and the server log',
    });
  }
}
