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


describe('the sandbox', () => {
  it('gives an iframe host an opaque origin that reaches neither the page, nor the top window, nor IndexedDB', async () => {
    pool = createResourcePool({ priority: ['wasm'], hostIframeUrl });
    const cls = catalogModel('ocr-cls');
    await pool.getModel({ type: cls.type, name: 'framed', source: cls.url, preferences: { connectionKind: 'iframe' } });
    await pool.getModel({ type: cls.type, name: 'worked', source: cls.url, preferences: { connectionKind: 'worker' } });

    const framed = slotOf(pool, 'iframe-wasm-1').connection!.capabilities!.realm;
    const worked = slotOf(pool, 'worker-wasm-1').connection!.capabilities!.realm;

    expect(framed).toMatchObject({ origin: 'null', kind: 'window', parentReachable: false, topReachable: false });
    expect(framed.indexedDb).toMatch(/SecurityError/);
    expect(worked).toMatchObject({ origin: location.origin, kind: 'worker', indexedDb: 'available' });
  });

  it('ignores a second handshake: the host answers its page once, on the first port only', async () => {
    pool = createResourcePool({ priority: ['wasm'], connectionKind: 'iframe', hostIframeUrl });
    const cls = catalogModel('ocr-cls');
    const handle = await pool.getModel({ type: cls.type, name: cls.id, source: cls.url });
    const feeds = await feedsFor(cls.id);
    const frame = slotOf(pool, 'iframe-wasm-1').connection!.realm as HTMLIFrameElement;
    const intruder = new MessageChannel();
    const heard: unknown[] = [];
    intruder.port1.onmessage = (event) => heard.push(event.data);

    frame.contentWindow!.postMessage({ webaccel: 'hello', nonce: 'intruder-nonce-0123456789' }, '*', [intruder.port2]);
    await delay(300);

    expect(heard).toEqual([]);
    expectGolden(await handle.run(feeds), await handle.run(feeds));
  });
});
