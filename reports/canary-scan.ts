/**
 * The safety net behind "no secret value in any output": every value a case seeds carries the
 * run's canary, so after the run every report file and the captured console are searched for it.
 * A finding names the file or stream and how often, never the text around it.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

export interface CanaryFinding {
  /** A path relative to the scanned folder, or a stream name such as `console`. */
  source: string;
  occurrences: number;
}

export interface CanaryScanResult {
  scannedFiles: number;
  findings: CanaryFinding[];
}

const MAX_FILES = 20_000;
const MAX_DEPTH = 12;

/**
 * Occurrences of the canary in `text`, ignoring case: a backend that upper-cases a value (env var
 * style) still leaks it.
 */
export function countCanary(text: string, canary: string): number {
  if (canary === '') throw new RangeError('an empty canary matches everything');
  const haystack = text.toLowerCase();
  const needle = canary.toLowerCase();
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) count += 1;
  return count;
}

async function listFiles(root: string): Promise<string[]> {
  const files: string[] = [];
  const pending: { dir: string; depth: number }[] = [{ dir: root, depth: 0 }];
  while (pending.length > 0) {
    const next = pending.pop();
    if (!next) break;
    const entries = await readdir(next.dir, { withFileTypes: true });
    for (const entry of entries) {
      const path = join(next.dir, entry.name);
      if (entry.isDirectory()) {
        if (next.depth + 1 > MAX_DEPTH) throw new Error(`canary scan: ${path} is nested deeper than ${MAX_DEPTH} folders`);
        pending.push({ dir: path, depth: next.depth + 1 });
      } else if (entry.isFile()) {
        files.push(path);
        if (files.length > MAX_FILES) throw new Error(`canary scan: more than ${MAX_FILES} files under ${root}`);
      }
    }
  }
  return files.sort();
}

/** Scans every regular file under `root` (bytes read as latin1, so any encoding of ASCII matches). */
export async function scanFolderForCanary(root: string, canary: string): Promise<CanaryScanResult> {
  const files = await listFiles(root);
  const findings: CanaryFinding[] = [];
  for (const file of files) {
    const occurrences = countCanary((await readFile(file)).toString('latin1'), canary);
    if (occurrences > 0) findings.push({ source: relative(root, file), occurrences });
  }
  return { scannedFiles: files.length, findings };
}

export function scanTextForCanary(source: string, text: string, canary: string): CanaryFinding[] {
  const occurrences = countCanary(text, canary);
  return occurrences > 0 ? [{ source, occurrences }] : [];
}

/** What one run's scan found: the report files, and the console streams, searched apart. */
export interface CanaryScanSummary {
  scannedFiles: number;
  seededValues: number;
  /** Report files holding the canary (one finding per file). */
  fileFindings: readonly CanaryFinding[];
  /** Console streams holding the canary. */
  consoleFindings: readonly CanaryFinding[];
}

/**
 * The console line: how many report files hold the canary, out of how many scanned, and which, so
 * "FOUND" never reads as "in every file" (the count is of files with a finding, not files scanned).
 */
export function canaryConsoleLine(summary: CanaryScanSummary): string {
  const seeded = `(${summary.seededValues} canary-carrying values seeded)`;
  const { fileFindings, consoleFindings } = summary;
  if (fileFindings.length === 0 && consoleFindings.length === 0) {
    return `Canary: not found in ${summary.scannedFiles} report files and the console ${seeded}`;
  }
  const inFiles =
    fileFindings.length === 0
      ? `in none of ${summary.scannedFiles} report files`
      : `in ${fileFindings.length} of ${summary.scannedFiles} report files (${fileFindings.map((f) => f.source).join(', ')})`;
  const inConsole = consoleFindings.length === 0 ? 'not in the console' : `in ${consoleFindings.map((f) => f.source).join(' and ')}`;
  return `Canary: FOUND ${inFiles}, ${inConsole} ${seeded}`;
}
