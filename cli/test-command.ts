/**
 * `secrets-conformance test` (what `npm test` runs) and `secrets-conformance run` (the conformance
 * suites on the embedded backends): parse our own flags, run vitest as a child process with the
 * selection in `ASC_*` variables, then judge the run: its verdict, and the canary scan of every
 * report file and of the console output.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigurationError } from '../model/errors';
import { checkExternalServers } from '../containers/external';
import { readExternalConfig, requireExternal } from '../containers/external-config';
import { distinctKinds, type ProvisioningChoice } from '../containers/servers';
import { canaryConsoleLine, scanFolderForCanary, scanTextForCanary, type CanaryFinding } from '../reports/canary-scan';
import type { RunReport } from '../reports/model';
import { resultLine } from '../reports/console-matrix';
import { publishLatest, REPORT_FILES, writeRunReports } from '../reports/publish';
import { withCanaryLeaks } from '../reports/verdict';
import { buildRegistry, isMutantTarget, selectSuites, selectTargets } from '../runner/run-selection';
import { withCustomTargets } from '../targets/custom-target-specs';
import type { TargetRegistry } from '../targets/registry';
import {
  isCi,
  isProvisioningChoice,
  isUsableCanary,
  newCanary,
  newRunId,
  readRunEnvironment,
  runEnvironmentVariables,
  type RunEnvironment,
} from '../targets/run-environment';
import { UsageError } from './usage-error';

export type RunMode = 'test' | 'run';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** `secrets-conformance run` without `--backend`: the backends that need no server. */
export const EMBEDDED_DEFAULT = ['env', 'local'] as const;
/** Far above a full run (CI allows 90 minutes), low enough that a hung run still ends. */
const RUN_DEADLINE_MS = 80 * 60_000;
/** After a forwarded Ctrl-C, how long vitest gets to stop its servers before it is killed. */
const STOP_GRACE_MS = 30_000;

const USAGE = {
  test: 'secrets-conformance test [--backend=a,b|./module.ts] [--backend-command=CMD] [--airflow-config=FILE] [--suite=x,y] [--case=TEXT] [--provision=auto|docker|native|external] [--reports-dir=DIR]',
  run: 'secrets-conformance run [--backend=a,b|./module.ts] [--backend-command=CMD] [--airflow-config=FILE] [--suite=x,y] [--case=TEXT] [--provision=auto|docker|native|external] [--reports-dir=DIR]',
};

const HELP = `
  --backend=a,b      targets or families to certify (default: test = every target but the mutants,
                     plus the unit tests; run = ${EMBEDDED_DEFAULT.join(',')}); a path (./my-backend.ts) is
                     your own backend module
  --backend-command=CMD  certify a command speaking bridge/PROTOCOL.md (repeatable)
  --airflow-config=FILE  certify the [secrets] backend of an airflow.cfg, on the suite's test stores
  --suite=x,y        suites to run (default: all)
  --case=TEXT        only cases whose "target › suite › case" name contains TEXT
  --provision=MODE   how servers start: auto (Docker if it answers, else local processes), docker, native;
                     external: none start, the vault and aws families are certified against the servers
                     the ASC_EXTERNAL_* variables name (docs/external-servers.md)
  --reports-dir=DIR  where <run>/ and latest/ are written (default: reports)
exit codes: 0 every executed case passed; 1 a failure, zero cases executed, a canary leak, or (CI=true)
a selected target that did not run; 2 a usage error.`;

interface ParsedFlags {
  backend: string[] | null;
  backendCommand: string[] | null;
  airflowConfig: string | null;
  suite: string[] | null;
  caseFilter: string | null;
  provision: ProvisioningChoice;
  reportsDir: string;
  help: boolean;
}

function splitList(flag: string, value: string): string[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) throw new UsageError(`--${flag} needs at least one name, e.g. --${flag}=env,local`);
  return items;
}

