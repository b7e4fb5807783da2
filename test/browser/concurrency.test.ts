import { afterEach, describe, expect, it } from 'vitest';
import type { Tensor } from 'onnxruntime-common';
import { createResourcePool, type ResourcePool } from '../../src/index';
import { catalogModel } from '../../demo/models';
import { directRun, feedsFor } from './helpers';
import { delay, expectGolden, rejectsWith, slotOf } from './faultKit';

let pool: ResourcePool;
afterEach(() => pool?.dispose());

async function twoModels(p: ResourcePool) {
  return Promise.all(
    ['ocr-cls', 'mel'].map(async (id) => {
      const model = catalogModel(id);
      return { id, handle: await p.getModel({ type: model.type, name: id, source: model.url }), feeds: await feedsFor(id) };
    }),
  );
}

describe('runConcurrent', () => {
  it('returns for 50 mixed calls over two connections exactly what sequential calls return', async () => {
    pool = createResourcePool({ priority: ['wasm'], maxConnectionsPerBackend: 2 });
    const models = await twoModels(pool);
    const calls = Array.from({ length: 50 }, (_, i) => models[i % 2]!);
    const sequential: Record<string, Tensor>[] = [];
    for (const model of models) sequential.push(await model.handle.run(model.feeds));

    const results = await pool.runConcurrent(calls.map((m) => [m.handle, m.feeds] as const));

    expect(results).toHaveLength(50);
    results.forEach((result, i) => {
      expect(result.status).toBe('fulfilled');
      if (result.status === 'fulfilled') expectGolden(result.value, sequential[i % 2]!);
    });
    const connections = pool.stats().connections;
    expect(connections.map((c) => c.id)).toEqual(['worker-wasm-1', 'worker-wasm-2']);
    expect(connections.every((c) => c.runs > 0)).toBe(true);
  });

  it('keeps every other result when one call fails', async () => {
    pool = createResourcePool({ priority: ['wasm'] });
    const [cls] = await twoModels(pool);

    const results = await pool.runConcurrent([
      [cls!.handle, cls!.feeds],
      [cls!.handle, { wrong: cls!.feeds.x! }],
      ['not a model' as never, cls!.feeds],
      [cls!.handle, cls!.feeds],
    ]);

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(results[1]!.status === 'rejected' && results[1]!.reason.category).toBe('INVALID_INPUT');
    expect(results[2]!.status === 'rejected' && results[2]!.reason.message).toMatch(/call 2 needs a model/);
  });
});

describe('the queue', () => {
  it('turns a call away with QUEUE_FULL when the queue is full, counting it against nothing', async () => {
    pool = createResourcePool({ priority: ['wasm'], maxConnectionsPerBackend: 1, maxQueueLength: 2 });
    const det = catalogModel('ocr-det');
    const handle = await pool.getModel({ type: 'vision', name: det.id, source: det.url });
    const feeds = await feedsFor('ocr-det');

    const results = await Promise.allSettled([1, 2, 3, 4].map(() => handle.run(feeds)));

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    const reason = (results[3] as PromiseRejectedResult).reason;
    expect([reason.category, reason.code]).toEqual(['RESOURCE', 'QUEUE_FULL']);
    expect(slotOf(pool).errors).toBe(0);
    expect(slotOf(pool).breaker.state).toBe('CLOSED');
  });

  it('rejects a queued call at its deadline with TIMEOUT and frees its place', async () => {
    pool = createResourcePool({ priority: ['wasm'], maxConnectionsPerBackend: 1 });
    const det = catalogModel('ocr-det');
    const handle = await pool.getModel({ type: 'vision', name: det.id, source: det.url });
    const feeds = await feedsFor('ocr-det');

    const first = handle.run(feeds);
    const queued = rejectsWith(handle.run(feeds, { timeoutMs: 1 }));
    const error = await queued;
    await first;

    expect([error.category, error.code]).toEqual(['TIMEOUT', 'DEADLINE_EXCEEDED']);
    expect(pool.stats().queued).toBe(0);
    expect(slotOf(pool).breaker.state).toBe('CLOSED');
  });
});

