/** What the Vault family's own cases know about a target's store: its KV version, auth and mount. */
import type { ProductionVaultEndpoint } from '../../containers/vault-production';
import type { TargetDefinition, TargetEnvironment, TargetStore, IdShape } from '../../suites/target';
import type { KvVersion, VaultAdmin } from './admin';

/** Ids a KV path holds: any text, `/` nesting a path; hvac quotes what a URL cannot carry. */
export const VAULT_ID_SHAPES: readonly IdShape[] = ['upper-case', 'dash', 'dot', 'slash', 'leading-digit', 'non-ascii'];
/**
 * Vault answers a token it does not accept and a policy without read alike, 403 (§0.1, §7.1): only a
 * token look-up of its own tells them apart, which the provider never makes.
 */
export const VAULT_AUTH_REFUSALS_ALIKE =
  'Vault answers a token it does not accept and a policy that denies the read alike (403); only a token look-up of its own tells them apart (§0.1, §7.1)';

export type VaultAuthStyle = 'token' | 'approle' | 'userpass' | 'ldap' | 'aws_iam' | 'kubernetes';

/** A refused login the production suite asks for, beyond the common auth suite's wrong credentials. */
export type RefusalKind = 'unknown-user' | 'other-principal' | 'directory-down' | 'unknown-role' | 'other-service-account';

export interface Refusal {
  /** Kwargs over the session's. */
  readonly kwargs: Record<string, unknown>;
  /** Every credential it sends, none of which may appear in a message. */
  readonly credentials: readonly string[];
}

/** One run of a production Vault target, as its own cases need it. */
export interface ProductionRun {
  readonly vault: ProductionVaultEndpoint;
  /** The root operator, in the target's namespace when it has one. */
  readonly admin: VaultAdmin;
  readonly namespace: string | null;
  /** The ACL policy the backend under test is granted. */
  readonly policy: string;
  readonly refusals: Readonly<Partial<Record<RefusalKind, Refusal>>>;
  /** Namespaced targets: a root-namespace token that may read the same path in the root namespace. */
  readonly rootReaderToken?: string;
}

export interface ProductionStore {
  /** The target is read over HTTPS and runs the TLS cases (the three refused certificates, verify=False). */
  readonly tlsCases: boolean;
  readonly namespaced: boolean;
  readonly refusals: readonly RefusalKind[];
  run(environment: TargetEnvironment): Promise<ProductionRun>;
}

export interface VaultStore extends TargetStore {
  readonly layout: 'vault';
  readonly kvEngineVersion: KvVersion;
  readonly auth: VaultAuthStyle;
  /** The KV mount this target reads and writes in this run. */
  mount(environment: TargetEnvironment): string;
  /** On the production-mode OpenBao (HTTPS, audit device, external auth plugins, namespaces). */
  readonly production?: ProductionStore;
}

/** The Vault store of a target, or of one derived from it (a twin, a mutant, a custom backend). */
export function vaultStoreOf(target: TargetDefinition): VaultStore | null {
  return target.store.layout === 'vault' ? (target.store as VaultStore) : null;
}
