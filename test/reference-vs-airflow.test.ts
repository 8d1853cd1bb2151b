/**
 * Reference against Airflow: the same fixtures, seeded once, read through our reference backend
 * and through Airflow 3.3.2's own class (the bridge), for every store layout. Every difference is
 * listed; one not explained in `reference-vs-airflow-known-differences.json` fails the test.
 * The suites check rules; this checks that our reference backends read whatever a store holds the
 * way Airflow does, including inputs no suite thought of (the generated connection corpus).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandBackend } from '../targets/command-backend';
import type { Connection, ParserFlavour } from '../model/connection/connection';
import type { SecretsBackend } from '../model/contract';
import type { ServerEndpoints } from '../containers/contract';
import { distinctKinds, startServers, type ProvisioningChoice, type StartedServers } from '../containers/servers';
import { createIdFactory } from '../suites/case-context';
import { fingerprint } from '../suites/expect-secret';
import { embedCanary, trickyValues } from '../suites/values';
import { buildRegistry } from '../runner/run-selection';
import { airflowBridge, airflowPython } from '../targets/airflow-bridge';
import type { TargetDefinition, TargetEnvironment, TargetSession } from '../suites/target';
import knownDifferences from './reference-vs-airflow-known-differences.json';
import { generateConnectionInputs } from './generators/connection-inputs';
import { readRunEnvironment } from '../targets/run-environment';

interface Pair {
  readonly reference: TargetDefinition;
  readonly backendClass: string;
  readonly parser: ParserFlavour;
  readonly mirrorEnvironment: boolean;
  readonly kwargs: (session: TargetSession, environment: TargetEnvironment) => Record<string, unknown>;
}

/**
 * One pair per store layout that an Airflow class reads: its reference target, and the first such
 * class. A layout no Airflow class reads (dynamic credentials under leases) has nothing to compare.
 */
const pairs: readonly Pair[] = buildRegistry()
  .layouts.filter((layout) => layout.airflowClasses.length > 0)
  .map((layout) => ({
    reference: layout.base(undefined),
    backendClass: layout.airflowClasses[0] ?? '',
    parser: layout.parser ?? 'sdk',
    mirrorEnvironment: layout.mirrorEnvironment ?? false,
    kwargs: (session, environment) => layout.sessionKwargs({ session, environment }),
  }));

/** What one lookup gave, in a form two implementations can be compared by, without values. */
type Outcome =
  | { kind: 'null' }
  | { kind: 'error'; name: string }
  | { kind: 'connection'; fields: Record<string, string> }
  | { kind: 'value'; fingerprint: string };

/** Every field by fingerprint; `extra` by its parsed content with keys sorted (Vault returns dicts sorted). */
function connectionFields(connection: Connection): Record<string, string> {
  const view = connection.toView() as unknown as Record<string, unknown>;
  const sortKeys = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(sortKeys)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(
            Object.entries(value as Record<string, unknown>)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([k, v]) => [k, sortKeys(v)]),
          )
        : value;
  return Object.fromEntries(Object.entries(view).map(([field, value]) => [field, fingerprint(JSON.stringify(sortKeys(value)))]));
}

async function outcomeOf(read: () => Promise<Connection | string | null>): Promise<Outcome> {
  try {
    const value = await read();
    if (value === null) return { kind: 'null' };
    if (typeof value === 'string') return { kind: 'value', fingerprint: fingerprint(value) };
    return { kind: 'connection', fields: connectionFields(value) };
  } catch (error) {
    return { kind: 'error', name: error instanceof Error ? error.name : typeof error };
  }
}

/** `null` when the same; otherwise what differs, in words without values. */
function difference(ours: Outcome, airflow: Outcome): string | null {
  const label = (o: Outcome) => (o.kind === 'error' ? `error ${o.name}` : o.kind);
  if (ours.kind !== airflow.kind || (ours.kind === 'error' && airflow.kind === 'error' && ours.name !== airflow.name)) {
    return `reference ${label(ours)}, airflow ${label(airflow)}`;
  }
  if (ours.kind === 'value' && airflow.kind === 'value' && ours.fingerprint !== airflow.fingerprint) return 'values differ';
  if (ours.kind === 'connection' && airflow.kind === 'connection') {
    const fields = Object.keys({ ...ours.fields, ...airflow.fields }).filter((f) => ours.fields[f] !== airflow.fields[f]);
    if (fields.length > 0) return `fields differ: ${fields.sort().join(', ')}`;
  }
  return null;
}

interface Item {
  readonly label: string;
  readonly kind: 'connection' | 'variable';
  readonly value: string;
}

/** The corpus: generated connection values (URIs, JSON, padded raw values) and the tricky variable values. */
function corpus(): Item[] {
  const connections = generateConnectionInputs(150, 20_261_128).map((input, index) => ({
    label: `connection #${index} (${input.format}, ${input.shape})`,
    kind: 'connection' as const,
    value: input.input,
  }));
  const variables = trickyValues.map((value) => ({
    label: `variable (${value.label})`,
    kind: 'variable' as const,
    value: embedCanary(value.text, readRunEnvironment().canary),
  }));
  return [...connections, ...variables];
}

interface Row {
  readonly pair: string;
  readonly item: string;
  readonly difference: string;
  readonly known: string | null;
}

