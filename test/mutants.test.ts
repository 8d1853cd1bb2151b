/**
 * Proves the suites catch what they claim: every mutant must fail at least one case, and every
 * case that fails it must pass on the mutant's unbroken base target (so the kill is the mutant's
 * bug, not a flaky or broken case). Writes the kill table to the run's report folder.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

afterAll(() => {
  rmSync(scratchDir, { recursive: true, force: true });
  // The run's own folder (published to reports/latest/); nothing is written outside a run.
  const reportDir = process.env.ASC_RUN_ID ? readRunEnvironment().runDir : null;
  if (!reportDir || kills.length === 0) return;
  const rows = kills.map(
    (k) =>
      `| \`${k.mutant}\` | ${k.breaks} | ${k.killedBy.length} of ${k.casesRun}${k.casesRun < k.casesApplicable ? ` run (of ${k.casesApplicable}; stopped after ${NETWORKED_KILLS_ENOUGH})` : ''} | ${k.killedBy.slice(0, 3).join('<br>')}${k.killedBy.length > 3 ? '<br>…' : ''} |`,
  );
  const unproven = unprovenCases();
  const table = [
    '# Mutants',
    '',
    `${kills.length} mutants, all killed; ${unproven.length} case(s) of the embedded targets killed by no mutant${unproven.length ? `: ${unproven.join('; ')}` : ''}.`,
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
      const networked = mutant.servers.length > 0;
      // A networked mutant's rules are mostly its family's, whose suites the registry lists last: they go first.
      const ordered = networked ? [...cases].reverse() : cases;
      const { failed: killedBy, run } = await failingCases(
        mutant,
        ordered,
        mutant.name,
        networked ? NETWORKED_KILLS_ENOUGH : Number.POSITIVE_INFINITY,
      );
      expect(killedBy, `${mutant.name}: no case failed out of ${cases.length}`).not.toEqual([]);

      const base = baseOf(mutant);
      const { failed: falseKills } = await failingCases(
        base,
        cases.filter((c) => killedBy.includes(c.key)),
        `${mutant.name}-base`,
      );
      expect(falseKills, `these cases also fail on the unbroken ${base.name}, so they prove nothing`).toEqual([]);

      kills.push({ mutant: mutant.name, base: base.name, breaks: mutant.breaks, casesRun: run, casesApplicable: cases.length, killedBy });
      (task.meta as Record<string, unknown>).killedBy = killedBy;
    });
  }

  it('every case of the embedded targets is killed by at least one mutant', () => {
    expect(kills.length, 'the mutant cases above must run first').toBe(mutantTargets.filter((m) => !serversMissing(m)).length);
    expect(unprovenCases(), 'a case no mutant fails is unproven: add a mutant it kills').toEqual([]);
  });
});
