/**
 * Vault throttling the way a loaded server does it: an OpenBao rate-limit quota
 * (`sys/quotas/rate-limit/<name>`) on the backend's mount, narrowed to the one secret a case reads,
 * so cases of other targets on the same mount are never throttled. The quota allows one request
 * per minute, and the operator spends it at once, so every read of the secret is answered 429
 * until the quota is deleted.
 */
import type { ActiveThrottle, ServerThrottling, TargetEnvironment } from '../../suites/target';
import type { VaultAdmin } from './admin';
import type { KvVersion } from './admin';
import { kvReadPath, locateSecret } from './vault-paths';

/** Long enough that no request of a case gets a fresh token; the quota is deleted well before. */
const QUOTA_INTERVAL = '60s';

export interface QuotaSetup {
  readonly admin: VaultAdmin;
  readonly mount: string;
}

export function vaultThrottling(setupFor: (environment: TargetEnvironment) => Promise<QuotaSetup>, version: KvVersion): ServerThrottling {
  return {
    method:
      `an OpenBao rate-limit quota (sys/quotas/rate-limit, rate 1 per ${QUOTA_INTERVAL}, spent by the operator) on the mount, ` +
      'narrowed to the secret read: the server itself answers 429 "rate limit quota exceeded" (no Retry-After: rate-limit response headers are off by default)',
    status: 429,
    async throttleVariable(environment, key): Promise<ActiveThrottle> {
      const quota = await quotaOn(await setupFor(environment), version, key, 1, QUOTA_INTERVAL);
      // The one request the quota allows, spent before the backend asks; if the quota did not bite, the case says so.
      await quota.spend();
      return quota;
    },
    async limitVariableRate(environment, key, perSecond): Promise<ActiveThrottle> {
      return quotaOn(await setupFor(environment), version, key, perSecond, '1s');
    },
  };
}

async function quotaOn(
  { admin, mount }: QuotaSetup,
  version: KvVersion,
  key: string,
  rate: number,
  interval: string,
): Promise<ActiveThrottle & { spend(): Promise<void> }> {
  const location = locateSecret(mount, 'variables', key);
  if (location === null) throw new Error(`variable "${key}" has no Vault path under mount ${mount}`);
  const path = kvReadPath(version, location);
  const quota = `sys/quotas/rate-limit/asc-throttle-${key.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  await admin.write(`the rate-limit quota on ${path}`, quota, { path, rate, interval });
  return {
    spend: async () => void (await admin.readIfPresent(`variable "${key}" (spending the quota)`, path).catch(() => undefined)),
    release: async () => void (await admin.delete(`the rate-limit quota on ${path}`, quota)),
  };
}
