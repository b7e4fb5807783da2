import { createServer } from 'vite';
import { chromium } from 'playwright';
import { chromiumArgs, chromiumPath } from './chromium.mjs';

/**
 * Serves the repository with Vite, opens `path` in headless Chromium and hands the page to
 * `work`. Browser and server are closed however `work` ends. Errors in the page are printed.
 */
export async function withDemoPage(path, work) {
  const server = await createServer({ configFile: 'vite.config.ts', logLevel: 'error', server: { port: 0 } });
  await server.listen();
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    const url = new URL(path, server.resolvedUrls.local[0]).href;
    await page.goto(url);
    return await work(page);
  } finally {
    await browser.close();
    await server.close();
  }
}
