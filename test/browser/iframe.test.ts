import { afterEach, describe, expect, it } from 'vitest';
import { createResourcePool, type ResourcePool } from '../../src/index';
import { CATALOG, catalogModel } from '../../demo/models';
import { directRun, expectSameOutputs, feedsFor } from './helpers';
import { delay, expectGolden, slotOf } from './faultKit';

/** The host page, with the shim vitest's browser mode needs (see the fixture). */
const hostIframeUrl = '/test/browser/fixtures/iframe-host.html';

let pool: ResourcePool;
afterEach(() => pool?.dispose());

describe('iframe connections', () => {
  it('run every model in a sandboxed iframe with the same outputs as a worker connection', async () => {
    pool = createResourcePool({ priority: ['wasm'], hostIframeUrl });

    for (const model of CATALOG) {
      const feeds = await feedsFor(model.id);
      const inFrame = await pool.getModel({ type: model.type, name: model.id, source: model.url, preferences: { connectionKind: 'iframe' } });
      const inWorker = await pool.getModel({ type: model.type, name: model.id, source: model.url, preferences: { connectionKind: 'worker' } });

      const [framed, worked] = [await inFrame.run(feeds), await inWorker.run(feeds)];

      expectGolden(framed, worked);
      expectSameOutputs(framed, await directRun(model.url, feeds), 0);
    }
    const frame = slotOf(pool, 'iframe-wasm-1').connection!.realm as HTMLIFrameElement;
    expect(frame.getAttribute('sandbox')).toBe('allow-scripts');
    expect(pool.stats().connections.map((c) => [c.id, c.kind])).toEqual([
      ['iframe-wasm-1', 'iframe'],
      ['worker-wasm-1', 'worker'],
    ]);
  });

  it('replaces an iframe removed from the page, and the call in flight is recovered in a fresh one', async () => {
    pool = createResourcePool({
      priority: ['wasm'],
      connectionKind: 'iframe',
      hostIframeUrl,
      heartbeatIntervalMs: 100,
      heartbeatTimeoutMs: 1_000,
      retry: { maxAttempts: 4, baseDelayMs: 10 },
    });
    const det = catalogModel('ocr-det');
    const handle = await pool.getModel({ type: det.type, name: det.id, source: det.url });
    const feeds = await feedsFor(det.id);
    const golden = await handle.run(feeds);
    const first = slotOf(pool, 'iframe-wasm-1').connection!;

    const call = handle.run(feeds);
    (first.realm as HTMLIFrameElement).remove();
    expectGolden(await call, golden);
    await delay(100);

    expect(first.state).toBe('closed');
    expect(document.querySelectorAll('iframe[sandbox="allow-scripts"]').length).toBe(1);
    expect(pool.stats().connections.find((c) => c.state === 'ready')?.kind).toBe('iframe');
  });

  it('leaves no iframe behind after dispose', async () => {
    pool = createResourcePool({ priority: ['wasm'], connectionKind: 'iframe', hostIframeUrl });
    const cls = catalogModel('ocr-cls');
    await pool.getModel({ type: cls.type, name: cls.id, source: cls.url });

    await pool.dispose();

    expect(document.querySelectorAll('iframe[name^="webaccel"]').length).toBe(0);
  });
});