describe('AbortSignal', () => {
  it('cancels a call while it waits in the queue', async () => {
    pool = createResourcePool({ priority: ['wasm'], maxConnectionsPerBackend: 1 });
    const det = catalogModel('ocr-det');
    const handle = await pool.getModel({ type: 'vision', name: det.id, source: det.url });
    const feeds = await feedsFor('ocr-det');
    const controller = new AbortController();

    const first = handle.run(feeds);
    const queued = rejectsWith(handle.run(feeds, { signal: controller.signal }));
    await delay(1);
    expect(pool.stats().queued).toBe(1);
    controller.abort();

    expect((await queued).code).toBe('ABORTED');
    expect(pool.stats().queued).toBe(0);
    await first;
  });

  it('cancels a load in progress', async () => {
    pool = createResourcePool({ priority: ['wasm'] });
    const det = catalogModel('ocr-det');
    const controller = new AbortController();

    const loading = rejectsWith(pool.getModel({ type: 'vision', name: det.id, source: det.url, signal: controller.signal }));
    await delay(20);
    controller.abort();

    expect((await loading).category).toBe('CANCELLED');
    expect(pool.stats().models).toEqual([]);
  });

  it('discards an in-flight result and frees the connection for the next call', async () => {
    pool = createResourcePool({ priority: ['wasm'], maxConnectionsPerBackend: 1 });
    const det = catalogModel('ocr-det');
    const handle = await pool.getModel({ type: 'vision', name: det.id, source: det.url });
    const feeds = await feedsFor('ocr-det');
    const controller = new AbortController();

    const inFlight = rejectsWith(handle.run(feeds, { signal: controller.signal }));
    await delay(5);
    expect(slotOf(pool).inFlight).toBe(1);
    controller.abort();

    expect((await inFlight).code).toBe('ABORTED');
    expect(slotOf(pool).inFlight).toBe(0);
    expect(Object.keys(await handle.run(feeds))).toEqual(['sigmoid_0.tmp_0']);
    expect(slotOf(pool).errors).toBe(0);
  });
});

describe('connection lifecycle', () => {
  it('replaces a connection after recycleAfterRuns runs', async () => {
    pool = createResourcePool({ priority: ['wasm'], maxConnectionsPerBackend: 1, recycleAfterRuns: 3 });
    const [cls] = await twoModels(pool);
    const closes: string[] = [];
    pool.events.on('connection:close', (e) => closes.push(e.code));

    for (let i = 0; i < 4; i++) await cls!.handle.run(cls!.feeds);

    expect(closes).toEqual(['RECYCLED']);
    expect(slotOf(pool).incarnations).toBe(2);
    expect(slotOf(pool).breaker.state).toBe('CLOSED');
  });

  it('ends connections idle past idleTimeoutMs, keeping each backend\'s first', async () => {
    pool = createResourcePool({ priority: ['wasm'], maxConnectionsPerBackend: 2, idleTimeoutMs: 300 });
    const [cls] = await twoModels(pool);
    await pool.runConcurrent([1, 2, 3, 4].map(() => [cls!.handle, cls!.feeds] as const));
    expect(pool.stats().connections.map((c) => c.state)).toEqual(['ready', 'ready']);

    await delay(800);

    expect(pool.stats().connections.map((c) => c.state)).toEqual(['ready', 'closed']);
    expectGolden(await cls!.handle.run(cls!.feeds), await directRun(catalogModel('ocr-cls').url, cls!.feeds));
  });
});

describe('low-memory mode', () => {
  it('keeps one connection per backend, picks the smallest variant and ends idle connections with their models', async () => {
    pool = createResourcePool({ priority: ['wasm'], lowMemory: true, idleTimeoutMs: 300 });
    const cls = catalogModel('ocr-cls');
    const handle = await pool.getModel({ type: 'vision', name: cls.id, source: { fp32: '/no/such/fp32.onnx', q8: cls.url } });
    const feeds = await feedsFor('ocr-cls');

    const results = await pool.runConcurrent([1, 2, 3, 4].map(() => [handle, feeds] as const));

    expect(handle.precision).toBe('q8');
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(pool.stats().connections.map((c) => c.id)).toEqual(['worker-wasm-1']);
    await delay(800);
    expect(pool.stats().connections.map((c) => c.state)).toEqual(['closed']);
    expectGolden(await handle.run(feeds), (results[0] as { value: Record<string, Tensor> }).value);
  });
});

describe('recycling by memory', () => {
  it('replaces a connection whose WebAssembly memory passed the threshold, once its calls finish', async () => {
    pool = createResourcePool({ priority: ['wasm'], maxConnectionsPerBackend: 1, recycleAboveMemoryMb: 1, heartbeatIntervalMs: 50 });
    const [cls] = await twoModels(pool);
    const closes: string[] = [];
    pool.events.on('connection:close', (e) => closes.push(e.code));
    await delay(200);

    expectGolden(await cls!.handle.run(cls!.feeds), await cls!.handle.run(cls!.feeds));

    expect(closes[0]).toBe('RECYCLED');
    expect(slotOf(pool).incarnations).toBeGreaterThanOrEqual(2);
  });
});
