/**
 * Proves the suites catch what they claim: every mutant must fail at least one case, and every
 * case that fails it must pass on the mutant's unbroken base target (so the kill is the mutant's
 * bug, not a flaky or broken case). Writes the kill table to the run's report folder.
 *
 * A mutant is first run against the cases recorded as killing it (mutants/recorded-kills.json, from
 * an earlier green run): when every one of them still fails it, those are its kills, checked on the
 * base like any other. Only a mutant without a record, or whose record no longer reproduces, searches
 * its cases. `npm run mutants:record` searches every mutant and writes the record anew.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEndpoints } from '../containers/contract';
import { distinctKinds, startServers, type ProvisioningChoice, type StartedServers } from '../containers/servers';
import type { MutantTarget } from '../mutants/mutant';
import { runCase } from '../suites/case-context';
import { findingKey } from '../suites/findings';
import { buildRegistry, isMutantTarget } from '../runner/run-selection';
import type { ConformanceCase } from '../suites/suite';
import { hasCapability, type TargetDefinition, type TargetEnvironment } from '../suites/target';
import { readRunEnvironment } from '../targets/run-environment';

const scratchDir = mkdtempSync(join(tmpdir(), 'asc-mutants-'));
const RECORD_FILE = fileURLToPath(new URL('../mutants/recorded-kills.json', import.meta.url));
/** `npm run mutants:record`: search every mutant's cases, ignoring the record, and write it anew. */
const recording = process.env.ASC_MUTANTS_RECORD === '1';
const recordedKills: Record<string, string[]> =
  !recording && existsSync(RECORD_FILE) ? (JSON.parse(readFileSync(RECORD_FILE, 'utf8')) as Record<string, string[]>) : {};
const { targets, suites } = buildRegistry();
const mutantTargets = targets.filter(isMutantTarget) as MutantTarget[];

/** The servers the networked mutants need, started once for this file. */
const neededServers = distinctKinds(mutantTargets.flatMap((mutant) => mutant.servers));
let started: StartedServers | null = null;
let servers: ServerEndpoints = {};

beforeAll(async () => {
  if (neededServers.length === 0) return;
  const provisioning = (process.env.ASC_PROVISION ?? 'auto') as ProvisioningChoice;
  started = await startServers(neededServers, { provisioning, logDir: join(scratchDir, 'servers') });
  servers = started.endpoints;
}, 120_000);

afterAll(async () => {
  await started?.stop();
});

/** Why a mutant's servers are missing (`not run: ...`), or null when all of them answered. */
function serversMissing(target: TargetDefinition): string | null {
  const reasons = target.servers.flatMap((server) => {
    const reason = started?.unavailable[server.name];
    return reason ? [reason] : [];
  });
  return reasons.length > 0 ? reasons.join(' / ') : null;
}

/** A run of its own for each mutant and base check, so a leaking mutant cannot taint the next. */
function environmentFor(label: string): TargetEnvironment {
  return {
    runId: `mutants-${process.pid}-${label}`,
    canary: readRunEnvironment().canary,
    scratchDir: join(scratchDir, label.replace(/[^a-z0-9-]/gi, '_')),
    servers,
  };
}

interface Kill {
  readonly mutant: string;
  readonly base: string;
  readonly breaks: string;
  /** Cases run before the mutant was stopped (all of them for an embedded mutant). */
  readonly casesRun: number;
  readonly casesApplicable: number;
  readonly killedBy: string[];
  /** `recorded`: the recorded killing cases all failed it again; `searched`: its cases were run in order. */
  readonly found: 'recorded' | 'searched';
}

const kills: Kill[] = [];

function applicable(target: TargetDefinition): Array<{ key: string; conformanceCase: ConformanceCase }> {
  return suites.flatMap((suite) =>
    suite
      .cases(target)
      .filter((conformanceCase) => (conformanceCase.needs ?? []).every((capability) => hasCapability(target, capability)))
      .map((conformanceCase) => ({ key: findingKey(suite.id, conformanceCase.name), conformanceCase })),
  );
}

