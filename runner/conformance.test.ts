/**
 * The vitest entry of the conformance suites: every selected case, for every selected target,
 * as `target > suite > case`. The run's selection comes from the `ASC_*` variables and the global
 * setup's `provide`; reporters read each test's `meta`.
 */
import { describe, inject, it, type TestContext } from 'vitest';
import { readRunEnvironment } from '../targets/run-environment';
import type { ConformanceMeta } from '../reports/model';
import type { Capability, FixtureStore, TargetDefinition, TargetEnvironment, TargetSession } from '../suites/target';
import { hasCapability } from '../suites/target';
import { caseIdKey, runCase } from '../suites/case-context';
import { HangWatch, seededStrings, within, withoutSeededSecrets } from '../suites/case-guards';
import { expectDeclaredFinding, findingKey } from '../suites/findings';
import { runRegistry, selectSuites, selectTargets } from './run-selection';
import type { CaseMetric, ConformanceCase, Suite } from '../suites/suite';

const DEFAULT_CASE_TIMEOUT_MS = 30_000;
const hangs = new HangWatch();

function caseTimeoutMs(conformanceCase: ConformanceCase): number {
  return conformanceCase.timeoutMs ?? DEFAULT_CASE_TIMEOUT_MS;
}

const run = readRunEnvironment();
const environment: TargetEnvironment = { runId: run.runId, canary: run.canary, scratchDir: run.scratchDir, servers: inject('servers') };
const unavailableServers = inject('unavailableServers');

function baseMeta(target: TargetDefinition, suite: Suite, rule: string): ConformanceMeta {
  return {
    target: target.name,
    family: target.family,
    backendKind: target.backendKind,
    suite: suite.id,
    suiteTitle: suite.title,
    level: suite.level,
    rule,
  };
}

/** Why a target cannot run here: one `not run: <why>; <fix>` per missing server, or null. */
function notRunReason(target: TargetDefinition): string | null {
  const reasons = target.servers.flatMap((server) => {
    const reason = unavailableServers[server.name];
    return reason === undefined ? [] : [reason.replace(/^not run:\s*/, '')];
  });
  return reasons.length === 0 ? null : `not run: ${reasons.join(' / ')}`;
}

function missingCapabilityNote(target: TargetDefinition, needs: readonly Capability[]): string | null {
  const missing = needs.filter((capability) => !hasCapability(target, capability));
  if (missing.length === 0) return null;
  const reasons = missing.map((c) => `${c}: ${target.missingCapabilityReasons?.[c] ?? 'no reason given'}`);
  return `not run: ${target.name} does not declare ${reasons.join('; ')}`;
}

/**
 * The same target, with fixture writes counted when they carry the canary: a clean canary scan
 * only means something if secrets were actually seeded. Proxies, so members added to sessions or
 * fixture stores later pass through untouched.
 */
function countingCanarySeeds(target: TargetDefinition, canary: string, onSeed: (values: readonly string[]) => void): TargetDefinition {
  const carries = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value ?? null)).includes(canary);
  const countingFixtures = (fixtures: FixtureStore): FixtureStore =>
    new Proxy(fixtures, {
      get(store, property) {
        const member: unknown = Reflect.get(store, property, store);
        if (typeof member !== 'function') return member;
        if (!String(property).startsWith('put')) return member.bind(store);
        return async (...args: unknown[]) => {
          const result: unknown = await member.apply(store, args);
          if (args.some(carries)) onSeed(seededStrings(args, canary));
          return result;
        };
      },
    });
  return {
    ...target,
    async open(environment): Promise<TargetSession> {
      const session = await target.open(environment);
      const fixtures = countingFixtures(session.fixtures);
      return new Proxy(session, {
        get(real, property) {
          if (property === 'fixtures') return fixtures;
          const member: unknown = Reflect.get(real, property, real);
          return typeof member === 'function' ? member.bind(real) : member;
        },
      });
    },
  };
}

/** Why a reference-only case does not run for a target with a search path of its own, or null. */
function referenceOnlyNote(target: TargetDefinition, conformanceCase: ConformanceCase): string | null {
  const implementation = target.components?.searchPathImplementation;
  if (conformanceCase.referenceOnly === undefined || implementation === undefined) return null;
  return `not run: reference-only (${target.name} runs the search path and cache of ${implementation}): ${conformanceCase.referenceOnly}`;
}

/** Why a case that writes does not run on a store this run may not write, or null. */
function readOnlyNote(target: TargetDefinition, conformanceCase: ConformanceCase): string | null {
  if (conformanceCase.runsReadOnly) return null;
  return target.readOnly?.(environment) ?? null;
}

