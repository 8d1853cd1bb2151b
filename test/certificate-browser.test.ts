/** certificate.html laid out by a real browser: the matrix readable in words, nothing overflowing. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import type { Certificate } from '../reports/certificate';
import { renderCertificateHtml } from '../reports/certificate-html';
import { certificate } from './support/certificate-sample';

const scratch = await mkdtemp(join(tmpdir(), 'certificate-test-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

// The page-side callbacks below run in Chromium, where these exist; the project compiles without DOM types.
declare function getComputedStyle(element: unknown): { backgroundColor: string };
declare const document: { documentElement: { scrollWidth: number; clientWidth: number } };

const CHROMIUM = process.env.ASC_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

function requireChromium(context: TestContext): void {
  if (existsSync(CHROMIUM)) return;
  const note = `not run: chromium not installed (${CHROMIUM}); run npm run servers:install`;
  if (process.env.CI === 'true') throw new Error(note);
  context.skip(note);
}

describe('certificate.html in headless Chromium', () => {
  it('renders the matrix: one row per target, every verdict cell showing its text, nothing off-page', async (context) => {
    requireChromium(context);
    const { chromium } = await import('playwright-core');
    const page = join(scratch, 'browser-certificate.html');
    await writeFile(page, renderCertificateHtml(certificate));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await tab.goto(`file://${page}`);
      const matrix = tab.locator('table#matrix');
      await expect.poll(() => matrix.isVisible(), { timeout: 10_000 }).toBe(true);

      const rowLocator = matrix.locator(':scope > tbody > tr');
      const rows: {
        target: string | null;
        header: string;
        cells: { verdict: string | null; label: string; background: string; visible: boolean }[];
      }[] = [];
      for (let index = 0, count = await rowLocator.count(); index < count; index += 1) {
        const row = rowLocator.nth(index);
        const cellLocator = row.locator('td.verdict');
        const cells = [];
        for (let column = 0, columns = await cellLocator.count(); column < columns; column += 1) {
          const cell = cellLocator.nth(column);
          const box = await cell.boundingBox();
          cells.push({
            verdict: await cell.getAttribute('data-verdict'),
            label: (await cell.locator('.label').innerText()).trim(),
            background: await cell.evaluate((element) => getComputedStyle(element).backgroundColor),
            visible: box !== null && box.width > 0 && box.height > 0,
          });
        }
        rows.push({ target: await row.getAttribute('data-target'), header: (await row.locator('th').innerText()).trim(), cells });
      }
      expect(rows.map((row) => row.target)).toEqual(['env', 'airflow:env', 'vault-kv2']);
      expect(rows.map((row) => row.header)).toEqual(['env', 'airflow:env', 'vault-kv2']);
      const labels = { certified: '✓ certified', 'not-certified': '✗ not certified', 'not-run': '– not run' } as Record<string, string>;
      for (const row of rows) {
        expect(row.cells).toHaveLength(5);
        for (const c of row.cells) {
          expect(c.visible).toBe(true);
          expect(c.label).toBe(labels[c.verdict ?? '']);
        }
      }
      expect(rows[0]?.cells.map((c) => c.verdict)).toEqual(['certified', 'not-certified', 'not-run', 'not-run', 'not-run']);
      // Colour backs the words up: the three verdicts are painted differently.
      const backgrounds = new Set(rows.flatMap((row) => row.cells.map((c) => `${c.verdict}=${c.background}`)));
      expect(new Set([...backgrounds].map((entry) => entry.split('=')[1])).size).toBe(3);

      const overflow = await tab.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
    } finally {
      await browser.close();
    }
  });

  it('wraps a long class name inside its column instead of running over the next one', async (context) => {
    requireChromium(context);
    const { chromium } = await import('playwright-core');
    const longName = 'airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend';
    const withLongName: Certificate = {
      ...certificate,
      targets: certificate.targets.map((one) => ({ ...one, description: { ...one.description, backendClass: longName } })),
    };
    const page = join(scratch, 'browser-long-class.html');
    await writeFile(page, renderCertificateHtml(withLongName));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const tab = await browser.newPage({ viewport: { width: 900, height: 900 } });
      await tab.goto(`file://${page}`);
      const cells = tab.locator('table#matrix td.backend');
      await expect.poll(() => cells.count(), { timeout: 10_000 }).toBe(certificate.targets.length);
      for (let index = 0; index < certificate.targets.length; index += 1) {
        const cell = await cells.nth(index).boundingBox();
        const code = await cells.nth(index).locator('code').boundingBox();
        expect(cell && code, 'the backend cell and its class name are laid out').toBeTruthy();
        // The class name stays inside its own cell: it neither overflows to the right nor hides text.
        expect((code?.x ?? 0) + (code?.width ?? 0)).toBeLessThanOrEqual((cell?.x ?? 0) + (cell?.width ?? 0) + 0.5);
        const scroll = await cells
          .nth(index)
          .locator('code')
          .evaluate((element) => element.scrollWidth - element.clientWidth);
        expect(scroll).toBeLessThanOrEqual(0);
      }
    } finally {
      await browser.close();
    }
  });
});