interface PairTotals {
  pair: string;
  compared: number;
  same: number;
  notStorable: number;
  known: number;
  unexplained: number;
}

function knownReason(pair: string, item: Item, what: string): string | null {
  for (const entry of knownDifferences as Array<{ pair: string; item: string; difference: string; reason: string }>) {
    if (new RegExp(entry.pair).test(pair) && new RegExp(entry.item).test(item.label) && new RegExp(entry.difference).test(what)) return entry.reason;
  }
  return null;
}

const scratchDir = mkdtempSync(join(tmpdir(), 'asc-ref-vs-airflow-'));
const needed = distinctKinds(pairs.flatMap((pair) => pair.reference.servers));
let started: StartedServers | null = null;
let servers: ServerEndpoints = {};
const rows: Row[] = [];
const totals: PairTotals[] = [];
const airflowInstalled = existsSync(airflowPython());

beforeAll(async () => {
  if (!airflowInstalled) return;
  started = await startServers(needed, {
    provisioning: (process.env.ASC_PROVISION ?? 'auto') as ProvisioningChoice,
    logDir: join(scratchDir, 'servers'),
  });
  servers = started.endpoints;
}, 120_000);

afterAll(async () => {
  await started?.stop();
  rmSync(scratchDir, { recursive: true, force: true });
  // The run's own folder (published to reports/latest/); nothing is written outside a run.
  const reportDir = process.env.ASC_RUN_ID ? readRunEnvironment().runDir : null;
  if (!reportDir || totals.length === 0) return;
  const table = [
    '# Reference backends against Airflow 3.3.2',
    '',
    '| pair | compared | same | not storable | known differences | unexplained |',
    '|---|---|---|---|---|---|',
    ...totals.map((t) => `| ${t.pair} | ${t.compared} | ${t.same} | ${t.notStorable} | ${t.known} | ${t.unexplained} |`),
    '',
    '| pair | item | difference | why |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.pair} | ${r.item} | ${r.difference} | ${r.known ?? '**unexplained**'} |`),
    '',
  ].join('\n');
  mkdirSync(reportDir, { recursive: true });
  writeFileSync(join(reportDir, 'reference-vs-airflow.md'), table);
});

describe('reference backends read every fixture the way Airflow 3.3.2 does', () => {
  for (const pair of pairs) {
    const name = `${pair.reference.name} vs ${pair.backendClass.split('.').at(-1)}`;
    it(name, { timeout: 240_000 }, async ({ skip }) => {
      if (!airflowInstalled) {
        if (process.env.CI === 'true') throw new Error(`not run: Airflow venv missing at ${airflowPython()}; run npm run servers:install`);
        skip(`not run: Airflow venv missing at ${airflowPython()}; run npm run servers:install`);
      }
      const missing = pair.reference.servers.map((s) => started?.unavailable[s.name]).filter((r): r is string => r !== undefined);
      if (missing.length > 0) {
        if (process.env.CI === 'true') throw new Error(missing.join(' / '));
        skip(missing.join(' / '));
      }
      const environment: TargetEnvironment = {
        runId: `refvsaf-${process.pid}`,
        canary: readRunEnvironment().canary,
        scratchDir: join(scratchDir, pair.reference.name),
        servers,
      };
      const session = await pair.reference.open(environment);
      const ids = createIdFactory(environment.runId, name);
      const tally: PairTotals = { pair: name, compared: 0, same: 0, notStorable: 0, known: 0, unexplained: 0 };
      let airflow: SecretsBackend | null = null;
      try {
        const seeded: Array<{ item: Item; id: string }> = [];
        for (const item of corpus()) {
          const id = ids.next(item.kind === 'connection' ? 'c' : 'v');
          try {
            if (item.kind === 'connection') await session.fixtures.putConnection(id, { raw: item.value });
            else await session.fixtures.putVariable(id, item.value);
            seeded.push({ item, id });
          } catch {
            tally.notStorable += 1;
          }
        }
        const reference = session.backend();
        airflow = new CommandBackend({
          command: airflowBridge({ mirrorEnvironment: pair.mirrorEnvironment }),
          backend: pair.backendClass,
          kwargs: pair.kwargs(session, environment),
          parser: pair.parser,
        });
        const theirs = airflow;
        for (const { item, id } of seeded) {
          const read = (backend: SecretsBackend) => () => (item.kind === 'connection' ? backend.getConnection(id) : backend.getVariable(id));
          const differs = difference(await outcomeOf(read(reference)), await outcomeOf(read(theirs)));
          tally.compared += 1;
          if (differs === null) {
            tally.same += 1;
            continue;
          }
          const known = knownReason(name, item, differs);
          if (known) tally.known += 1;
          else tally.unexplained += 1;
          rows.push({ pair: name, item: item.label, difference: differs, known });
        }
      } finally {
        totals.push(tally);
        await airflow?.close?.();
        await session.close();
      }
      const unexplained = rows.filter((r) => r.pair === name && r.known === null).map((r) => `${r.item}: ${r.difference}`);
      expect(tally.compared, 'nothing was compared').toBeGreaterThan(100);
      expect(unexplained, `${name}: differences not in reference-vs-airflow-known-differences.json`).toEqual([]);
    });
  }
});
