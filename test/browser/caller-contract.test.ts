import { Tensor } from 'onnxruntime-common';
import { afterEach, describe, expect, it } from 'vitest';
import { AccelError, ErrorCategory, createResourcePool, type ResourcePool } from '../../src/index';
import { catalogModel } from '../../demo/models';
import { delay, expectGolden, faultPool, loadGolden, rejectsWith, slotOf } from './faultKit';

/**
 * What a caller may do with the pool and expect to hold: races with dispose() and release(), its
 * own buffers reused, its own mistakes and cancellations, its own listeners throwing. None of it
 * may leave a call unanswered, answer one wrongly, or count against a connection.
 */
const cls = catalogModel('ocr-cls');
const clsRequest = { type: cls.type, name: cls.id, source: cls.url } as const;
const pools: ResourcePool[] = [];

afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.dispose();
});

function track<P extends ResourcePool>(pool: P): P {
  pools.push(pool);
  return pool;
}

/**
 * The connection still answers rightly, with its breaker closed and no errors of its own: the
 * calls that failed count in the pool's `errorCategories` alone.
 */
async function expectNothingCountedAgainstTheConnection(
  pool: ResourcePool,
  answer: Promise<Record<string, Tensor>>,
  golden: Record<string, Tensor>,
  errorCategories: Record<string, number>,
): Promise<void> {
  expectGolden(await answer, golden);
  expect(slotOf(pool).breaker.state).toBe('CLOSED');
  expect(pool.health().connections['worker-wasm-1']?.errorRate).toBe(0);
  expect(pool.health().errorCategories).toEqual(errorCategories);
}

describe('a getModel pending when the pool is disposed', () => {
  it('rejects DISPOSED when dispose() runs in a model:ready listener', async () => {
    const pool = track(createResourcePool({ priority: ['wasm'] }));
    pool.events.on('model:ready', () => void pool.dispose());
    expect((await rejectsWith(pool.getModel(clsRequest))).code).toBe('DISPOSED');
  });

  it('rejects DISPOSED when dispose() runs during the warm-up', async () => {
    const pool = track(createResourcePool({ priority: ['wasm'] }));
    pool.events.on('model:ready', () => setTimeout(() => void pool.dispose(), 0));
    expect((await rejectsWith(pool.getModel({ ...clsRequest, preferences: { warmup: true } }))).code).toBe('DISPOSED');
  });

  it('rejects DISPOSED for a model already loaded, asked for again in the same tick', async () => {
    const pool = track(createResourcePool({ priority: ['wasm'] }));
    await pool.getModel(clsRequest);
    const again = rejectsWith(pool.getModel(clsRequest));
    await pool.dispose();
    expect((await again).code).toBe('DISPOSED');
  });
});

describe('feeds', () => {
  it('are taken when run() is called: a buffer reused at once does not change a queued call', async () => {
    const pool = track(faultPool({ concurrencyPerConnection: 1 }));
    const { handle, feeds, golden } = await loadGolden(pool);
    const x = feeds.x!;
    const scratch = new Float32Array(x.data as Float32Array);

    const first = handle.run(feeds);
    const second = handle.run({ x: new Tensor('float32', scratch, x.dims) });
    // The caller fills its scratch buffer with the next frame while the call waits its turn.
    scratch.fill(0.5);
    const third = handle.run({ x: new Tensor('float32', new Float32Array(x.data as Float32Array), x.dims) });
    // ...or hands it over to another thread.
    structuredClone(scratch.buffer, { transfer: [scratch.buffer] });

    for (const outputs of await Promise.all([first, second, third])) expectGolden(outputs, golden);
  });

  it('that cannot be cloned are the caller\'s mistake: INVALID_INPUT, and the breaker never opens', async () => {
    const pool = track(faultPool());
    const { handle, feeds, golden } = await loadGolden(pool);
    const x = feeds.x!;
    const data: unknown[] = Array.from(x.data as Float32Array);
    data[0] = () => 0; // passes the length check; structured clone refuses a function
    const bad = { x: { type: 'float32', dims: [...x.dims], data } as unknown as Tensor };

    for (let i = 0; i < 6; i++) {
      const error = await rejectsWith(handle.run(bad));
      expect([error.category, error.code]).toEqual([ErrorCategory.INVALID_INPUT, 'INVALID_FEEDS']);
    }
    await expectNothingCountedAgainstTheConnection(pool, handle.run(feeds), golden, { INVALID_INPUT: 6 });
  });
});

describe('a cancelled call', () => {
  it('is a cancellation even when its reason is an AccelError of another category', async () => {
    const pool = track(faultPool());
    const { handle, feeds, golden } = await loadGolden(pool);
    // A pipeline cancels its other stages with the error that failed one of them.
    const stageFailure = new AccelError('stage 1 failed', { category: ErrorCategory.CONNECTION, code: 'HEARTBEAT_MISSED' });

    for (let i = 0; i < 6; i++) {
      const controller = new AbortController();
      const call = rejectsWith(handle.run(feeds, { signal: controller.signal }));
      queueMicrotask(() => controller.abort(stageFailure));
      const error = await call;
      expect([error.category, error.code, error.cause]).toEqual([ErrorCategory.CANCELLED, 'ABORTED', stageFailure]);
    }
    await expectNothingCountedAgainstTheConnection(pool, handle.run(feeds), golden, { CANCELLED: 6 });
  });
});

describe('a caller\'s progress listener that throws', () => {
  it('is reported like a DOM listener\'s error and breaks no load another caller shares', async () => {
    const pool = track(createResourcePool({ priority: ['wasm'] }));
    const reported: unknown[] = [];
    const onError = (event: ErrorEvent) => {
      reported.push(event.error);
      event.preventDefault();
    };
    window.addEventListener('error', onError);
    try {
      const quiet = pool.getModel(clsRequest);
      const noisy = pool.getModel({
        ...clsRequest,
        onProgress: () => {
          throw new Error('a bug in the listener');
        },
      });
      const [a, b] = await Promise.all([quiet, noisy]);
      expect(a).toBe(b);
      await delay(0);
      expect(reported.length).toBeGreaterThan(0);
      expect(String(reported[0])).toMatch(/a bug in the listener/);
    } finally {
      window.removeEventListener('error', onError);
    }
  });
});
