import { afterEach, describe, expect, it } from 'vitest';
import { Tensor } from 'onnxruntime-common';
import { createResourcePool, type ResourcePool } from '../../src/index';
import { INTERNALS } from '../../src/api/internals';
import { catalogModel } from '../../demo/models';
import { feedsFor } from './helpers';
import { delay, expectGolden, faultPool, inject, loadGolden, rejectsWith, slotOf } from './faultKit';

/** Settles within `ms`, or says it is still pending. */
async function within<T>(promise: Promise<T>, ms: number): Promise<'pending' | { ok: boolean; value?: T; error?: unknown }> {
  return Promise.race([
    promise.then((value) => ({ ok: true, value }), (error: unknown) => ({ ok: false, error })),
    delay(ms).then(() => 'pending' as const),
  ]);
}

/** A fetch whose body sends one byte and then nothing, until its signal aborts. */
const stalling: typeof fetch = async (_input, init) =>
  new Response(
    new ReadableStream({
      start(controller) {
        controller.enqueue(new Uint8Array([8]));
        init?.signal?.addEventListener('abort', () => controller.error(init.signal?.reason));
      },
    }),
  );

let pool: ResourcePool;
afterEach(() => pool?.dispose());

describe('caller mistakes only the model can see', () => {
  it('classifies an input too short for a kernel as INVALID_INPUT and counts nothing', async () => {
    pool = createResourcePool({ priority: ['wasm'] });
    const mel = catalogModel('mel');
    const handle = await pool.getModel({ type: 'audio', name: mel.id, source: mel.url });

    for (let i = 0; i < 6; i++) {
      const error = await rejectsWith(handle.run({ input: new Tensor('float32', new Float32Array(100), [1, 100]) }));
      expect(error.category).toBe('INVALID_INPUT');
    }

    expect(slotOf(pool).breaker.state).toBe('CLOSED');
    expect(slotOf(pool).errors).toBe(0);
    expect(slotOf(pool).incarnations).toBe(1);
  });

  it('turns throwing getters, proxies and odd sources into INVALID_INPUT', async () => {
    pool = createResourcePool({ priority: ['wasm'] });
    const { handle } = await loadGolden(pool);
    const throwing = { get x(): Tensor { throw new Error('getter boom'); } };
    const trap = new Proxy({}, { ownKeys() { throw new TypeError('trap'); } });

    for (const feeds of [throwing, trap]) expect((await rejectsWith(handle.run(feeds as never))).category).toBe('INVALID_INPUT');
    expect((await rejectsWith(pool.getModel({ type: 'vision', name: 'odd', source: 42 as never }))).code).toBe('INVALID_OPTIONS');
  });
});

describe('deadlines', () => {
  it('treats a timeout beyond what timers hold as no deadline', async () => {
    pool = faultPool();
    const { handle, feeds, golden } = await loadGolden(pool);

    for (let i = 0; i < 5; i++) expectGolden(await handle.run(feeds, { timeoutMs: 2 ** 31 }), golden);

    expect(slotOf(pool).breaker.state).toBe('CLOSED');
  });

  it('ends a download that stalls at the load deadline, holding no connection meanwhile', async () => {
    pool = createResourcePool({ priority: ['wasm'], fetch: stalling, loadTimeoutMs: 500 });

    const outcome = await within(pool.getModel({ type: 'vision', name: 'stall', source: '/stall.onnx' }), 5_000);

    expect(outcome).not.toBe('pending');
    expect(outcome !== 'pending' && (outcome.error as { code?: string }).code).toBe('DEADLINE_EXCEEDED');
    expect(pool.stats().connections).toEqual([]);
  });

  it('counts nothing when the call runs out of time while a replacement worker starts', async () => {
    pool = faultPool({ heartbeatIntervalMs: 100, heartbeatTimeoutMs: 1000, breaker: { resetTimeoutMs: 300 } });
    const { handle, feeds, golden } = await loadGolden(pool);
    (slotOf(pool).connection!.realm as Worker).terminate();
    while (slotOf(pool).breaker.state !== 'OPEN') await delay(50);
    await delay(400);
    const closes: string[] = [];
    pool.events.on('connection:close', (e) => closes.push(e.code));

    const error = await rejectsWith(handle.run(feeds, { timeoutMs: 100 }));

    expect([error.category, error.code, error.scope]).toEqual(['TIMEOUT', 'DEADLINE_EXCEEDED', 'caller']);
    expect(slotOf(pool).errors).toBe(0);
    expect(closes).toEqual([]);
    await delay(1500);
    expectGolden(await handle.run(feeds), golden);
  });
});

