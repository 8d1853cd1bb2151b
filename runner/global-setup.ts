/**
 * vitest global setup of the conformance project: starts the servers the selected targets need,
 * once per run, hands their endpoints to the test workers and stops them at the end.
 *
 * Workers only receive serialisable values (`provide`/`inject`), so the endpoints travel as
 * plain objects; `servers.json` records the same servers without their credentials.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureRunEnvironment, readRunEnvironment } from '../targets/run-environment';
import { describeTarget } from '../reports/target-description';
import type { ServerReport, ServersFile, SuiteInfo } from '../reports/model';
import type { TargetDescription } from '../suites/target';
import { REPORT_FILES } from '../reports/publish';
import { runRegistry, selectSuites, selectTargets } from './run-selection';
import type { ServerEndpoints, ServerInfo } from '../containers/contract';
import { distinctKinds, startServers, type StartedServers } from '../containers/servers';

export interface SelectedTargetInfo {
  name: string;
  family: string;
  backendKind: string;
  /** The server kinds it needs, by name. */
  servers: string[];
  summary: string;
  /** Redacted already: it travels to the reporter and into every report file. */
  description: TargetDescription;
}

declare module 'vitest' {
  export interface ProvidedContext {
    servers: ServerEndpoints;
    /** `not run: <why>; <fix>` per server that could not start. */
    unavailableServers: Record<string, string>;
    serverReports: ServerReport[];
    selectedTargets: SelectedTargetInfo[];
    selectedSuites: SuiteInfo[];
  }
}

/** Only these endpoint fields say where a server is; everything else may be a credential. */
const ADDRESS_FIELDS = ['address', 'endpoint', 'apiAddress'] as const;

export function describeServer(name: string, started: StartedServers): ServerReport {
  const endpoint: ServerInfo | undefined = started.endpoints[name];
  if (!endpoint) {
    return { name, status: 'unavailable', reason: started.unavailable[name] ?? 'not run: the server did not start; see the run output' };
  }
  const report: ServerReport = { name, status: 'started', provisioning: endpoint.provisioning, version: endpoint.version };
  const fields = endpoint as unknown as Record<string, unknown>;
  const address = ADDRESS_FIELDS.map((field) => fields[field]).find((value) => typeof value === 'string');
  if (typeof address === 'string') report.address = address;
  if (endpoint.identity !== undefined) report.identity = endpoint.identity;
  if (endpoint.image !== undefined) report.image = endpoint.image;
  const startMs = started.startTimesMs[name] ?? endpoint.startMs;
  if (startMs !== undefined) report.startMs = startMs;
  return report;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // vitest builds the workers' environment after global setup, so they inherit the run id and
  // canary settled here, as does the reporter (same process).
  ensureRunEnvironment();
  const run = readRunEnvironment();
  const registry = runRegistry();
  const targets = selectTargets(registry, run.targets);
  const suites = selectSuites(registry, run.suites);
  const needed = distinctKinds(targets.flatMap((target) => target.servers));

  await mkdir(run.runDir, { recursive: true });
  await mkdir(run.scratchDir, { recursive: true });
  const started = await startServers(needed, { provisioning: run.provisioning, logDir: join(run.runDir, 'servers') });
  const serverReports = needed.map((kind) => describeServer(kind.name, started));

  const serversFile: ServersFile = { provisioning: run.provisioning, servers: serverReports };
  await writeFile(join(run.runDir, REPORT_FILES.servers), `${JSON.stringify(serversFile, null, 2)}\n`);

  project.provide('servers', started.endpoints);
  project.provide('unavailableServers', { ...started.unavailable });
  project.provide('serverReports', serverReports);
  const environment = { runId: run.runId, canary: run.canary, scratchDir: run.scratchDir, servers: started.endpoints };
  project.provide(
    'selectedTargets',
    targets.map((t) => ({
      name: t.name,
      family: t.family,
      backendKind: t.backendKind,
      servers: t.servers.map((kind) => kind.name),
      summary: t.summary,
      description: describeTarget(t, environment, run.canary),
    })),
  );
  project.provide(
    'selectedSuites',
    suites.map((s) => ({ id: s.id, title: s.title, level: s.level })),
  );

  return async () => {
    try {
      await started.stop();
    } finally {
      await rm(run.scratchDir, { recursive: true, force: true });
    }
  };
}
