/**
 * The console line after a run says how many report files hold the canary and which: a leak in one
 * file of many must read as one file, named, not as every file scanned.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryConsoleLine, scanFolderForCanary, type CanaryScanResult } from '../reports/canary-scan';

const canary = 'cnry0123456789abcdef';
const REPORT_FILES = ['results.json', 'junit.xml', 'summary.md', 'servers.json', 'canary.json', 'certificate.md', 'certificate.html', 'log.txt'];

let folder = '';
let scan: CanaryScanResult;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'asc-canary-line-'));
  for (const file of REPORT_FILES) await writeFile(join(folder, file), file === 'junit.xml' ? `<!-- ${canary} ${canary} -->` : 'clean\n');
  scan = await scanFolderForCanary(folder, canary);
});

afterAll(async () => {
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe('the canary console line', () => {
  it('a leak in one of eight report files is counted as one file, and that file is named', () => {
    expect(scan.scannedFiles).toBe(REPORT_FILES.length);
    const line = canaryConsoleLine({ scannedFiles: scan.scannedFiles, seededValues: 12, fileFindings: scan.findings, consoleFindings: [] });
    expect(line).toMatch(/^Canary: FOUND in 1 of 8 report files \(junit\.xml\),/);
    expect(line).toContain('(junit.xml)');
    expect(line).not.toMatch(/in 8 report files/);
    expect(line).toContain('not in the console');
    expect(line).not.toContain(canary);
  });

  it('a leak only in the console names the stream and no report file', () => {
    const line = canaryConsoleLine({
      scannedFiles: 8,
      seededValues: 12,
      fileFindings: [],
      consoleFindings: [{ source: 'console output (stderr)', occurrences: 2 }],
    });
    expect(line).toBe('Canary: FOUND in none of 8 report files, in console output (stderr) (12 canary-carrying values seeded)');
  });

  it('a clean scan keeps the line the canary test reads', () => {
    expect(canaryConsoleLine({ scannedFiles: 8, seededValues: 12, fileFindings: [], consoleFindings: [] })).toBe(
      'Canary: not found in 8 report files and the console (12 canary-carrying values seeded)',
    );
  });
});