export function parseFlags(mode: RunMode, args: readonly string[]): ParsedFlags {
  const parsed: ParsedFlags = {
    backend: null,
    backendCommand: null,
    airflowConfig: null,
    suite: null,
    caseFilter: null,
    provision: 'auto',
    reportsDir: 'reports',
    help: false,
  };
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] ?? '';
    if (arg === '--help' || arg === '-h') {
      parsed.help = true;
      continue;
    }
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!match) throw new UsageError(`unexpected argument "${arg}"; usage: ${USAGE[mode]}`);
    const [, flag = '', inline] = match;
    const value = inline ?? args[++index];
    if (!['backend', 'backend-command', 'airflow-config', 'suite', 'case', 'provision', 'reports-dir'].includes(flag)) {
      throw new UsageError(`unknown option --${flag}; usage: ${USAGE[mode]}`);
    }
    if (value === undefined || value.startsWith('--')) throw new UsageError(`--${flag} needs a value; usage: ${USAGE[mode]}`);
    if (flag === 'backend') parsed.backend = [...(parsed.backend ?? []), ...splitList(flag, value)];
    else if (flag === 'suite') parsed.suite = [...(parsed.suite ?? []), ...splitList(flag, value)];
    else if (flag === 'backend-command') parsed.backendCommand = [...(parsed.backendCommand ?? []), value];
    else if (flag === 'airflow-config') parsed.airflowConfig = value;
    else if (flag === 'case') parsed.caseFilter = value;
    else if (flag === 'reports-dir') parsed.reportsDir = value;
    else if (isProvisioningChoice(value)) parsed.provision = value;
    else throw new UsageError(`--provision must be auto, docker, native or external, not "${value}"`);
  }
  return parsed;
}

/** One line naming what exists; the many mutants are listed only when a mutant name was mistyped. */
function unknownBackendMessage(registry: TargetRegistry, item: string): string {
  const registeredTargets = registry.targets;
  const mutants = registeredTargets.filter(isMutantTarget).map((target) => target.name);
  if (item.startsWith('mutant:')) return `unknown backend "${item}"; known mutants: ${mutants.join(', ') || '(none registered)'}`;
  const known = registeredTargets.filter((target) => !isMutantTarget(target)).map((target) => target.name);
  const families = [...new Set(registeredTargets.filter((target) => !isMutantTarget(target)).map((target) => target.family))];
  const mutantHint = mutants.length > 0 ? `; and ${mutants.length} mutants (mutant:<name>, listed by --backend=mutant:?)` : '';
  return `unknown backend "${item}"; known targets: ${known.join(', ')}; families: ${families.join(', ')}${mutantHint}`;
}

/** Names and families in, target names out; an unknown name is a usage error listing what exists. */
export function resolveBackendSelection(registry: TargetRegistry, selection: readonly string[]): string[] {
  const names: string[] = [];
  for (const item of selection) {
    try {
      for (const target of selectTargets(registry, [item])) if (!names.includes(target.name)) names.push(target.name);
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      throw new UsageError(unknownBackendMessage(registry, item));
    }
  }
  return names;
}

export interface RunPlan {
  run: RunEnvironment;
  /** Arguments after `vitest`. */
  vitestArgs: string[];
}

