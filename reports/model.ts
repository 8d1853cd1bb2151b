/**
 * The report model: one `RunReport` per run, built by the reporter from vitest's results and
 * rendered by every writer (results.json, junit.xml, summary.md, the console matrix). Writers read
 * this model only, so a new figure (latency percentiles, recovery times, a certificate level) is a
 * field added here plus the lines that show it.
 *
 * Nothing in the model holds a secret value: errors are one line, skip reasons are the targets'
 * own sentences, and the canary is counted, never stored.
 */
import type { Provisioning } from '../containers/contract';
import type { TargetDescription } from '../suites/target';
import type { ProvisioningChoice } from '../containers/servers';
import type { CaseMetric, CertificationLevel } from '../suites/suite';
import type { LoadEvidence } from './load-evidence';

export const REPORT_SCHEMA_VERSION = 1;

declare module 'vitest' {
  // Conformance tests carry their coordinates in vitest's meta; unit tests carry none.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- vitest's meta is extended by declaration merging
  interface TaskMeta extends Partial<ConformanceMeta> {}
}

/** `finding`: a case the target declares it fails (`knownFindings`), and did fail. */
export type CaseStatus = 'pass' | 'fail' | 'skip' | 'finding';

/** What a conformance test carries in vitest's `meta`, from the worker to the reporter. */
export interface ConformanceMeta {
  target: string;
  family: string;
  backendKind: string;
  suite: string;
  suiteTitle: string;
  level: CertificationLevel;
  /** The case's rule, starting with its spec section; `§0 servers` for a not-run placeholder. */
  rule: string;
  /** Set on the one placeholder per suite of a target whose servers could not start. */
  notRun?: string;
  metrics?: CaseMetric[];
  /** How many values carrying the run's canary the case seeded. */
  canarySeeds?: number;
  /** Set when the case is a declared known finding that did fail as declared. */
  finding?: { reason: string; observed: string };
  /** Which search path and cache implementation the case ran, when it used one. */
  searchPath?: string;
  /** Facts the case noted beside its verdict (`CaseContext.note`). */
  notes?: string[];
}

export interface CaseReport {
  target: string;
  family: string;
  backendKind: string;
  suite: string;
  level: CertificationLevel;
  case: string;
  rule: string;
  status: CaseStatus;
  /** `not run: ...`, for skipped cases. */
  skipReason?: string;
  durationMs: number;
  /** `ErrorName: first line of the message`, for failed cases and findings (what was observed). */
  error?: string;
  /** For a finding: why the target fails the case, as the target declares it. */
  finding?: string;
  /** Which search path and cache implementation ran the case, when it used one. */
  searchPath?: string;
  /** Facts the case noted beside its verdict, which do not change it. */
  notes?: string[];
  metrics: CaseMetric[];
}

export type TargetProvisioning = Provisioning | 'embedded' | 'mixed';

export interface TargetReport {
  name: string;
  family: string;
  backendKind: string;
  status: 'ran' | 'not-run';
  notRunReason?: string;
  /** The server kinds the target needs, by name. */
  servers: string[];
  /** `embedded` for targets that need no server. */
  provisioning: TargetProvisioning | null;
  /** One line for reports (the target's `summary`). */
  summary?: string;
  /** Absent in reports written before certificates existed. */
  description?: TargetDescription;
}

export interface SuiteInfo {
  id: string;
  title: string;
  level: CertificationLevel;
}

export interface Totals {
  passed: number;
  failed: number;
  skipped: number;
  /** Declared known findings that failed as declared; they do not fail the run. */
  findings?: number;
}

export interface CellTotals extends Totals {
  target: string;
  suite: string;
  durationMs: number;
}

export interface UnitTestFailure {
  /** `file > describe > test`. */
  name: string;
  error: string;
}

export interface UnitTestTotals extends Totals {
  files: number;
  failures: UnitTestFailure[];
}

export interface ServerReport {
  name: string;
  status: 'started' | 'unavailable';
  provisioning?: Provisioning;
  version?: string;
  /** Where clients reach it; never a credential. */
  address?: string;
  /** External servers: who the harness acted as (a token's display name and accessor, an ARN); never a credential. */
  identity?: string;
  /** The image its container ran, on the container path. */
  image?: string;
  startMs?: number;
  /** `not run: <why>; <fix>`, when unavailable. */
  reason?: string;
}

/** What `servers.json` holds: written by the global setup, read back by the reporter. */
export interface ServersFile {
  provisioning: ProvisioningChoice;
  servers: ServerReport[];
}

export interface RunVerdict {
  passed: boolean;
  /** Conformance cases that ran (passed or failed); zero is a failure, not a pass. */
  executedCases: number;
  /** One line each: why the run failed. Empty when it passed. */
  problems: string[];
}

export interface RunReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  runId: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** vitest's own end reason: `passed`, `failed` or `interrupted`. */
  endReason: string;
  selection: {
    targets: string[];
    suites: string[];
    unitTests: boolean;
    provisioning: ProvisioningChoice;
    ci: boolean;
  };
  targets: TargetReport[];
  suites: SuiteInfo[];
  cases: CaseReport[];
  /** One entry per target × suite that has cases, in target then suite order. */
  totals: CellTotals[];
  /** `null` when the run did not include the unit tests. */
  unitTests: UnitTestTotals | null;
  servers: ServerReport[];
  canary: {
    /**
     * Where the run's canary (a seeded secret value) was found after the run, one line each
     * (`commands/airflow-bridge-12.log (3×)`); set by the runner's scan. Any entry fails the run.
     */
    leaks?: string[];
    /** Values carrying the canary that the cases seeded; zero makes a clean canary scan meaningless. */
    seededValues: number;
  };
  /** Errors outside any test (a file that failed to load, an unhandled rejection), one line each. */
  errors: string[];
  verdict: RunVerdict;
  /** Measured resilience figures per target that recorded any; absent in older reports. */
  figures?: TargetFigures[];
  /** The soak verdicts of the latest load bench of the same commit, when there is one. */
  load?: LoadEvidence;
}

/** Nearest-rank percentiles of real-time lookups against a healthy store, in ms. */
export interface LatencyFigures {
  samples: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** What one network fault did; each figure is the worst recorded, `null` when none was. */
export interface FaultFigures {
  fault: string;
  /** How long the lookup took while the fault was on. */
  lookupMs: number | null;
  /** Requests the backend sent for that lookup, retries included. */
  attempts: number | null;
  /** From the fault's removal to the first correct answer. */
  recoveryMs: number | null;
}

export interface TargetFigures {
  target: string;
  lookupLatencyMs: LatencyFigures | null;
  faults: FaultFigures[];
  /** Upstream requests (or backend calls) per kind of lookup: `cold connection lookup` → 2. */
  requestsPer: Record<string, number>;
  rotation: {
    /** Through the cache, on the fake clock: the TTL + 1 ms for Airflow's cache. */
    cachedMs: number | null;
    /** Without the cache, in real time after the store's write. */
    uncachedMs: number | null;
  };
}