async function runConformanceCase(ctx: TestContext, target: TargetDefinition, suite: Suite, conformanceCase: ConformanceCase): Promise<void> {
  const note =
    missingCapabilityNote(target, conformanceCase.needs ?? []) ?? referenceOnlyNote(target, conformanceCase) ?? readOnlyNote(target, conformanceCase);
  if (note) ctx.skip(note);
  const metrics: CaseMetric[] = [];
  const notes: string[] = [];
  let seeds = 0;
  const seeded: string[] = [];
  const counted = countingCanarySeeds(target, run.canary, (values) => {
    seeds += 1;
    seeded.push(...values);
  });
  const finding = target.knownFindings?.[findingKey(suite.id, conformanceCase.name)];
  const hung = hangs.verdict(target.name);
  if (hung) throw hung;
  const started = performance.now();
  try {
    const unguarded = runCase(counted, conformanceCase, environment, caseIdKey(target.name, suite.id, conformanceCase.name), {
      metric: (metric) => metrics.push(metric),
      note: (text) => notes.push(text),
      searchPath: (implementation) => {
        ctx.task.meta.searchPath = implementation;
      },
    });
    // Settled a second before vitest's own timeout, so a hang is counted and the session closes.
    const running = within(unguarded, caseTimeoutMs(conformanceCase) - 1_000, `${suite.id} › ${conformanceCase.name}`).then(
      () => hangs.record(target.name, 'passed', performance.now() - started),
      (error: unknown) => {
        hangs.record(target.name, error, performance.now() - started);
        throw withoutSeededSecrets(error, run.canary, seeded);
      },
    );
    if (finding === undefined) {
      await running;
      return;
    }
    ctx.task.meta.finding = await expectDeclaredFinding(running, finding, target.name);
  } finally {
    ctx.task.meta.metrics = metrics;
    if (notes.length > 0) ctx.task.meta.notes = notes;
    ctx.task.meta.canarySeeds = seeds;
  }
}

function caseSelected(target: TargetDefinition, suite: Suite, conformanceCase: ConformanceCase): boolean {
  if (run.caseFilter === null) return true;
  return `${target.name} › ${suite.id} › ${conformanceCase.name}`.toLowerCase().includes(run.caseFilter.toLowerCase());
}

/** Why a suite that brings no case for `target` is reported as not run, when the target says. */
function declinedSuite(target: TargetDefinition, suite: Suite): string | null {
  return target.notRunSuites?.[suite.id] ?? null;
}

interface PlannedCell {
  suite: Suite;
  /** Empty when the target is blocked: it gets one not-run placeholder instead. */
  cases: ConformanceCase[];
}

// Planned before any `describe`: vitest runs describe bodies later, and an empty file must be
// known now.
const registry = runRegistry();
const suites = selectSuites(registry, run.suites);
const plan = selectTargets(registry, run.targets).map((target) => {
  const blocked = notRunReason(target);
  const cells: PlannedCell[] = suites
    .map((suite) => ({ suite, cases: blocked ? [] : suite.cases(target).filter((conformanceCase) => caseSelected(target, suite, conformanceCase)) }))
    .filter((cell) => blocked !== null || cell.cases.length > 0 || declinedSuite(target, cell.suite) !== null);
  return { target, blocked, cells };
});

for (const { target, blocked, cells } of plan) {
  if (cells.length === 0) continue;
  describe(target.name, () => {
    for (const { suite, cases } of cells) {
      describe(suite.id, () => {
        if (blocked) {
          const meta: ConformanceMeta = { ...baseMeta(target, suite, 'runner: every selected target runs'), notRun: blocked };
          it('target not run', { meta }, (ctx) => {
            // Under CI a target that cannot run must not pass quietly as "skipped".
            if (run.ci) throw new Error(`${blocked} (CI=true: every selected target must run)`);
            ctx.skip(blocked);
          });
          return;
        }
        const declined = cases.length === 0 ? declinedSuite(target, suite) : null;
        if (declined) {
          const meta = baseMeta(target, suite, `${suite.title}: not applicable to this target`);
          it('suite not run', { meta }, (ctx) => ctx.skip(declined));
          return;
        }
        for (const conformanceCase of cases) {
          const options = { meta: baseMeta(target, suite, conformanceCase.rule), timeout: caseTimeoutMs(conformanceCase) };
          it(conformanceCase.name, options, (ctx) => runConformanceCase(ctx, target, suite, conformanceCase));
        }
      });
    }
  });
}

// vitest fails a file without tests as "no test suite found"; the runner's verdict ("zero cases
// executed") is the clearer message, so the file gets one test that says what happened.
if (plan.every(({ cells }) => cells.length === 0)) {
  it.skip('no conformance case selected (check --backend, --suite and --case)', () => {});
}