export function planRun(
  mode: RunMode,
  flags: ParsedFlags,
  registry: TargetRegistry,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): RunPlan {
  const selection = flags.backend ?? (mode === 'run' ? [...EMBEDDED_DEFAULT] : registry.defaultTargets().map((target) => target.name));
  const targetNames = resolveBackendSelection(registry, selection);
  let suiteIds: string[] | null = null;
  if (flags.suite) {
    try {
      suiteIds = selectSuites(registry, flags.suite).map((suite) => suite.id);
    } catch (error) {
      if (error instanceof ConfigurationError) throw new UsageError(error.message);
      throw error;
    }
  }
  const includesUnitTests = mode === 'test' && flags.backend === null && flags.provision !== 'external';
  const runId = newRunId();
  const reportsRoot = resolve(cwd, flags.reportsDir);
  const run: RunEnvironment = {
    ...readRunEnvironment({ ASC_RUN_ID: runId, ASC_REPORT_DIR: reportsRoot }),
    targets: targetNames,
    suites: suiteIds,
    caseFilter: flags.caseFilter,
    provisioning: flags.provision,
    // A caller may fix the canary (the canary test does); otherwise every run gets a fresh one.
    canary: isUsableCanary(env.ASC_CANARY) ? env.ASC_CANARY : newCanary(),
    ci: isCi(env),
    includesUnitTests,
  };
  const vitestArgs = ['run', '--config', join(PACKAGE_ROOT, 'vitest.config.ts'), '--root', PACKAGE_ROOT];
  if (!includesUnitTests) vitestArgs.push('--project', 'conformance');
  return { run, vitestArgs };
}

/**
 * `--provision=external`: the families' external targets, on the servers the `ASC_EXTERNAL_*` variables
 * name; each must answer with the credentials given before vitest starts, or the run stops with one
 * typed line. Without `--backend`, the families that are configured.
 */
async function planExternalRun(mode: RunMode, flags: ParsedFlags): Promise<RunPlan> {
  if (flags.backendCommand || flags.airflowConfig || flags.backend?.some((item) => /[/\\]|\.[cm]?[jt]s$/.test(item))) {
    throw new UsageError(
      '--provision=external certifies the reference backends with your credentials; custom backends (a module, --backend-command, --airflow-config) run on the test stores: drop --provision=external',
    );
  }
  const config = readExternalConfig();
  const configured = [...(config.vault ? ['vault'] : []), ...(config.aws ? ['aws'] : [])];
  if (flags.backend === null && configured.length === 0) requireExternal(config, 'vault');
  const registry = buildRegistry([], true);
  const plan = planRun(mode, { ...flags, backend: flags.backend ?? configured }, registry);
  const targets = selectTargets(registry, plan.run.targets);
  await checkExternalServers(distinctKinds(targets.flatMap((target) => target.servers)));
  return plan;
}

interface ChildOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  forwarded: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: Buffer;
  stderr: Buffer;
}

/** Runs vitest in its own process group, echoing and keeping its output; Ctrl-C and SIGTERM go to the whole group. */
function runVitest(plan: RunPlan): Promise<ChildOutcome> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...runEnvironmentVariables(plan.run) };
  if (process.stdout.isTTY && env.NO_COLOR === undefined) env.FORCE_COLOR ??= '1';
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'node_modules/vitest/vitest.mjs'), ...plan.vitestArgs], {
    cwd: PACKAGE_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout.push(chunk);
    process.stdout.write(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr.push(chunk);
    process.stderr.write(chunk);
  });

  let forwarded: NodeJS.Signals | null = null;
  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  const forward = (signal: NodeJS.Signals) => {
    forwarded ??= signal;
    signalGroup(signal);
    killTimer ??= setTimeout(() => signalGroup('SIGKILL'), STOP_GRACE_MS);
  };
  const onSigint = () => forward('SIGINT');
  const onSigterm = () => forward('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  const deadline = setTimeout(() => {
    timedOut = true;
    process.stderr.write(`secrets-conformance: the run exceeded ${RUN_DEADLINE_MS / 60_000} minutes; stopping it\n`);
    forward('SIGTERM');
  }, RUN_DEADLINE_MS);

  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(deadline);
      if (killTimer) clearTimeout(killTimer);
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
      resolvePromise({ code, signal, forwarded, timedOut, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) });
    });
  });
}

async function readReport(runDir: string): Promise<RunReport | null> {
  const path = join(runDir, REPORT_FILES.results);
  if (!existsSync(path)) return null;
  return JSON.parse(await readFile(path, 'utf8')) as RunReport;
}

interface CanaryCheck {
  scannedFiles: number;
  scannedStreams: string[];
  seededValues: number;
  findings: CanaryFinding[];
  /** The console line, counting the files that hold the canary (kept out of canary.json). */
  line: string;
}

