/**
 * Starts the servers a run needs, each by the chosen provisioning strategy, and stops them all.
 * (Placeholder until the server modules land: every server reports why it cannot run.)
 */
import type { Provisioning, ServerEndpoints, ServerName } from './contract';

export type ProvisioningChoice = Provisioning | 'auto';

export interface ServerStartOptions {
  provisioning: ProvisioningChoice;
  /** Server logs go here: `reports/<run>/servers/`. */
  logDir: string;
}

export interface StartedServers {
  readonly endpoints: ServerEndpoints;
  /** Servers that could not start: `not run: <why>; <command that fixes it>`. */
  readonly unavailable: Partial<Record<ServerName, string>>;
  stop(): Promise<void>;
}

export async function startServers(needed: readonly ServerName[], _options: ServerStartOptions): Promise<StartedServers> {
  const unavailable: Partial<Record<ServerName, string>> = {};
  for (const name of needed) unavailable[name] = `not run: no ${name} server module yet; implement containers/${name}.ts`;
  return { endpoints: {}, unavailable, stop: async () => {} };
}
