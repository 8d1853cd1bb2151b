/**
 * Starts the servers a run needs, each by the chosen provisioning strategy, and stops them all.
 * `auto` uses Docker when an engine answers and local processes otherwise. A server that cannot
 * start is not an error of the run: it is reported as `not run: <why>; <what fixes it>` and the
 * cases that need it are skipped with that reason.
 */
import type { StartedNetwork } from 'testcontainers';
import { isSecretsError } from '../model/errors';
import type { Provisioning, RunningServer, ServerEndpoints, ServerInfo, ServerKind } from './contract';
import { dockerAvailability } from './docker';
import { startRunReaper, type RunReaper } from './reaper';

export type ProvisioningChoice = Provisioning | 'auto';

export interface ServerStartOptions {
  provisioning: ProvisioningChoice;
  /** Server logs go here: `reports/<run>/servers/`. */
  logDir: string;
}

export interface StartedServers {
  readonly endpoints: ServerEndpoints;
  /** Servers that could not start, by kind name: `not run: <why>; <command that fixes it>`. */
  readonly unavailable: Readonly<Record<string, string>>;
  /** How long each started server took to start and answer, in ms, by kind name. */
  readonly startTimesMs: Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

/** The kinds in `needed`, each once (by name), in first-seen order. */
export function distinctKinds(needed: readonly ServerKind[]): ServerKind[] {
  const byName = new Map<string, ServerKind>();
  for (const kind of needed) if (!byName.has(kind.name)) byName.set(kind.name, kind);
  return [...byName.values()];
}

export async function startServers(needed: readonly ServerKind[], options: ServerStartOptions): Promise<StartedServers> {
  let kinds = distinctKinds(needed);
  const endpoints: Record<string, ServerInfo> = {};
  const unavailable: Record<string, string> = {};
  const startTimesMs: Record<string, number> = {};
  const nothingStarted: StartedServers = { endpoints, unavailable, startTimesMs, stop: async () => {} };
  if (kinds.length === 0) return nothingStarted;
  // A server a team runs is found, never started; a server only the harness can start is not run.
  if (options.provisioning === 'external') {
    for (const kind of kinds.filter((k) => !k.external)) {
      unavailable[kind.name] =
        `not run: external server: --provision=external starts no server and ${kind.name} is not one a team runs; run without --provision=external to start it`;
    }
    kinds = kinds.filter((k) => k.external);
  } else {
    for (const kind of kinds.filter((k) => k.external)) {
      unavailable[kind.name] =
        `not run: ${kind.name} is a server a team runs; use --provision=external with the ASC_EXTERNAL_* variables (docs/external-servers.md)`;
    }
    kinds = kinds.filter((k) => !k.external);
  }
  if (kinds.length === 0) return nothingStarted;

  const choice = await resolveProvisioning(options.provisioning);
  if ('notRun' in choice) {
    for (const kind of kinds) unavailable[kind.name] = choice.notRun;
    return nothingStarted;
  }

  let network: StartedNetwork | undefined;
  let reaper: RunReaper | undefined;
  if (choice.provisioning === 'docker') {
    try {
      // First the reaper: whatever happens to this process from here, the session's containers go.
      reaper = await startRunReaper();
      const { Network } = await import('testcontainers');
      network = await new Network().start();
    } catch (error) {
      reaper?.release();
      for (const kind of kinds) unavailable[kind.name] = notRun(error, 'check that Docker can create networks');
      return nothingStarted;
    }
  }

  const running: RunningServer[] = [];
  // Independent servers: start them side by side.
  const context = { provisioning: choice.provisioning, logDir: options.logDir, ...(network ? { network } : {}) };
  const results = await Promise.allSettled(kinds.map((kind) => kind.start(context)));
  results.forEach((result, index) => {
    const name = (kinds[index] as ServerKind).name;
    if (result.status === 'rejected') {
      const hint =
        choice.provisioning === 'external'
          ? 'check the ASC_EXTERNAL_* variables (docs/external-servers.md)'
          : choice.provisioning === 'docker'
            ? `check that Docker can pull and run its image (${options.logDir}/${name}.log), or use native provisioning`
            : `read ${options.logDir}/${name}.log`;
      unavailable[name] = notRun(result.reason, hint);
      return;
    }
    running.push(result.value);
    endpoints[name] = result.value.endpoint;
    if (result.value.endpoint.startMs !== undefined) startTimesMs[name] = result.value.endpoint.startMs;
  });

  return {
    endpoints,
    unavailable,
    startTimesMs,
    async stop() {
      try {
        await Promise.allSettled(running.map((server) => server.stop()));
        await network?.stop();
      } finally {
        reaper?.release();
      }
    },
  };
}

async function resolveProvisioning(choice: ProvisioningChoice): Promise<{ provisioning: Provisioning } | { notRun: string }> {
  if (choice === 'native' || choice === 'external') return { provisioning: choice };
  const docker = await dockerAvailability();
  if (docker.available) return { provisioning: 'docker' };
  if (choice === 'auto') return { provisioning: 'native' };
  return { notRun: `not run: ${docker.reason}; start a Docker engine, or use native provisioning (npm run servers:install)` };
}

function notRun(error: unknown, fallbackHint: string): string {
  if (isSecretsError(error)) return `not run: ${error.message}; ${error.hint ?? fallbackHint}`;
  const message = error instanceof Error ? error.message : String(error);
  return `not run: ${message.replace(/\s*\n\s*/g, ' ')}; ${fallbackHint}`;
}
