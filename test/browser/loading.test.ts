import { afterEach, describe, expect, it } from 'vitest';
import { createResourcePool, type PoolEvents, type ResourcePool } from '../../src/index';
import { CATALOG, catalogModel } from '../../demo/models';
import { directRun, expectSameOutputs, feedsFor } from './helpers';
import { slotOf } from './faultKit';

let pool: ResourcePool;
afterEach(() => pool?.dispose());

describe('loading', () => {
  it('reports the bytes of a download as they arrive', async () => {
    pool = createResourcePool({ priority: ['wasm'] });
    const det = catalogModel('ocr-det');
    const size = (await (await fetch(det.url)).arrayBuffer()).byteLength;
    const progress: { loaded: number; total: number | undefined }[] = [];
    const events: PoolEvents['model:progress'][] = [];
    pool.events.on('model:progress', (e) => events.push(e));

    await pool.getModel({ type: 'vision', name: det.id, source: det.url, onProgress: (p) => progress.push(p) });

    expect(progress.length).toBeGreaterThan(1);
    expect(progress.map((p) => p.loaded)).toEqual([...progress.map((p) => p.loaded)].sort((a, b) => a - b));
    expect(progress.at(-1)).toEqual({ loaded: size, total: size });
    expect(events.at(-1)).toEqual({ model: det.id, loaded: size, total: size });
  });

  it('warms a model up with one run at load, on the connection that loaded it', async () => {
    pool = createResourcePool({ priority: ['wasm'] });
    const [embedding, mel] = [catalogModel('embedding'), catalogModel('mel')];
    const warmups: PoolEvents['model:warmup'][] = [];
    pool.events.on('model:warmup', (e) => warmups.push(e));

    const zeros = await pool.getModel({ type: 'audio', name: 'zeros', source: embedding.url, preferences: { warmup: true } });
    const given = await pool.getModel({ type: 'audio', name: 'given', source: mel.url, preferences: { warmup: await feedsFor('mel') } });

    expect(warmups.map((w) => [w.model, w.error])).toEqual([['zeros', undefined], ['given', undefined]]);
    expect(pool.stats().models.map((m) => m.warmupMs !== undefined)).toEqual([true, true]);
    expect((await slotOf(pool).connection!.hostStats()).runRequests).toBe(2);
    const feeds = await feedsFor('embedding');
    expectSameOutputs(await zeros.run(feeds), await directRun(embedding.url, feeds), 0);
    expect(given.backend).toBe('wasm');
  });

  it('reports a warm-up that fails and still hands out the model', async () => {
    pool = createResourcePool({ priority: ['wasm'] });
    const mel = catalogModel('mel');
    const warmups: PoolEvents['model:warmup'][] = [];
    pool.events.on('model:warmup', (e) => warmups.push(e));

    // Zeros for [batch, samples] are one sample: too short for the spectrogram's first kernel.
    const handle = await pool.getModel({ type: 'audio', name: mel.id, source: mel.url, preferences: { warmup: true } });

    expect(warmups[0]?.error).toMatch(/Invalid input shape/);
    expect(Object.keys(await handle.run(await feedsFor('mel')))).toEqual(['output']);
    expect(slotOf(pool).errors).toBe(0);
  });

  it('loads the parts of a pipeline at once over several connections, or one by one', async () => {
    pool = createResourcePool({ priority: ['wasm'], maxConnectionsPerBackend: 3 });
    const requests = CATALOG.slice(0, 3).map((m) => ({ type: m.type, name: m.id, source: m.url }));

    const handles = await pool.getModels(requests, { parallelLoading: true });

    expect(handles.map((h) => h.name)).toEqual(requests.map((r) => r.name));
    expect(pool.stats().connections.filter((c) => c.state === 'ready').length).toBe(3);

    const sequential = createResourcePool({ priority: ['wasm'], maxConnectionsPerBackend: 3 });
    try {
      await sequential.getModels(requests.map((r) => ({ ...r, name: `${r.name}-seq` })), { parallelLoading: false });
      expect(sequential.stats().connections.filter((c) => c.state === 'ready').length).toBe(1);
    } finally {
      await sequential.dispose();
    }
  });

  it('releases the parts already loaded when another part fails', async () => {
    pool = createResourcePool({ priority: ['wasm'] });
    const cls = catalogModel('ocr-cls');

    await expect(
      pool.getModels([
        { type: 'vision', name: cls.id, source: cls.url },
        { type: 'vision', name: 'missing', source: '/no/such/model.onnx' },
      ]),
    ).rejects.toMatchObject({ code: 'MODEL_FETCH_FAILED' });
    expect(pool.stats().models).toEqual([]);
  });
});