async function checkCanary(plan: RunPlan, outcome: ChildOutcome, report: RunReport | null): Promise<CanaryCheck> {
  const { canary, runDir } = plan.run;
  const files = existsSync(runDir) ? await scanFolderForCanary(runDir, canary) : { scannedFiles: 0, findings: [] };
  const fileFindings = files.findings.map((finding) => ({ ...finding, source: join(relative(process.cwd(), runDir) || '.', finding.source) }));
  const consoleFindings = [
    ...scanTextForCanary('console output (stdout)', outcome.stdout.toString('latin1'), canary),
    ...scanTextForCanary('console output (stderr)', outcome.stderr.toString('latin1'), canary),
  ];
  const seededValues = report?.canary.seededValues ?? 0;
  const line = canaryConsoleLine({ scannedFiles: files.scannedFiles, seededValues, fileFindings, consoleFindings });
  const findings = [...fileFindings, ...consoleFindings];
  return { scannedFiles: files.scannedFiles, scannedStreams: ['stdout', 'stderr'], seededValues, findings, line };
}

function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : 143;
}

export async function runConformance(mode: RunMode, args: readonly string[]): Promise<number> {
  const flags = parseFlags(mode, args);
  if (flags.help) {
    process.stdout.write(`usage: ${USAGE[mode]}\n${HELP}\n`);
    return 0;
  }
  let plan: RunPlan;
  if (flags.provision === 'external') plan = await planExternalRun(mode, flags);
  else {
    const families = buildRegistry();
    const custom = await withCustomTargets(flags, { layouts: families.layouts, targetNames: families.targets.map((target) => target.name) });
    plan = planRun(mode, custom.flags, buildRegistry(custom.specs));
  }
  const outcome = await runVitest(plan);
  const written = await readReport(plan.run.runDir);
  const canary = await checkCanary(plan, outcome, written);
  // The scan's outcome goes into every report, so a leak fails results.json, junit.xml and the certificate too.
  const report = written
    ? withCanaryLeaks(
        written,
        canary.findings.map((f) => `${f.source} (${f.occurrences}×)`),
      )
    : null;
  if (existsSync(plan.run.runDir)) {
    if (report) await writeRunReports(report, plan.run.runDir);
    const { line: _line, ...scan } = canary;
    await writeFile(join(plan.run.runDir, 'canary.json'), `${JSON.stringify(scan, null, 2)}\n`);
    await publishLatest(plan.run.reportsRoot, plan.run.runDir, plan.run.runId);
  }

  const problems: string[] = [];
  if (outcome.forwarded) problems.push(`interrupted by ${outcome.forwarded}`);
  else if (!report) problems.push(`vitest wrote no ${REPORT_FILES.results} in ${plan.run.runDir}; see its output above`);
  else if (!report.verdict.passed) problems.push(...report.verdict.problems);
  if (canary.findings.length > 0) problems.push('find the message, log or writer that prints the seeded values (canary.json names the files)');
  if (outcome.timedOut) problems.push(`the run exceeded ${RUN_DEADLINE_MS / 60_000} minutes`);
  if (report?.verdict.passed && outcome.code !== 0) problems.push(`vitest exited with code ${outcome.code ?? outcome.signal}`);

  process.stdout.write(`${canary.line}\n`);
  // The last line says what the exit code says.
  process.stdout.write(`${resultLine({ passed: problems.length === 0, executedCases: report?.verdict.executedCases ?? 0, problems })}\n`);
  if (problems.length > 0) process.stderr.write(`secrets-conformance ${mode}: FAIL: ${problems.join('; ')}\n`);
  if (outcome.forwarded) return signalExitCode(outcome.forwarded);
  return problems.length === 0 ? 0 : 1;
}

export const testCommand = (args: string[]): Promise<number> => runConformance('test', args);
export const runCommand = (args: string[]): Promise<number> => runConformance('run', args);
