/**
 * What one run is, as it travels from the `test`/`run` command to vitest's processes.
 *
 * vitest rejects flags it does not know, so the runner hands its selection over in `ASC_*`
 * environment variables: the config, the global setup, the reporter and every test worker read
 * the same values. A plain `npx vitest run` works too: missing values get defaults here, once, in
 * the process that loads the config, so its workers inherit the same run id and canary.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ProvisioningChoice } from '../containers/servers';

export interface RunEnvironment {
  /** Sortable and unique: the report folder's name, and the prefix of every fixture id. */
  readonly runId: string;
  /** Target names (families already expanded), or `null` for the default selection. */
  readonly targets: readonly string[] | null;
  /** Suite ids, or `null` for every suite. */
  readonly suites: readonly string[] | null;
  /** Only cases whose `target › suite › case` name contains this text (any case), or `null`. */
  readonly caseFilter: string | null;
  /** Folder holding `<runId>/` and `latest/`. */
  readonly reportsRoot: string;
  readonly runDir: string;
  /** Fixture files and other scratch data; outside `reportsRoot`, so reports never hold seeded values. */
  readonly scratchDir: string;
  readonly provisioning: ProvisioningChoice;
  /** Letters and digits; every seeded secret value carries it, so a leak can be found by search. */
  readonly canary: string;
  /** Under CI a target that could not run fails the run instead of being skipped. */
  readonly ci: boolean;
  /** The run includes the unit tests (`test/**`), not only the conformance suites. */
  readonly includesUnitTests: boolean;
  /**
   * The runner (`secrets-conformance test|run`) gives the verdict, after its canary scan of what the
   * run wrote; a bare `vitest run` has none, so its reporter gives it.
   */
  readonly verdictByRunner: boolean;
}

const PROVISIONING_CHOICES: readonly ProvisioningChoice[] = ['auto', 'docker', 'native', 'external'];

export function isProvisioningChoice(value: string): value is ProvisioningChoice {
  return (PROVISIONING_CHOICES as readonly string[]).includes(value);
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

export function newCanary(): string {
  return `cnry${randomBytes(8).toString('hex')}`;
}

export function isUsableCanary(value: string | undefined): value is string {
  return value !== undefined && /^[A-Za-z0-9]{8,}$/.test(value);
}

export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(true|1)$/i.test(env.CI ?? '');
}

function list(value: string | undefined): string[] | null {
  if (value === undefined || value.trim() === '') return null;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Fills the values a direct `vitest run` lacks, in `env` itself, so child processes agree. */
export function ensureRunEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  env.ASC_RUN_ID ||= newRunId();
  if (!isUsableCanary(env.ASC_CANARY)) env.ASC_CANARY = newCanary();
}

export function readRunEnvironment(env: NodeJS.ProcessEnv = process.env): RunEnvironment {
  const runId = env.ASC_RUN_ID || newRunId();
  const reportsRoot = resolve(env.ASC_REPORT_DIR || 'reports');
  const provisioning = env.ASC_PROVISION ?? 'auto';
  return {
    runId,
    targets: list(env.ASC_TARGETS),
    suites: list(env.ASC_SUITES),
    caseFilter: env.ASC_CASES || null,
    reportsRoot,
    runDir: join(reportsRoot, runId),
    scratchDir: join(tmpdir(), `secrets-conformance-${runId}`),
    provisioning: isProvisioningChoice(provisioning) ? provisioning : 'auto',
    canary: isUsableCanary(env.ASC_CANARY) ? env.ASC_CANARY : newCanary(),
    ci: isCi(env),
    includesUnitTests: env.ASC_UNIT_TESTS !== '0',
    verdictByRunner: env.ASC_VERDICT_BY_RUNNER === '1',
  };
}

/** The variables a child vitest needs; everything else it inherits. */
export function runEnvironmentVariables(run: RunEnvironment): Record<string, string> {
  return {
    ASC_RUN_ID: run.runId,
    ASC_TARGETS: (run.targets ?? []).join(','),
    ASC_SUITES: (run.suites ?? []).join(','),
    ASC_CASES: run.caseFilter ?? '',
    ASC_REPORT_DIR: run.reportsRoot,
    ASC_PROVISION: run.provisioning,
    ASC_CANARY: run.canary,
    ASC_UNIT_TESTS: run.includesUnitTests ? '1' : '0',
    ASC_VERDICT_BY_RUNNER: '1',
  };
}
