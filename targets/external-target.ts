/**
 * What every `--provision=external` target says alike, whatever its family: the harness does not
 * own the team's server, so it puts no fault in front of it, and without an admin credential the
 * run writes nothing and reads the preseeded set only. One wording, so the certificates of two
 * families read the same.
 */

/** Why a case that needs a server of the harness's own is not run on an external one. */
export const NOT_OURS = 'external server: the harness does not own it';

/** The suites an external target never runs, with why. */
export const EXTERNAL_NOT_RUN_SUITES: Readonly<Record<string, string>> = {
  failover: `not run: ${NOT_OURS}, so no Toxiproxy fault is put in front of it; route the backend through a proxy of your own, or run the failover suite on a server the harness starts (--provision=auto)`,
};

/** The admin credential that lets a run write its fixtures, as a family's configuration names it. */
export interface ExternalAdminCredential {
  /** The variables to set: `ASC_EXTERNAL_VAULT_ADMIN_TOKEN`. */
  readonly variables: string;
  /** What they must hold: `a token`, `keys`. */
  readonly holding: string;
  /** Where nothing is seeded without it: `on the external Vault`. */
  readonly store: string;
}

/** A target's `readOnly` answer when the admin credential is absent. */
export function readOnlyReason(admin: ExternalAdminCredential): string {
  return (
    `not run: read-only: no admin credential, so nothing is seeded ${admin.store} and only the preseeded and not-found cases run; ` +
    `set ${admin.variables} to ${admin.holding} that may write under the prefix to run the rest`
  );
}

/** The flag a read-only run's description carries. */
export function readOnlyFlag(admin: ExternalAdminCredential): string {
  return `read-only run (no admin credential): only the preseeded and not-found cases ran, and each level rests on those; set ${admin.variables} to run the rest`;
}
