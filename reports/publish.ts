/**
 * Puts a run's reports on disk: `<reportsRoot>/<runId>/` for the record, and a real copy in
 * `<reportsRoot>/latest/` (not a symlink: CI artefact uploads and Windows checkouts follow copies).
 */
import { cp, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildCertificate, CERTIFICATE_FILES } from './certificate';
import { renderCertificateMarkdown } from './certificate-markdown';
import { renderCertificateHtml } from './certificate-html';
import { renderJunitXml } from './junit-xml';
import { renderRunOpenMetrics } from './openmetrics';
import type { RunReport } from './model';
import { renderSummaryMarkdown } from './summary-markdown';

export const REPORT_FILES = {
  results: 'results.json',
  junit: 'junit.xml',
  summary: 'summary.md',
  servers: 'servers.json',
  certificate: CERTIFICATE_FILES.markdown,
  certificateHtml: CERTIFICATE_FILES.html,
  /** The run's figures as OpenMetrics text, for monitoring systems. */
  openMetrics: 'figures.openmetrics',
} as const;

export async function writeRunReports(report: RunReport, runDir: string): Promise<void> {
  await mkdir(runDir, { recursive: true });
  const certificate = buildCertificate(report);
  await Promise.all([
    writeFile(join(runDir, REPORT_FILES.results), `${JSON.stringify(report, null, 2)}\n`),
    writeFile(join(runDir, REPORT_FILES.junit), renderJunitXml(report)),
    writeFile(join(runDir, REPORT_FILES.summary), renderSummaryMarkdown(report)),
    writeFile(join(runDir, REPORT_FILES.certificate), renderCertificateMarkdown(certificate)),
    writeFile(join(runDir, REPORT_FILES.certificateHtml), renderCertificateHtml(certificate)),
    writeFile(join(runDir, REPORT_FILES.openMetrics), renderRunOpenMetrics(report)),
  ]);
}

/** Replaces `latest/` with a copy of `runDir`; the copy is staged beside it so readers never see half a folder. */
export async function publishLatest(reportsRoot: string, runDir: string, runId: string): Promise<string> {
  const latest = join(reportsRoot, 'latest');
  const staging = join(reportsRoot, `.latest-${runId}`);
  await rm(staging, { recursive: true, force: true });
  await cp(runDir, staging, { recursive: true });
  await rm(latest, { recursive: true, force: true });
  await rename(staging, latest);
  return latest;
}
