/**
 * Our VaultBackend over HTTPS, without changing backends/vault.ts: node-vault takes the CA (or
 * strictSSL) in `requestOptions`, so what a `verify` kwarg must become is `{ ca: <file text> }` or
 * `{ strictSSL: false }` in `newClient()`. Everything else (auth, paths, errors) is the backend's own.
 */
import NodeVault from 'node-vault';
import { VaultBackend, type VaultClient } from '../../backends/vault';

export type TlsClientOptions = { readonly ca: string } | { readonly strictSSL: false };

export class CaTrustingVaultBackend extends VaultBackend {
  private readonly tlsOptions: TlsClientOptions;

  constructor(kwargs: Record<string, unknown>, tlsOptions: TlsClientOptions) {
    super(kwargs);
    this.tlsOptions = tlsOptions;
  }

  protected override newClient(): VaultClient {
    const client = NodeVault({ endpoint: this.settings.url, requestOptions: { timeout: this.settings.timeoutMs, ...this.tlsOptions } });
    client.token = '';
    (client as { pathPrefix?: string }).pathPrefix = '';
    (client as { namespace?: string | undefined }).namespace = this.settings.namespace ?? undefined;
    return client;
  }
}
