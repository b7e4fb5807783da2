import { openDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import { createResourcePool, type PoolHealth, type ResourcePool } from '../../src/index';
import type { Fingerprint } from '../../src/history/records';
import { catalogModel } from '../../demo/models';
import { delay, inject, measuredRecord, record, slotOf } from './faultKit';
import { directRun, feedsFor, maxAbsDiff } from './helpers';

/**
 * History across pages: two pages of one browser context share the origin's IndexedDB and
 * BroadcastChannels, as two tabs of a site do. The first page is the test page; the second is a
 * real page opened beside it (see peerCommands.ts and fixtures/peer.ts).
 */
const PEER_URL = new URL('/test/browser/fixtures/peer.html', location.origin).href;
const cls = catalogModel('ocr-cls');

const open: { pools: ResourcePool[]; peers: string[] } = { pools: [], peers: [] };

afterEach(async () => {
  for (const id of open.peers.splice(0)) {
    await commands.peerCall(id, 'dispose', []).catch(() => undefined);
    await commands.closePeer(id);
  }
  for (const pool of open.pools.splice(0)) await pool.dispose();
});

function pagePool(options: Parameters<typeof createResourcePool>[0] = {}): ResourcePool {
  const pool = createResourcePool({ faultInjection: true, ...options });
  open.pools.push(pool);
  return pool;
}

async function peerPage(): Promise<string> {
  const id = await commands.openPeer(PEER_URL);
  open.peers.push(id);
  await commands.peerCall(id, 'create', [{}]);
  return id;
}

function peerHealth(id: string): Promise<PoolHealth> {
  return commands.peerCall(id, 'health', []) as Promise<PoolHealth>;
}

/** Runs the classifier `times` on `backend` in `pool` under `name`. */
async function measure(pool: ResourcePool, name: string, backend: 'wasm' | 'webgpu', times: number) {
  const model = await pool.getModel({ type: 'vision', name, source: cls.url, preferences: { priority: [backend] } });
  const feeds = await feedsFor('ocr-cls');
  for (let i = 0; i < times; i++) await model.run(feeds);
  return model;
}

/**
 * Crashes the first wasm worker for real (its host closes itself) and makes the call that finds
 * it gone: the breaker opens, the call is recovered on another connection.
 */
async function crashWasm(pool: ResourcePool): Promise<void> {
  const model = await measure(pool, 'text-angle', 'wasm', 1);
  await inject(pool, { kind: 'close-self' });
  await model.run(await feedsFor('ocr-cls'));
  expect(slotOf(pool).breaker.state).toBe('OPEN');
}

/** Waits until everything the pool recorded so far is in the database: batches go within a second. */
async function saved(pool: ResourcePool): Promise<void> {
  const since = Date.now();
  await until(() => {
    const { pendingWrites, lastWriteAt } = pool.health().history.storage;
    return pendingWrites === 0 && (lastWriteAt ?? 0) >= since;
  }, 3000);
}

/** Waits until `check` holds, polling; resolves with the milliseconds it took. */
async function until(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await delay(25);
  }
  return performance.now() - started;
}

