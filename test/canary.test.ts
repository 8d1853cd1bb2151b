/**
 * No seeded secret value reaches a report or the console. A real run seeds values carrying a
 * known canary; afterwards every file it wrote and everything it printed are searched for it.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countCanary, scanFolderForCanary, scanTextForCanary } from '../reports/canary-scan';
import type { RunReport } from '../reports/model';
import { buildRegistry, isMutantTarget } from '../runner/run-selection';
import { onlyRunDir, readRunReport, runCli, type CliResult } from './support/run-cli';

const canary = `cnry${randomBytes(8).toString('hex')}`;
// A mutant makes cases fail, so failure messages are part of what is searched.
const mutant = buildRegistry().targets.find(isMutantTarget)?.name;
const backends = ['env', 'local-json', ...(mutant ? [mutant] : [])];

let reportsRoot = '';
let result: CliResult;
let report: RunReport;

beforeAll(async () => {
  reportsRoot = await mkdtemp(join(tmpdir(), 'asc-canary-test-'));
  result = await runCli(['test', `--backend=${backends.join(',')}`, `--reports-dir=${reportsRoot}`], { ASC_CANARY: canary, CI: 'false' });
  report = await readRunReport(await onlyRunDir(reportsRoot));
}, 240_000);

afterAll(async () => {
  if (reportsRoot) await rm(reportsRoot, { recursive: true, force: true });
});

describe('the canary check', () => {
  it('the run really seeded canary-carrying values, so a clean scan means something', async () => {
    expect(report.selection.targets).toEqual(backends);
    expect(report.verdict.executedCases).toBeGreaterThan(0);
    expect(report.canary.seededValues).toBeGreaterThan(0);
    const canaryFile = JSON.parse(await readFile(join(await onlyRunDir(reportsRoot), 'canary.json'), 'utf8')) as { seededValues: number };
    expect(canaryFile.seededValues).toBe(report.canary.seededValues);
  });

  it.runIf(mutant !== undefined)('the mutant made cases fail, so failure messages were written too', () => {
    expect(report.cases.filter((c) => c.status === 'fail' && c.target === mutant).length).toBeGreaterThan(0);
    expect(result.code).toBe(1);
  });

  it('no report file and no console output contains the canary', async () => {
    const scan = await scanFolderForCanary(reportsRoot, canary);
    // results.json, junit.xml, summary.md, servers.json, canary.json in the run folder and in latest/.
    expect(scan.scannedFiles).toBeGreaterThanOrEqual(10);
    expect(scan.findings).toEqual([]);
    expect(countCanary(result.stdout, canary)).toBe(0);
    expect(countCanary(result.stderr, canary)).toBe(0);
    expect(result.stdout).toMatch(/Canary: not found in \d+ report files/);
  });

  it('positive control: a planted occurrence is found and its file named, in any case', async () => {
    const planted = await mkdtemp(join(tmpdir(), 'asc-canary-planted-'));
    try {
      await cp(reportsRoot, planted, { recursive: true });
      const runDir = await onlyRunDir(planted);
      await appendFile(join(runDir, 'junit.xml'), `<!-- ${canary} -->`);
      await appendFile(join(runDir, 'summary.md'), `\nAIRFLOW_VAR_X=${canary.toUpperCase()}\n`);
      const scan = await scanFolderForCanary(planted, canary);
      const runName = runDir.slice(planted.length + 1);
      expect(scan.findings).toEqual([
        { source: join(runName, 'junit.xml'), occurrences: 1 },
        { source: join(runName, 'summary.md'), occurrences: 1 },
      ]);
      expect(scanTextForCanary('stdout', `value=${canary}; again ${canary}`, canary)).toEqual([{ source: 'stdout', occurrences: 2 }]);
    } finally {
      await rm(planted, { recursive: true, force: true });
    }
  });
});
