/**
 * The Vault targets' auth scenarios: a token (or secret-id) Vault never issued, one that has
 * expired (Vault itself says so before the scenario is handed out), and valid credentials whose
 * policy reads only a path where nothing is seeded.
 */
import { setTimeout as pause } from 'node:timers/promises';
import type { AuthScenario, AuthScenarios } from '../../suites/target';
import { TimeoutError } from '../../model/errors';
import type { VaultStore } from './layout';
import { createSecretId, createToken, ensureRole, READER_TTL, type RunSetup } from './run-setup';
import { type VaultBackend } from './vault-backend';
import { quoteVaultPath } from './vault-paths';

/** Vault's own view of an expiring credential is polled at most this often and this long. */
const EXPIRY_POLL = { attempts: 100, intervalMs: 100, deadlineMs: 20_000 } as const;

/**
 * Waits until Vault itself says a credential is gone: polls `probe` (a lookup with the root
 * token) until it reports nothing, bounded in attempts and time.
 */
async function untilVaultForgets(what: string, probe: () => Promise<boolean>): Promise<void> {
  const giveUpAt = Date.now() + EXPIRY_POLL.deadlineMs;
  for (let attempt = 1; attempt <= EXPIRY_POLL.attempts && Date.now() < giveUpAt; attempt += 1) {
    if (await probe()) return;
    await pause(EXPIRY_POLL.intervalMs);
  }
  throw new TimeoutError(`Vault still reported ${what} as valid after ${EXPIRY_POLL.attempts} polls`, {
    what,
    where: 'vault target auth scenarios',
    hint: 'check the server clock and its expiration manager',
  });
}

export interface ScenarioSession {
  readonly setup: RunSetup;
  /** The session's default kwargs, which each scenario overrides in part. */
  readonly defaults: Record<string, unknown>;
  readonly backend: (kwargs?: Record<string, unknown>) => VaultBackend;
  /** Registers a cleanup the session runs when it closes. */
  readonly onClose: (cleanup: () => Promise<unknown>) => void;
}

export function vaultAuthScenarios(auth: VaultStore['auth'], { setup, defaults, backend, onClose }: ScenarioSession): AuthScenarios {
  const { admin } = setup;
  const everything = (...extra: string[]): string[] => [...extra, ...setup.reader.secrets, setup.vault.rootToken];
  const scenario = (kwargs: Record<string, unknown>, ...credentials: string[]): AuthScenario => ({
    backend: backend(kwargs),
    kwargs: { ...defaults, ...kwargs },
    credentials: everything(...credentials),
  });
  if (auth === 'token') {
    return {
      async wrongCredentials() {
        // Shaped like a Vault service token, never issued.
        const wrong = `s.${setup.credentials.token('nosuch')}`;
        return scenario({ token: wrong }, wrong);
      },
      async expiredCredentials() {
        const token = await createToken(setup, [setup.readPolicy], '1s');
        await untilVaultForgets('a 1 s token', async () => !(await admin.stillKnown('auth/token/lookup', { token })));
        return scenario({ token }, token);
      },
      async deniedRead() {
        const token = await createToken(setup, [setup.elsewherePolicy], READER_TTL);
        onClose(() => admin.write('revoking a scenario token', 'auth/token/revoke', { token }));
        return scenario({ token }, token);
      },
    };
  }
  const authMount = setup.authMount ?? '';
  const rolePath = (role: string) => `auth/${quoteVaultPath(authMount)}/role/${role}`;
  return {
    async wrongCredentials() {
      // The right role-id with a secret-id the role never issued.
      const wrong = setup.credentials.token('nosuchsid');
      return scenario({ secret_id: wrong }, wrong);
    },
    async expiredCredentials() {
      const secretId = await createSecretId(setup, authMount, 'reader', '1s');
      await untilVaultForgets(
        'a 1 s AppRole secret-id',
        async () => !(await admin.stillKnown(`${rolePath('reader')}/secret-id/lookup`, { secret_id: secretId })),
      );
      return scenario({ secret_id: secretId }, secretId);
    },
    async deniedRead() {
      const roleId = await ensureRole(admin, authMount, 'elsewhere', setup.elsewherePolicy);
      const secretId = await createSecretId(setup, authMount, 'elsewhere');
      onClose(() => admin.write('destroying a scenario secret-id', `${rolePath('elsewhere')}/secret-id/destroy`, { secret_id: secretId }));
      return scenario({ role_id: roleId, secret_id: secretId }, roleId, secretId);
    },
  };
}