describe('history shared between pages', () => {
  it("routes a second page's first call to the backend the first page measured fastest", async () => {
    const first = pagePool();
    await measure(first, 'text-angle', 'webgpu', 3);
    await measure(first, 'text-angle', 'wasm', 3);
    const figures = first.health().recommendations.vision?.measured ?? [];
    expect(figures.map((f) => f.backend).sort()).toEqual(['wasm', 'webgpu']);
    const fastest = figures[0]!;
    await saved(first);

    const second = await peerPage();
    const loaded = (await commands.peerCall(second, 'load', ['text-angle', 'ocr-cls', 'vision'])) as {
      backend: string;
      route: { order: string[]; reason: string };
    };
    // This browser's default for vision is WebGPU; the measurements override it.
    expect(loaded.backend).toBe(fastest.backend);
    expect(loaded.route.order[0]).toBe(fastest.backend);
    expect(loaded.route.reason).toMatch(/measured fastest/);

    const output = (await commands.peerCall(second, 'run', ['text-angle', 'ocr-cls', 1])) as number[];
    const direct = await directRun(cls.url, await feedsFor('ocr-cls'));
    const want = [...(Object.values(direct)[0]!.data as Float32Array)].slice(0, 8);
    expect(maxAbsDiff(output, want)).toBeLessThan(1e-4);
  });

  it('restores a breaker open in the first page, open, with its remaining time, in the second', async () => {
    const first = pagePool({ priority: ['wasm'] });
    await crashWasm(first);
    const openUntil = Date.now() + slotOf(first).breaker.retryAfterMs;
    await saved(first);

    const second = await peerPage();
    const loaded = (await commands.peerCall(second, 'load', ['text-angle', 'ocr-cls', 'vision', ['wasm', 'webgpu']])) as {
      backend: string;
    };
    const health = await peerHealth(second);
    // Both pages measure under one fingerprint, or the second would ignore the first's records.
    expect(health.history.fingerprint).toEqual(first.health().history.fingerprint);
    expect(health.history.storage.mode).toBe('indexeddb');
    expect(health.history.backends['worker:wasm']?.circuitState).toBe('OPEN');
    const restored = health.connections['worker-wasm-1'];
    expect(restored?.circuitState).toBe('OPEN');
    // The wasm connection starts distrusted; the model goes on to WebGPU meanwhile.
    expect(loaded.backend).toBe('webgpu');
    const remaining = openUntil - Date.now();
    expect(remaining).toBeGreaterThan(10_000);
    expect(Math.abs((restored?.retryAfterMs ?? 0) - remaining)).toBeLessThan(2000);
    expect(health.history.backends['worker:wasm']?.crashes).toBe(1);
  });

  it('shows a breaker trip in one page to the other within a second', async () => {
    const first = pagePool({ priority: ['wasm'] });
    const second = await peerPage();
    expect((await peerHealth(second)).history.backends['worker:wasm']).toBeUndefined();

    await crashWasm(first);
    const took = await until(
      async () => (await peerHealth(second)).history.backends['worker:wasm']?.circuitState === 'OPEN',
      1000,
    );
    expect(took).toBeLessThan(1000);
    const events = (await commands.peerCall(second, 'events', [])) as { type: string; event: { backend?: string } }[];
    expect(events.some((e) => e.type === 'history:remote' && e.event.backend === 'wasm')).toBe(true);
  });
});

describe('history written under another version', () => {
  it('is not used for routing; history of this version is', async () => {
    const probe = pagePool();
    await probe.clearHistory();
    const mine: Fingerprint = probe.health().history.fingerprint;
    expect(mine.runtime).toMatch(/^\d+\.\d+\.\d+/);
    expect(mine.browser).toBe('Chrome');
    await probe.dispose();

    const now = Date.now();
    const stale = [
      ['another-runtime', 'text', { ...mine, runtime: '1.0.0' }],
      ['another-browser', 'audio', { ...mine, browserMajor: mine.browserMajor - 1 }],
      ['another-adapter', 'multimodal', { ...mine, adapter: 'another-vendor another-gpu' }],
      ['this-version', 'vision', mine],
    ] as const;
    const db = await openDB('webaccel');
    for (const [model, modelType, fingerprint] of stale) {
      for (const [backend, ms] of [['wasm', 1], ['webgpu', 500]] as const) {
        await db.put('performance', measuredRecord(model, modelType, backend, ms, fingerprint, now - 1000));
      }
    }
    db.close();

    const pool = pagePool({ priority: ['webgpu', 'wasm'] });
    const routes: Record<string, string | undefined> = {};
    for (const [model, modelType] of stale) {
      // A model's own priority is kept as given; routing learns on the pool's.
      const handle = await pool.getModel({ type: modelType, name: model, source: cls.url, preferences: { warmup: false } });
      routes[model] = handle.backend;
    }
    expect(routes).toEqual({
      'another-runtime': 'webgpu',
      'another-browser': 'webgpu',
      'another-adapter': 'webgpu',
      'this-version': 'wasm',
    });
    expect(pool.health().history.measurements).toBe(2);
    expect(pool.health().recommendations.vision?.backend).toBe('wasm');
    expect(pool.health().recommendations.text).toBeUndefined();
  });
});

describe('history events', () => {
  it('records crashes and recent failures of this page', async () => {
    const pool = pagePool({ priority: ['wasm'] });
    const transitions = record(pool, 'breaker:transition');
    await crashWasm(pool);
    expect(transitions.map((t) => t.to)).toEqual(['OPEN']);
    const history = pool.health().history;
    expect(history.backends['worker:wasm']).toMatchObject({ trips: 1, crashes: 1, circuitState: 'OPEN' });
    expect(history.storage.mode).toBe('indexeddb');
    const failure = history.recentFailures.at(-1);
    expect(failure).toMatchObject({ backend: 'wasm', kind: 'worker', model: 'text-angle' });
    expect(['CONNECTION', 'BROWSER_CRASH']).toContain(failure?.category);

    await saved(pool);
    const db = await openDB('webaccel');
    const stored = await db.getAll('failures');
    const health = await db.get('health', 'worker:wasm');
    db.close();
    expect(stored).toContainEqual(expect.objectContaining({ code: failure?.code, backend: 'wasm' }));
    expect(health).toMatchObject({ trips: 1, crashes: 1, breaker: { state: 'OPEN' } });
  });
});
