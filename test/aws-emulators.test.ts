/**
 * The moto-vs-LocalStack table (backends/aws/emulators.ts) checked against the real emulators,
 * started natively: every probe runs on moto, moto with IAM enforced, and LocalStack, and must
 * observe what the table says; docs/container-path.md shows the same table.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMULATOR_PROBES, probeClients, renderEmulatorTable, type Emulator } from '../backends/aws/emulators';
import { endpointOf, type ServerKind } from '../containers/contract';
import { localstackServer } from '../containers/localstack';
import { motoIamServer, motoServer, type MotoEndpoint } from '../containers/moto';
import { startServers, type StartedServers } from '../containers/servers';
import { PACKAGE_ROOT } from './support/run-cli';

const kinds: Record<Emulator, ServerKind<MotoEndpoint>> = { moto: motoServer, 'moto-iam': motoIamServer, localstack: localstackServer };
let servers: StartedServers;

beforeAll(async () => {
  servers = await startServers(Object.values(kinds), { provisioning: 'native', logDir: mkdtempSync(join(tmpdir(), 'aws-emulators-')) });
  expect(servers.unavailable).toEqual({});
}, 180_000);

afterAll(async () => servers?.stop());

describe('the AWS emulators answer as the divergence table says', () => {
  for (const emulator of Object.keys(kinds) as Emulator[]) {
    for (const probe of EMULATOR_PROBES) {
      it(`${emulator}: ${probe.question}`, async () => {
        const endpoint = endpointOf(servers.endpoints, kinds[emulator])!;
        const clients = probeClients(endpoint);
        try {
          expect(await probe.run(clients, `asc-probe-${probe.id}-${randomBytes(4).toString('hex')}`)).toBe(probe.observed[emulator]);
        } finally {
          clients.destroy();
        }
      }, 60_000);
    }
  }

  it('is the table docs/container-path.md shows', async () => {
    expect(await readFile(join(PACKAGE_ROOT, 'docs', 'container-path.md'), 'utf8')).toContain(renderEmulatorTable());
  });
});
