/**
 * latency.png: the chart as headless Chromium draws it, so what people see is what was checked.
 * Optional: without Chromium the SVG stands alone and the report says why there is no PNG.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

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
const RENDER_TIMEOUT_MS = 30_000;

export type PngOutcome = { readonly written: true } | { readonly written: false; readonly note: string };

export async function renderSvgToPng(svgFile: string, pngFile: string): Promise<PngOutcome> {
  if (!existsSync(CHROMIUM)) return { written: false, note: `no PNG: chromium not installed (${CHROMIUM}); run npm run servers:install` };
  try {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: RENDER_TIMEOUT_MS });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
      await page.goto(pathToFileURL(svgFile).href, { timeout: RENDER_TIMEOUT_MS });
      await page.locator('svg').screenshot({ path: pngFile, timeout: RENDER_TIMEOUT_MS });
      return { written: true };
    } finally {
      await browser.close();
    }
  } catch (error) {
    return {
      written: false,
      note: `no PNG: Chromium could not render the chart (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
    };
  }
}
