/**
 * KV v2 mounts on a production-mode server. A fresh KV v2 mount first upgrades its storage
 * layout and answers 400 "Upgrading from non-versioned to versioned data" until done (dev mode
 * hides this: its `secret/` exists before the first request), so the mount waits for the engine's
 * own `config` endpoint to answer before anything is written.
 */
import { TimeoutError } from '../../backends/errors';
import type { VaultAdmin } from './admin-client';

const readyDeadlineMs = 15_000;
const readyPollMs = 25;

export async function mountKvV2(admin: VaultAdmin, path: string): Promise<void> {
  await admin.mount(path, 'kv', { options: { version: '2' } });
  const giveUpAt = Date.now() + readyDeadlineMs;
  let last = '';
  for (let attempt = 0; Date.now() < giveUpAt && attempt < readyDeadlineMs / readyPollMs; attempt++) {
    const answer = await admin.send('GET', `${path}/config`);
    if (answer.status === 200) return;
    last = `HTTP ${answer.status} ${answer.errors.join('; ')}`;
    await new Promise((resolve) => setTimeout(resolve, readyPollMs));
  }
  throw new TimeoutError(`KV v2 mount ${path}/ did not finish its upgrade within ${readyDeadlineMs} ms (${last})`, {
    where: `${admin.address}/v1/${path}/config`,
    hint: 'read the server log',
  });
}

export async function writeKvV2(admin: VaultAdmin, mount: string, path: string, data: Record<string, unknown>): Promise<void> {
  await admin.write(`${mount}/data/${path}`, { data });
}