/**
 * A networked mutant stops after this many failing cases: its kills are proven by them (each
 * checked on the base below), and the rest of its target's suite, over real sockets, would only
 * lengthen CI. An embedded mutant runs every case, so the unproven-case check below stays whole.
 */
const NETWORKED_KILLS_ENOUGH = 3;

async function failingCases(
  target: TargetDefinition,
  cases: Array<{ key: string; conformanceCase: ConformanceCase }>,
  label: string,
  stopAfter = Number.POSITIVE_INFINITY,
): Promise<{ failed: string[]; run: number }> {
  const environment = environmentFor(label);
  const failed: string[] = [];
  let run = 0;
  for (const { key, conformanceCase } of cases) {
    if (failed.length >= stopAfter) break;
    run += 1;
    try {
      await runCase(target, conformanceCase, environment, key);
    } catch {
      failed.push(key);
    }
  }
  return { failed, run };
}

/** Every case some mutant's record names: a case outside all of them is new since the record. */
const recordedCases = new Set(Object.values(recordedKills).flat());

/**
 * The recorded killing cases, run on the mutant: its kills when every one of them fails it again
 * (a partial replay would shrink what the embedded cases' coverage check counts), else `null`. An
 * embedded mutant also runs the cases no record names yet, so a case added since the record is
 * tried on every embedded mutant and the coverage check sees whether one kills it.
 */
async function replayRecordedKills(
  mutant: MutantTarget,
  cases: Array<{ key: string; conformanceCase: ConformanceCase }>,
): Promise<{ failed: string[]; run: number } | null> {
  const recorded = new Set(recordedKills[mutant.name] ?? []);
  const replay = cases.filter((c) => recorded.has(c.key));
  if (replay.length === 0 || replay.length < recorded.size) return null;
  const result = await failingCases(mutant, replay, `${mutant.name}-replay`);
  if (result.failed.length < replay.length) return null;
  if (mutant.servers.length > 0) return result;
  const unrecorded = await failingCases(
    mutant,
    cases.filter((c) => !recordedCases.has(c.key)),
    `${mutant.name}-new-cases`,
  );
  return { failed: [...result.failed, ...unrecorded.failed], run: result.run + unrecorded.run };
}

/** Every applicable case in order; a networked mutant stops after a few kills. */
function searchKills(
  mutant: MutantTarget,
  cases: Array<{ key: string; conformanceCase: ConformanceCase }>,
): Promise<{ failed: string[]; run: number }> {
  const networked = mutant.servers.length > 0;
  // A networked mutant's rules are mostly its family's, whose suites the registry lists last: they go first.
  const ordered = networked ? [...cases].reverse() : cases;
  return failingCases(mutant, ordered, mutant.name, networked ? NETWORKED_KILLS_ENOUGH : Number.POSITIVE_INFINITY);
}

function baseOf(mutant: MutantTarget): TargetDefinition {
  const base = targets.find((target) => target.name === mutant.mutantOf);
  if (!base) throw new Error(`${mutant.name} is built on unknown target ${mutant.mutantOf}`);
  return base;
}

/** Cases of the embedded targets (those that need no server) that no mutant fails. */
function unprovenCases(): string[] {
  const proven = new Set(kills.flatMap((k) => k.killedBy));
  const embedded = targets.filter((target) => target.family !== 'mutant' && target.servers.length === 0);
  return [...new Set(embedded.flatMap((target) => applicable(target).map((c) => c.key)))].filter((key) => !proven.has(key));
}

/**
 * The record `npm run mutants:record` keeps in the repo: each mutant's killing cases, in name order.
 * Mutants this run did not reach (a `-t` filter) keep their entry; mutants that no longer exist lose it.
 */
function writeRecord(): void {
  const earlier: Record<string, string[]> = existsSync(RECORD_FILE)
    ? (JSON.parse(readFileSync(RECORD_FILE, 'utf8')) as Record<string, string[]>)
    : {};
  const found = new Map(kills.map((k) => [k.mutant, k.killedBy]));
  const names = mutantTargets.map((m) => m.name).sort((a, b) => a.localeCompare(b));
  const record = Object.fromEntries(
    names.flatMap((name) => {
      const cases = found.get(name) ?? earlier[name];
      return cases ? [[name, cases]] : [];
    }),
  );
  writeFileSync(RECORD_FILE, `${JSON.stringify(record, null, 2)}\n`);
}

