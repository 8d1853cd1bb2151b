/**
 * Starts the servers a run needs, each by the chosen provisioning strategy, and stops them all.
 * `auto` uses Docker when an engine answers and local processes otherwise. A server that cannot
 * start is not an error of the run: it is reported as `not run: <why>; <what fixes it>` and the
 * cases that need it are skipped with that reason.
 */
import type { StartedNetwork } from 'testcontainers';
import { isSecretsError } from '../backends/errors';
import type { Provisioning, ServerEndpoints, ServerInfo, ServerName } from './contract';
import { dockerAvailability } from './docker';
import { MotoServer } from './moto';
import { ToxiproxyServer } from './toxiproxy';
import { VaultServer } from './vault';

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
  /** How long each started server took to start and answer, in ms. */
  readonly startTimesMs: Partial<Record<ServerName, number>>;
  stop(): Promise<void>;
}

interface RunningServer {
  readonly endpoint: ServerInfo;
  stop(): Promise<void>;
}

type MutableEndpoints = { -readonly [Name in keyof ServerEndpoints]: ServerEndpoints[Name] };

export async function startServers(needed: readonly ServerName[], options: ServerStartOptions): Promise<StartedServers> {
  const names = [...new Set(needed)];
  const endpoints: MutableEndpoints = {};
  const unavailable: Partial<Record<ServerName, string>> = {};
  const startTimesMs: Partial<Record<ServerName, number>> = {};
  const nothingStarted: StartedServers = { endpoints, unavailable, startTimesMs, stop: async () => {} };
  if (names.length === 0) return nothingStarted;

  const choice = await resolveProvisioning(options.provisioning);
  if ('notRun' in choice) {
    for (const name of names) unavailable[name] = choice.notRun;
    return nothingStarted;
  }

  let network: StartedNetwork | undefined;
  if (choice.provisioning === 'docker') {
    try {
      const { Network } = await import('testcontainers');
      network = await new Network().start();
    } catch (error) {
      for (const name of names) unavailable[name] = notRun(error, 'check that Docker can create networks');
      return nothingStarted;
    }
  }

  const running: RunningServer[] = [];
  // Independent servers: start them side by side.
  const results = await Promise.allSettled(
    names.map((name) => startServer(name, choice.provisioning, options.logDir, network)),
  );
  results.forEach((result, index) => {
    const name = names[index] as ServerName;
    if (result.status === 'rejected') {
      const hint =
        choice.provisioning === 'docker'
          ? `check that Docker can pull and run its image (${options.logDir}/${name}.log), or use native provisioning`
          : `read ${options.logDir}/${name}.log`;
      unavailable[name] = notRun(result.reason, hint);
      return;
    }
    running.push(result.value);
    (endpoints as Record<ServerName, ServerInfo>)[name] = result.value.endpoint;
    if (result.value.endpoint.startMs !== undefined) startTimesMs[name] = result.value.endpoint.startMs;
  });

  return {
    endpoints,
    unavailable,
    startTimesMs,
    async stop() {
      await Promise.allSettled(running.map((server) => server.stop()));
      await network?.stop();
    },
  };
}

async function resolveProvisioning(
  choice: ProvisioningChoice,
): Promise<{ provisioning: Provisioning } | { notRun: string }> {
  if (choice === 'native') return { provisioning: 'native' };
  const docker = await dockerAvailability();
  if (docker.available) return { provisioning: 'docker' };
  if (choice === 'auto') return { provisioning: 'native' };
  return { notRun: `not run: ${docker.reason}; start a Docker engine, or use native provisioning (npm run servers:install)` };
}

function startServer(
  name: ServerName,
  provisioning: Provisioning,
  logDir: string,
  network: StartedNetwork | undefined,
): Promise<RunningServer> {
  switch (name) {
    case 'vault': {
      const vault = new VaultServer().withProvisioning(provisioning).withLogDir(logDir, name);
      return (network ? vault.withNetwork(network, name) : vault).start();
    }
    case 'moto':
    case 'moto-iam': {
      const moto = new MotoServer().withProvisioning(provisioning).withLogDir(logDir, name);
      if (name === 'moto-iam') moto.withIamEnforced();
      return (network ? moto.withNetwork(network, name) : moto).start();
    }
    case 'toxiproxy': {
      const toxiproxy = new ToxiproxyServer().withProvisioning(provisioning).withLogDir(logDir, name);
      return (network ? toxiproxy.withNetwork(network) : toxiproxy).start();
    }
  }
}

function notRun(error: unknown, fallbackHint: string): string {
  if (isSecretsError(error)) return `not run: ${error.message}; ${error.hint ?? fallbackHint}`;
  const message = error instanceof Error ? error.message : String(error);
  return `not run: ${message.replace(/\s*\n\s*/g, ' ')}; ${fallbackHint}`;
}
