/** What the Vault family's own cases know about a target's store: its KV version, auth and mount. */
import type { TargetDefinition, TargetEnvironment, TargetStore } from '../../targets/target';

export type KvVersion = 1 | 2;
export type VaultAuthStyle = 'token' | 'approle';

export interface VaultStore extends TargetStore {
  readonly layout: 'vault';
  readonly kvEngineVersion: KvVersion;
  readonly auth: VaultAuthStyle;
  /** The KV mount this target reads and writes in this run. */
  mount(environment: TargetEnvironment): string;
}

/** The Vault store of a target, or of one derived from it (a twin, a mutant, a custom backend). */
export function vaultStoreOf(target: TargetDefinition): VaultStore | null {
  return target.store.layout === 'vault' ? (target.store as VaultStore) : null;
}
