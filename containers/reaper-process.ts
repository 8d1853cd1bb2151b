/**
 * The detached half of containers/reaper.ts: prints one line once it watches its stdin, and when
 * stdin closes (the run ended, however) removes what the session left: containers (forced, with
 * their anonymous volumes), then networks, then volumes, each labelled with the session id.
 * Bounded: a sweep gives up after a minute; it never loops.
 *
 *   node --import tsx containers/reaper-process.ts <testcontainers session id>
 */
import Docker from 'dockerode';

const sessionLabel = 'org.testcontainers.session-id';
const sessionId = process.argv[2];
if (!sessionId) process.exit(2);
const filters = JSON.stringify({ label: [`${sessionLabel}=${sessionId}`] });

async function sweep(): Promise<void> {
  // dockerode reads DOCKER_HOST as the run did.
  const docker = new Docker();
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.allSettled(containers.map((container) => docker.getContainer(container.Id).remove({ force: true, v: true })));
  const networks = await docker.listNetworks({ filters });
  await Promise.allSettled(networks.map((network) => docker.getNetwork(network.Id).remove()));
  const volumes = await docker.listVolumes({ filters });
  await Promise.allSettled((volumes.Volumes ?? []).map((volume) => docker.getVolume(volume.Name).remove()));
}

process.stdin.resume();
process.stdin.once('close', () => {
  const deadline = setTimeout(() => process.exit(1), 60_000);
  sweep()
    .then(() => process.exit(0))
    .catch(() => process.exit(1))
    .finally(() => clearTimeout(deadline));
});
process.stdout.write('watching\n');
