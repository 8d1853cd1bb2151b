/**
 * Does a Docker engine answer? Asked once per process: testcontainers probes several runtime
 * strategies and caches only success, so a machine without an engine would pay the probe again for
 * every server. testcontainers is imported lazily so native runs never load dockerode.
 */
import { adoptContainerEnvironment } from './images';

export type DockerAvailability =
  { readonly available: true; readonly serverVersion: string } | { readonly available: false; readonly reason: string };

const probeTimeoutMs = 5_000;

let cached: Promise<DockerAvailability> | undefined;

export function dockerAvailability(): Promise<DockerAvailability> {
  cached ??= probeDocker();
  return cached;
}

async function probeDocker(): Promise<DockerAvailability> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<DockerAvailability>((resolve) => {
    timer = setTimeout(() => resolve({ available: false, reason: `no Docker engine answered within ${probeTimeoutMs / 1000} s` }), probeTimeoutMs);
    timer.unref();
  });
  const probe = (async (): Promise<DockerAvailability> => {
    try {
      // The engine `npm run containers:up` started, unless DOCKER_HOST says otherwise.
      adoptContainerEnvironment();
      const { getContainerRuntimeClient } = await import('testcontainers');
      const client = await getContainerRuntimeClient();
      return { available: true, serverVersion: String(client.info.containerRuntime.serverVersion) };
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      return { available: false, reason: `no Docker engine answers (testcontainers: ${detail})` };
    }
  })();
  try {
    return await Promise.race([probe, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
