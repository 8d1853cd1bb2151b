/**
 * A correct backend certified from the outside meets exactly what the reference target meets: our
 * reference Vault and Secrets Manager backends, loaded as custom modules and served as commands
 * (`secrets-conformance serve`), run the same cases as vault-kv2 and aws-sm (auth scenarios,
 * failover, request budgets and the family's own suites included) and pass them all.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CaseReport } from '../reports/model';
import { onlyRunDir, readRunReport, runCli } from './support/run-cli';

const RUN_TIMEOUT_MS = 600_000;
const LAYOUTS = [
  { reference: 'vault-kv2', variants: ['vault-kv1'], module: 'test/fixtures/reference-modules/vault.ts', name: 'reference-vault' },
  { reference: 'aws-sm', variants: [], module: 'test/fixtures/reference-modules/aws-sm.ts', name: 'reference-aws-sm' },
] as const;

function caseKeys(cases: readonly CaseReport[], target: string, status?: CaseReport['status']): string[] {
  return cases
    .filter((c) => c.target === target && (status === undefined || c.status === status))
    .map((c) => `${c.suite} › ${c.case}`)
    .sort();
}

describe('the reference backends, certified as custom backends', () => {
  it('as modules and as commands they run every case their reference target runs, and pass', { timeout: RUN_TIMEOUT_MS }, async () => {
    const reports = mkdtempSync(join(tmpdir(), 'reference-as-custom-'));
    const args = LAYOUTS.flatMap((layout) => [
      `--backend=${[layout.reference, ...layout.variants].join(',')}`,
      `--backend=./${layout.module}`,
      `--backend-command=node bin/secrets-conformance.js serve --module ${layout.module}`,
    ]);
    const run = await runCli(['test', ...args, `--reports-dir=${reports}`], {}, RUN_TIMEOUT_MS);
    expect(run.code, run.stderr).toBe(0);
    const report = await readRunReport(await onlyRunDir(reports));
    for (const layout of LAYOUTS) {
      const expected = caseKeys(report.cases, layout.reference, 'pass');
      expect(expected.length, `${layout.reference} passed cases`).toBeGreaterThan(100);
      // The family's own suites, the auth scenarios and the network faults are among them.
      for (const suite of ['auth', 'failover', 'request-budget'])
        expect(
          expected.some((key) => key.startsWith(`${suite} ›`)),
          suite,
        ).toBe(true);
      for (const target of [`custom:${layout.name}`, `custom:${layout.name}-2`]) {
        expect(caseKeys(report.cases, target, 'pass'), `${target} passes what ${layout.reference} passes`).toEqual(expected);
        expect(caseKeys(report.cases, target, 'fail'), `${target} fails nothing`).toEqual([]);
        // Each variant of the layout's store (a KV v1 mount) is certified as its reference target is.
        for (const variant of layout.variants) {
          expect(caseKeys(report.cases, `${target}@${variant}`, 'pass'), `${target}@${variant}`).toEqual(caseKeys(report.cases, variant, 'pass'));
          expect(caseKeys(report.cases, `${target}@${variant}`, 'fail')).toEqual([]);
        }
      }
    }
  });
});
