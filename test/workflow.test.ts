import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { parse } from 'yaml';
import { runCli } from './support/run-cli';
import { CUSTOM_FAMILY } from '../targets/custom-targets';
import { buildRegistry } from '../runner/run-selection';
import { MUTANT_FAMILY } from '../targets/registry';

const knownFamilies = () => buildRegistry().familyNames();

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const WORKFLOW = join(repoRoot, '.github', 'workflows', 'conformance.yml');
const ACTIONLINT = process.env.ASC_ACTIONLINT || join(repoRoot, '.cache', 'bin', 'actionlint');
const scratch = await mkdtemp(join(tmpdir(), 'workflow-test-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

interface Step {
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}

interface Job {
  'runs-on': string;
  needs?: string;
  strategy?: { 'fail-fast'?: boolean; matrix?: Record<string, unknown> };
  steps: Step[];
}

interface Workflow {
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const workflow = parse(await readFile(WORKFLOW, 'utf8')) as Workflow;

function job(name: string): Job {
  const found = workflow.jobs[name];
  if (!found) throw new Error(`the workflow has no "${name}" job`);
  return found;
}

/** Families a CI run must certify: every registered one but the mutants and command-line backends. */
const certifiedFamilies = knownFamilies().filter((family) => family !== MUTANT_FAMILY && family !== CUSTOM_FAMILY);

function conformanceStep(j: Job): Step | undefined {
  return j.steps.find((step) => step.run?.startsWith('npm test'));
}

interface ActionlintFinding {
  message: string;
  line: number;
  kind: string;
}

function requireActionlint(context: TestContext): void {
  if (existsSync(ACTIONLINT)) return;
  const note = `not run: actionlint not installed (${ACTIONLINT}); run npm run servers:install`;
  if (process.env.CI === 'true') throw new Error(note);
  context.skip(note);
}

/**
 * actionlint's findings for one workflow file. shellcheck and pyflakes are left out: actionlint
 * uses them only when they are on PATH, so the same file would pass on one machine and not another.
 */
function actionlint(file: string): ActionlintFinding[] {
  const result = spawnSync(ACTIONLINT, ['-format', '{{json .}}', '-shellcheck=', '-pyflakes=', file], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  // 0: clean, 1: findings; anything else is actionlint itself failing.
  expect([0, 1], `actionlint exited ${result.status}: ${result.stderr}`).toContain(result.status);
  return (JSON.parse(result.stdout || '[]') as ActionlintFinding[] | null) ?? [];
}

describe('the CI workflow', () => {
  it('passes actionlint without a finding', (context) => {
    requireActionlint(context);
    const findings = actionlint(WORKFLOW);
    expect(findings.map((f) => `line ${f.line} [${f.kind}] ${f.message}`)).toEqual([]);
  });

  it('is linted for real: actionlint reports a broken copy of it', async (context) => {
    requireActionlint(context);
    const broken = join(scratch, 'broken.yml');
    const text = await readFile(WORKFLOW, 'utf8');
    await writeFile(broken, text.replace('--backend=${{ matrix.family }}', '--backend=${{ matrix.familly }}'));
    expect(actionlint(broken).map((f) => f.kind)).toContain('expression');
  });

  it('takes its family list from the registry, which names every registered family', async () => {
    expect(certifiedFamilies).toEqual(expect.arrayContaining(['env', 'local', 'vault', 'aws', 'airflow']));
    const listed = await runCli(['families', '--json'], {});
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout) as string[]).toEqual(certifiedFamilies);
    const families = job('families');
    expect(families.steps.some((step) => step.run?.includes('secrets-conformance families --json'))).toBe(true);
  });

  it('runs one Docker job per registered family, without fail-fast', () => {
    const docker = job('docker');
    expect(docker.needs).toBe('families');
    expect(docker.strategy?.['fail-fast']).toBe(false);
    expect(docker.strategy?.matrix?.family).toBe('${{ fromJSON(needs.families.outputs.list) }}');
    expect(conformanceStep(docker)?.run).toBe('npm test -- --backend=${{ matrix.family }} --provision=docker');
  });

  it('runs every registered family on the native path after installing the servers', () => {
    const native = job('native');
    const runs = native.steps.map((step) => step.run ?? '');
    expect(native.needs).toBe('families');
    expect(runs.indexOf('npm run servers:install')).toBeGreaterThanOrEqual(0);
    expect(runs.indexOf('npm run servers:install')).toBeLessThan(runs.findIndex((run) => run.startsWith('npm test')));
    expect(conformanceStep(native)?.run).toBe('npm test -- --backend=${{ needs.families.outputs.csv }} --provision=native');
  });

  it("merges the family jobs' reports into one report and certificate, failed families included", () => {
    const merge = job('merge') as unknown as {
      needs?: string;
      if?: string;
      steps: Array<{ uses?: string; run?: string; with?: Record<string, string> }>;
    };
    expect(merge.needs).toBe('docker');
    expect(merge.if).toBe('${{ !cancelled() }}');
    const download = merge.steps.find((step) => step.uses?.startsWith('actions/download-artifact@'));
    expect(download?.with).toMatchObject({ pattern: 'reports-docker-*', path: 'matrix-reports' });
    expect(merge.steps.map((step) => step.run)).toContain('npx secrets-conformance merge matrix-reports/* --out=reports/merged');
  });

  it('runs the unit tests and the typecheck', () => {
    const runs = job('unit').steps.map((step) => step.run);
    expect(runs).toEqual(expect.arrayContaining(['npm run servers:install', 'npm run typecheck', 'npx vitest run --project unit']));
  });

  it('uses Node 20, caches .cache/ keyed on the install scripts, and keeps the reports even when a run fails', () => {
    expect(workflow.env?.NODE_VERSION).toBe('20');
    for (const [name, j] of Object.entries(workflow.jobs)) {
      const node = j.steps.find((step) => step.uses?.startsWith('actions/setup-node@'));
      expect(node?.with?.['node-version'], `${name}: setup-node`).toBe('${{ env.NODE_VERSION }}');
      const caches = j.steps.filter((step) => step.uses?.startsWith('actions/cache@'));
      // The merge job installs no server: it only reads the family jobs' reports.
      if (name !== 'merge') expect(caches.length, `${name}: a .cache/ cache`).toBeGreaterThan(0);
      for (const cache of caches) {
        expect(cache.with?.path).toBe('.cache/');
        expect(cache.with?.key).toContain("hashFiles('install/**')");
      }
    }
    for (const name of ['docker', 'native']) {
      const upload = job(name).steps.find((step) => step.uses?.startsWith('actions/upload-artifact@'));
      expect(upload, `${name}: upload-artifact`).toMatchObject({ if: 'always()', with: { path: 'reports/latest/' } });
    }
  });
});