describe('disposal', () => {
  it('settles a load whose download never ends', async () => {
    pool = createResourcePool({ priority: ['wasm'], fetch: stalling });

    const loading = within(pool.getModel({ type: 'vision', name: 'stall', source: '/stall.onnx' }), 5_000);
    await delay(100);
    await pool.dispose();
    const outcome = await loading;

    expect(outcome !== 'pending' && (outcome.error as { code?: string }).code).toBe('DISPOSED');
  });

  it('rejects a call in its retry backoff at once', async () => {
    pool = faultPool({ retry: { maxAttempts: 100, baseDelayMs: 5_000, maxDelayMs: 5_000 } });
    const { handle, feeds } = await loadGolden(pool);
    // Every attempt fails, so whenever dispose comes the call is in a backoff or a failing try.
    await inject(pool, { kind: 'throw', message: 'fails (injected)', times: 100 });

    const call = within(handle.run(feeds), 3_000);
    await delay(200);
    const disposedAt = performance.now();
    await pool.dispose();
    const outcome = await call;

    expect(outcome !== 'pending' && (outcome.error as { code?: string }).code).toBe('DISPOSED');
    expect(performance.now() - disposedAt).toBeLessThan(500);
  });
});

describe('sharing', () => {
  it('lets one caller abort its wait for a shared load without cancelling the other', async () => {
    pool = createResourcePool({ priority: ['wasm'] });
    const det = catalogModel('ocr-det');
    const controller = new AbortController();

    const first = rejectsWith(pool.getModel({ type: 'vision', name: det.id, source: det.url, signal: controller.signal }));
    const second = pool.getModel({ type: 'vision', name: det.id, source: det.url });
    await delay(30);
    controller.abort();

    expect((await first).code).toBe('ABORTED');
    const handle = await second;
    expect(Object.keys(await handle.run(await feedsFor('ocr-det')))).toEqual(['sigmoid_0.tmp_0']);
    expect(pool.stats().models[0]?.references).toBe(1);
  });

  it('does not take a host for hung when a caller stops waiting for its load', async () => {
    pool = faultPool({ heartbeatIntervalMs: 50, heartbeatTimeoutMs: 150 });
    const det = catalogModel('ocr-det');
    const closes: string[] = [];
    pool.events.on('connection:close', (e) => closes.push(e.code));
    await pool.getModel({ type: 'vision', name: 'first', source: catalogModel('ocr-cls').url });
    const controller = new AbortController();

    const loading = pool.getModel({ type: 'vision', name: 'second', source: det.url, signal: controller.signal }).catch(() => undefined);
    await delay(5);
    controller.abort();
    await loading;
    await delay(2_000);

    expect(closes).toEqual([]);
    expect(slotOf(pool).breaker.state).toBe('CLOSED');
  });

  it('lets calls in flight finish when their model is released, and unloads it after them', async () => {
    pool = faultPool({ retry: { maxAttempts: 4 } });
    const { handle, feeds, golden } = await loadGolden(pool);

    // Released in the same tick the calls were made: they were made first, so they finish.
    const calls = [1, 2, 3].map(() => handle.run(feeds));
    handle.release();
    for (const outputs of await Promise.all(calls)) expectGolden(outputs, golden);
    await delay(100);

    expect(slotOf(pool).errors).toBe(0);
    expect(slotOf(pool).incarnations).toBe(1);
    expect((await slotOf(pool).connection!.hostStats()).models).toEqual([]);
  });
});

describe('a restart for one call', () => {
  it('resends its siblings instead of failing them', async () => {
    pool = faultPool({ heartbeatTimeoutMs: 2_000, retry: { maxAttempts: 4, baseDelayMs: 10 } });
    const { handle, feeds, golden } = await loadGolden(pool);

    await inject(pool, { kind: 'exhaust-memory' });
    const results = await Promise.all(Array.from({ length: 8 }, () => handle.run(feeds)));

    for (const outputs of results) expectGolden(outputs, golden);
    expect(pool.health().errorCategories).toEqual({ OUT_OF_MEMORY: 1 });
    expect(slotOf(pool).breaker.state).toBe('CLOSED');
  });
});

describe('listeners', () => {
  it('keep the pool working when one throws; the error is reported like a DOM listener\'s', async () => {
    pool = faultPool({ heartbeatIntervalMs: 100, heartbeatTimeoutMs: 500 });
    const { handle, feeds } = await loadGolden(pool);
    const reported: unknown[] = [];
    const onError = (event: ErrorEvent) => {
      reported.push(event.error);
      event.preventDefault();
    };
    window.addEventListener('error', onError);
    pool.events.on('breaker:transition', () => {
      throw new Error('listener bug');
    });
    const connection = slotOf(pool).connection!;

    const call = rejectsWith(handle.run(feeds));
    (connection.realm as Worker).terminate();
    await call;
    window.removeEventListener('error', onError);

    expect(connection.state).toBe('closed');
    expect(slotOf(pool).breaker.state).toBe('OPEN');
    expect(reported.map(String)).toEqual(['Error: listener bug']);
    expect(pool[INTERNALS].slots()).toHaveLength(1);
  });
});

describe('a download aborted by the caller', () => {
  it('is a cancellation, not an incompatible model', async () => {
    pool = createResourcePool({ priority: ['wasm'], fetch: stalling });
    const controller = new AbortController();

    const loading = rejectsWith(pool.getModel({ type: 'vision', name: 's', source: '/s.onnx', signal: controller.signal }));
    await delay(50);
    controller.abort();

    expect((await loading).category).toBe('CANCELLED');
    expect(pool.stats().models).toEqual([]);
  });
});
