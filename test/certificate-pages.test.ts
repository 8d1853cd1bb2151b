/** The certificate as a reader gets it: certificate.md and certificate.html, written with the run's other reports. */
import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanFolderForCanary } from '../reports/canary-scan';
import { CERTIFICATE_FILES } from '../reports/certificate';
import { renderCertificateMarkdown } from '../reports/certificate-markdown';
import { renderCertificateHtml } from '../reports/certificate-html';
import { writeRunReports } from '../reports/publish';
import { CANARY, certificate, report, vaultDown } from './support/certificate-sample';

const scratch = await mkdtemp(join(tmpdir(), 'certificate-test-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('certificate.md', () => {
  const markdown = renderCertificateMarkdown(certificate);

  it('opens with the matrix: one row per target, a verdict in words per level', () => {
    const levels = markdown.slice(markdown.indexOf('## Levels'), markdown.indexOf('## Findings'));
    const rows = levels.split('\n').filter((line) => /^\| (env|airflow:env|vault-kv2) \|/.test(line));
    expect(rows).toEqual([
      '| env | EnvironmentVariablesBackend | ✓ certified (2/2) | ✗ not certified (0/1) | – not run | – not run | – not run | 1 of 5 levels certified, 1 not certified |',
      '| airflow:env | airflow.secrets.environment_variables.EnvironmentVariablesBackend | ✗ not certified (1/2) | ✓ certified (1/1) | – not run | – not run | – not run | 1 of 5 levels certified, 1 not certified |',
      '| vault-kv2 | VaultBackend | – not run | – not run | – not run | – not run | – not run | did not run: bao is not installed; run npm run servers:install |',
    ]);
  });

  it('says what was certified: class, implementation, versions, redacted kwargs, servers', () => {
    expect(markdown).toContain("- implementation: Airflow's own class, run by Airflow through the bridge");
    expect(markdown).toContain('- versions: apache-airflow 3.3.2');
    expect(markdown).toContain('  - `connections_prefix`: `airflow-connections`');
    expect(markdown).toContain('  - `password`: `[redacted: secret-looking name]`');
    expect(markdown).toContain(`- servers: vault: unavailable (${vaultDown})`);
    expect(markdown).toContain('- servers: none: embedded (the backend runs in this process)');
    expect(markdown).toContain('- kwargs: not declared');
    expect(markdown).toContain('- kwargs: none');
  });

  it('lists every case with pass, fail or not run and the reason, escaping table syntax', () => {
    expect(markdown).toContain('| retrieval | reads a config value | not run | not run: env does not declare config: no get_config |');
    expect(markdown).toContain('| caching | expires after the TTL | fail | AssertionError: variable "k": still cached after 61 s |');
    expect(markdown).toContain('| formats | reads <b>JSON</b> \\| pipes | pass | §1 the formats rule for reads <b>JSON</b> \\| pipes |');
    expect(markdown).toContain(`#### Core: – not run\n\n${vaultDown}`);
  });
});

describe('certificate.html', () => {
  const html = renderCertificateHtml(certificate);

  it('is one self-contained page: inline style, no script, nothing fetched', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|url\(|@import/i);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('escapes text from the model', () => {
    expect(html).toContain('reads &lt;b&gt;JSON&lt;/b&gt; | pipes');
    expect(html).not.toContain('<b>JSON</b>');
  });

  it('labels every verdict cell in words as well as colour', () => {
    const cells = [...html.matchAll(/<td class="verdict ([a-z-]+)"[^>]*><span class="label">([^<]*)<\/span>/g)].map((m) => [m[1], m[2]]);
    expect(cells).toHaveLength(15);
    for (const [verdict, label] of cells) {
      expect(label).toBe({ certified: '✓ certified', 'not-certified': '✗ not certified', 'not-run': '– not run' }[verdict ?? '']);
    }
  });
});

describe('the certificate files of a run', () => {
  it('are written with the other reports, and the canary scan reads them', async () => {
    const runDir = join(scratch, 'run-1');
    await writeRunReports(report, runDir);
    const files = (await readdir(runDir)).sort();
    expect(files).toEqual(expect.arrayContaining([CERTIFICATE_FILES.markdown, CERTIFICATE_FILES.html]));
    expect(await readFile(join(runDir, CERTIFICATE_FILES.markdown), 'utf8')).toBe(renderCertificateMarkdown(certificate));
    expect(await readFile(join(runDir, CERTIFICATE_FILES.html), 'utf8')).toBe(renderCertificateHtml(certificate));

    const clean = await scanFolderForCanary(runDir, CANARY);
    expect(clean).toEqual({ scannedFiles: files.length, findings: [] });
    // A writer that leaked a value into either certificate file would be caught.
    await appendFile(join(runDir, CERTIFICATE_FILES.html), `<!-- ${CANARY} -->`);
    await appendFile(join(runDir, CERTIFICATE_FILES.markdown), CANARY.toUpperCase());
    expect((await scanFolderForCanary(runDir, CANARY)).findings).toEqual([
      { source: CERTIFICATE_FILES.html, occurrences: 1 },
      { source: CERTIFICATE_FILES.markdown, occurrences: 1 },
    ]);
  });
});
