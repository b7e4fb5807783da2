import { afterAll, describe, expect, it } from 'vitest';
import { createResourcePool, type PoolEvents, type TensorHandle } from '../../src/index';
import { CATALOG, CLIP_URL, loadClip } from '../../demo/models';
import { loadWakeWord, wakeWordScore } from '../../demo/wakeWordPipeline';
import { directRun, expectSameOutputs, feedsFor } from './helpers';

/** WebGPU (SwiftShader here) and WebAssembly round differently; outputs agree within this. */
const WEBGPU_TOLERANCE = 2e-3;

const pool = createResourcePool({ priority: ['webgpu'] });
afterAll(() => pool.dispose());

describe('models on the webgpu backend', () => {
  for (const model of CATALOG) {
    it(`${model.id} matches direct onnxruntime-web within ${WEBGPU_TOLERANCE}`, async () => {
      const handle = await pool.getModel({ type: model.type, name: model.id, source: model.url });
      const feeds = await feedsFor(model.id);

      const actual = await handle.run(feeds);

      expect(handle.backend).toBe('webgpu');
      expectSameOutputs(actual, await directRun(model.url, feeds), WEBGPU_TOLERANCE);
      const info = (await navigator.gpu.requestAdapter())!.info;
      expect(pool.stats().connections[0]?.adapter).toBe(`${info.vendor} ${info.architecture}`.trim());
    });
  }
});

describe('backend priority', () => {
  it('passes over WebNN with a recorded capability failure and runs on webgpu', async () => {
    const fallbacks: PoolEvents['fallback'][] = [];
    pool.events.on('fallback', (event) => fallbacks.push(event));
    const model = CATALOG[0]!;

    const handle = await pool.getModel({
      type: model.type,
      name: `${model.id}-priority`,
      source: model.url,
      preferences: { priority: ['webnn', 'webgpu', 'wasm'] },
    });
    const feeds = await feedsFor(model.id);
    const outputs = await handle.run(feeds);

    expect(handle.backend).toBe('webgpu');
    expectSameOutputs(outputs, await directRun(model.url, feeds), WEBGPU_TOLERANCE);
    const stats = pool.stats();
    const webnn = stats.capabilityFailures.find((f) => f.backend === 'webnn');
    expect(webnn?.category).toBe('BROWSER_CAPABILITY');
    expect(webnn?.message).toMatch(/webnn/i);
    const modelStats = stats.models.find((m) => m.name === `${model.id}-priority`);
    expect(modelStats?.backend).toBe('webgpu');
    expect(modelStats?.fallbacks.map((f) => f.backend)).toEqual(['webnn']);
    expect(fallbacks.map((f) => [f.failure.backend, f.next])).toEqual([['webnn', 'webgpu']]);
  });

  it('detects a missing backend once, not once per model', async () => {
    const model = CATALOG[2]!;
    const handle = await pool.getModel({
      type: model.type,
      name: model.id,
      source: model.url,
      preferences: { priority: ['webnn', 'wasm'] },
    });

    expect(handle.backend).toBe('wasm');
    const webnnConnections = pool.stats().connections.filter((c) => c.backend === 'webnn');
    expect(webnnConnections.map((c) => c.incarnations)).toEqual([1]);
    expect(pool.stats().capabilityFailures.filter((f) => f.backend === 'webnn')).toHaveLength(1);
  });
});

describe('releasing WebGPU models', () => {
  it('keeps the connection healthy when the last model is released and another is loaded', async () => {
    const own = createResourcePool({ priority: ['webgpu'] });
    try {
      const [mel, embedding] = [CATALOG[2]!, CATALOG[3]!];
      const first = await own.getModel({ type: mel.type, name: mel.id, source: mel.url });
      await first.run(await feedsFor(mel.id));
      first.release();
      await new Promise((resolve) => setTimeout(resolve, 500));

      const second = await own.getModel({ type: embedding.type, name: embedding.id, source: embedding.url });
      const feeds = await feedsFor(embedding.id);

      expectSameOutputs(await second.run(feeds), await directRun(embedding.url, feeds), WEBGPU_TOLERANCE);
      expect(own.health().connections['worker-webgpu-1']).toMatchObject({ circuitState: 'CLOSED', trips: 0 });
    } finally {
      await own.dispose();
    }
  });
});

describe('tensors kept on the GPU', () => {
  it('runs the wake-word pipeline with its intermediate tensors left in GPU buffers, scoring as on wasm', async () => {
    const clip = await loadClip(CLIP_URL);
    const models = await loadWakeWord(pool, ['webgpu']);
    const kinds: string[] = [];
    const { output } = await models.mel.run({ input: (await feedsFor('mel')).input! }, { keep: ['output'] });
    kinds.push((output as TensorHandle).location);
    (output as TensorHandle).release();

    const before = pool.stats().tensors.reused;
    const onGpu = await wakeWordScore(models, clip, true);

    const reference = createResourcePool({ priority: ['wasm'] });
    try {
      const onCpu = await wakeWordScore(await loadWakeWord(reference), clip, true);
      expect(Math.abs(onGpu - onCpu)).toBeLessThan(1e-2);
    } finally {
      await reference.dispose();
    }
    expect(kinds).toEqual(['gpu-buffer']);
    expect(pool.stats().tensors.reused - before).toBe(16);
    expect(models.mel.backend).toBe('webgpu');
  });
});
