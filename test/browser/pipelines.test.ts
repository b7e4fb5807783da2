import { afterEach, describe, expect, it } from 'vitest';
import { createResourcePool, type ResourcePool, type TensorHandle } from '../../src/index';
import { encodeGraph } from '../../demo/onnxGraph';
import { CLIP_URL, OTHER_CLIP_URL, TEXT, catalogModel, drawTextImage, loadClip } from '../../demo/models';
import { characterAccuracy, loadOcr, readText } from '../../demo/ocrPipeline';
import { loadWakeWord, wakeWordScore } from '../../demo/wakeWordPipeline';
import { feedsFor } from './helpers';
import { expectGolden, rejectsWith, slotOf } from './faultKit';

let pool: ResourcePool;
afterEach(() => pool?.dispose());

describe('the OCR pipeline', () => {
  it('reads the text the page drew: detection, crop, angle, recognition, decoding', async () => {
    pool = createResourcePool({ priority: ['wasm'] });
    const models = await loadOcr(pool);

    for (const [text, width] of [[TEXT, 256], ['Hello World 42', 320], ['resilient inference', 400]] as const) {
      const result = await readText(models, drawTextImage(text, width, 64));
      expect(characterAccuracy(result.text, text), `read ${JSON.stringify(result.text)}`).toBeGreaterThanOrEqual(0.9);
      expect(result.boxes.length).toBeGreaterThanOrEqual(1);
    }
  });
});

describe('the wake-word pipeline', () => {
  it('scores the spoken "hey jarvis" clip clearly above a clip of other words', async () => {
    pool = createResourcePool({ priority: ['wasm'] });
    const models = await loadWakeWord(pool);

    const jarvis = await wakeWordScore(models, await loadClip(CLIP_URL));
    const other = await wakeWordScore(models, await loadClip(OTHER_CLIP_URL));

    expect(jarvis).toBeGreaterThan(0.5);
    expect(other).toBeLessThan(0.1);
  });

  it('gives the same scores with its tensors kept in the connection as with every tensor copied, and keeps nothing after', async () => {
    pool = createResourcePool({ priority: ['wasm'] });
    const models = await loadWakeWord(pool);
    const clip = await loadClip(CLIP_URL);

    const copied = await wakeWordScore(models, clip, false);
    const before = pool.stats().tensors.reused;
    const shared = await wakeWordScore(models, clip, true);
    const tensors = pool.stats().tensors;

    expect(shared).toBe(copied);
    expect(tensors.reused - before).toBe(16);
    expect(tensors.moved).toBe(0);
    expect(tensors.handles).toBe(0);
    expect(tensors.bytesKept).toBe(0);
  });
});

describe('tensor handles', () => {
  async function melHandle(p: ResourcePool) {
    const mel = catalogModel('mel');
    const handle = await p.getModel({ type: 'audio', name: mel.id, source: mel.url });
    const feeds = await feedsFor('mel');
    const copied = await handle.run(feeds);
    return { handle, feeds, copied };
  }

  it('keeps an output inside its connection and reads back exactly what a plain run returns', async () => {
    pool = createResourcePool({ priority: ['wasm'] });
    const { handle, feeds, copied } = await melHandle(pool);

    const { output } = await handle.run(feeds, { keep: ['output'] });
    const kept = output as TensorHandle;

    expect(kept.connectionId).toBe('worker-wasm-1');
    expect([...kept.dims]).toEqual([...copied.output!.dims]);
    expect(pool.stats().tensors).toMatchObject({ handles: 1, bytesKept: kept.byteLength });
    expectGolden({ output: await kept.read() }, copied);
    const first = await kept.read();
    (first.data as Float32Array).fill(0);
    expectGolden({ output: await kept.read() }, copied);
    kept.release();
    expect(pool.stats().tensors).toMatchObject({ handles: 0, bytesKept: 0 });
    expect((await rejectsWith(kept.read())).category).toBe('INVALID_INPUT');
  });

  it('moves a kept tensor\'s data once when a run on another connection needs it', async () => {
    pool = createResourcePool({ priority: ['wasm'], maxConnectionsPerBackend: 2, concurrencyPerConnection: 1 });
    const { handle, feeds } = await melHandle(pool);
    const { output } = await handle.run(feeds, { keep: ['output'] });
    const kept = output as TensorHandle;

    pool.isolateConnection('worker-wasm-1');
    const elsewhere = await pool.getModel({
      type: 'audio',
      name: 'identity-check',
      source: identityGraph(kept.dims),
    });
    const first = await elsewhere.run({ x: kept });
    const second = await elsewhere.run({ x: kept });

    expect(slotOf(pool, 'worker-wasm-2').runs).toBe(2);
    expect(pool.stats().tensors).toMatchObject({ moved: 1, reused: 0 });
    expectGolden(first, { y: await kept.read() });
    expectGolden(second, { y: await kept.read() });
  });

  it('spills the least recently used handles to the page past the budget, and they still work', async () => {
    pool = createResourcePool({ priority: ['wasm'], maxMemoryMb: 0.03 });
    const { handle, feeds, copied } = await melHandle(pool);

    const handles: TensorHandle[] = [];
    for (let i = 0; i < 3; i++) handles.push((await handle.run(feeds, { keep: ['output'] })).output as TensorHandle);
    const tensors = pool.stats().tensors;

    expect(tensors.spilled).toBe(2);
    expect(tensors.bytesKept).toBeLessThanOrEqual(tensors.budgetBytes);
    for (const kept of handles) expectGolden({ output: await kept.read() }, copied);
  });

  it('rejects reading a handle once the pool is disposed, as every later call does', async () => {
    pool = createResourcePool({ priority: ['wasm'] });
    const { handle, feeds } = await melHandle(pool);
    const kept = (await handle.run(feeds, { keep: ['output'] })).output as TensorHandle;

    await pool.dispose();

    expect((await rejectsWith(kept.read())).code).toBe('DISPOSED');
  });

  it('refuses a released handle as a feed, and keep names that are not outputs', async () => {
    pool = createResourcePool({ priority: ['wasm'] });
    const { handle, feeds } = await melHandle(pool);
    const kept = (await handle.run(feeds, { keep: ['output'] })).output as TensorHandle;
    kept.release();
    const identity = await pool.getModel({ type: 'audio', name: 'identity', source: identityGraph(kept.dims) });

    expect((await rejectsWith(identity.run({ x: kept }))).message).toMatch(/released tensor handle/);
    expect((await rejectsWith(handle.run(feeds, { keep: ['nope'] }))).message).toMatch(/keep names 'nope'/);
    expect(slotOf(pool).errors).toBe(0);
  });
});

/** An ONNX graph that returns its float input unchanged, as bytes. */
function identityGraph(dims: readonly number[]): Uint8Array {
  return encodeGraph({
    name: 'identity',
    inputs: [{ name: 'x', dims }],
    outputs: [{ name: 'y', dims }],
    constants: [],
    nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
  });
}