afterAll(() => {
  rmSync(scratchDir, { recursive: true, force: true });
  if (recording) writeRecord();
  // The run's own folder (published to reports/latest/); nothing is written outside a run.
  const reportDir = process.env.ASC_RUN_ID ? readRunEnvironment().runDir : null;
  if (!reportDir || kills.length === 0) return;
  const rows = kills.map(
    (k) =>
      `| \`${k.mutant}\` | ${k.breaks} | ${k.killedBy.length} of ${k.casesRun}${k.casesRun < k.casesApplicable ? ` run (of ${k.casesApplicable}${k.found === 'recorded' ? '; the recorded kills' : `; stopped after ${NETWORKED_KILLS_ENOUGH}`})` : ''} | ${k.killedBy.slice(0, 3).join('<br>')}${k.killedBy.length > 3 ? '<br>…' : ''} |`,
  );
  const unproven = unprovenCases();
  const table = [
    '# Mutants',
    '',
    `${kills.length} mutants, all killed (${kills.filter((k) => k.found === 'recorded').length} by their recorded cases, ${kills.filter((k) => k.found === 'searched').length} searched); ${unproven.length} case(s) of the embedded targets killed by no mutant${unproven.length ? `: ${unproven.join('; ')}` : ''}.`,
    '',
    '| mutant | what it breaks | cases failing | caught by |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  mkdirSync(reportDir, { recursive: true });
  writeFileSync(join(reportDir, 'mutants.md'), table);
  writeFileSync(join(reportDir, 'mutants.json'), `${JSON.stringify(kills, null, 2)}\n`);
});

describe('every mutant is killed by a named case', () => {
  it('there are at least 10 mutants, each with a unique name', () => {
    expect(mutantTargets.length).toBeGreaterThanOrEqual(10);
    expect(new Set(mutantTargets.map((m) => m.name)).size).toBe(mutantTargets.length);
  });

  for (const mutant of mutantTargets) {
    // A networked mutant runs its target's whole suite twice over real sockets (mutant, then base).
    it(`${mutant.name} (${mutant.breaks})`, { timeout: mutant.servers.length > 0 ? 180_000 : 30_000 }, async ({ task, skip }) => {
      const missing = serversMissing(mutant);
      if (missing) {
        if (process.env.CI === 'true') throw new Error(`${missing} (CI=true: every mutant must run)`);
        skip(missing);
      }
      // A case the base is declared to fail (a known finding) cannot prove a kill.
      const cases = applicable(mutant).filter((c) => !(c.key in (mutant.knownFindings ?? {})));
      const replayed = await replayRecordedKills(mutant, cases);
      const { failed: killedBy, run } = replayed ?? (await searchKills(mutant, cases));
      expect(killedBy, `${mutant.name}: no case failed out of ${cases.length}`).not.toEqual([]);

      const base = baseOf(mutant);
      const { failed: falseKills } = await failingCases(
        base,
        cases.filter((c) => killedBy.includes(c.key)),
        `${mutant.name}-base`,
      );
      expect(falseKills, `these cases also fail on the unbroken ${base.name}, so they prove nothing`).toEqual([]);

      kills.push({
        mutant: mutant.name,
        base: base.name,
        breaks: mutant.breaks,
        casesRun: run,
        casesApplicable: cases.length,
        killedBy,
        found: replayed ? 'recorded' : 'searched',
      });
      (task.meta as Record<string, unknown>).killedBy = killedBy;
    });
  }

  it('every case of the embedded targets is killed by at least one mutant', () => {
    expect(kills.length, 'the mutant cases above must run first').toBe(mutantTargets.filter((m) => !serversMissing(m)).length);
    expect(unprovenCases(), 'a case no mutant fails is unproven: add a mutant it kills').toEqual([]);
  });
});
