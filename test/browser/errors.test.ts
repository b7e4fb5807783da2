import { afterAll, describe, expect, it } from 'vitest';
import { Tensor } from 'onnxruntime-common';
import { createResourcePool, isAccelError, type AccelError } from '../../src/index';
import { INTERNALS } from '../../src/api/internals';
import { catalogModel } from '../../demo/models';
import { directRun, expectSameOutputs, feedsFor, settle } from './helpers';

const cls = catalogModel('ocr-cls');
const pool = createResourcePool({ priority: ['wasm'] });
afterAll(() => pool.dispose());

async function rejection(promise: Promise<unknown>): Promise<AccelError> {
  const outcome = await settle(promise);
  expect(outcome.ok, 'the call should reject').toBe(false);
  const error = outcome.ok ? undefined : outcome.error;
  expect(isAccelError(error), String(error)).toBe(true);
  return error as AccelError;
}

describe('invalid model bytes', () => {
  it('rejects garbage bytes as an incompatible model, without trying other backends', async () => {
    const garbage = new Uint8Array(4096).map((_, i) => (i * 131 + 7) % 251);
    const error = await rejection(
      pool.getModel({ type: 'vision', name: 'garbage', source: garbage, preferences: { priority: ['wasm', 'webgpu'] } }),
    );

    expect(error.category).toBe('MODEL_INCOMPATIBLE');
    expect(error.scope).toBe('model');
    expect(error.retryable).toBe(false);
    expect(pool.stats().models.map((m) => m.name)).not.toContain('garbage');
    expect(pool.stats().connections.map((c) => c.backend)).toEqual(['wasm']);
    expect(pool.health().connections['worker-wasm-1']?.circuitState).toBe('CLOSED');
  });

  it('rejects an HTML page served instead of a model before any connection sees it', async () => {
    const error = await rejection(pool.getModel({ type: 'vision', name: 'html', source: '/demo/index.html' }));

    expect(error.category).toBe('MODEL_INCOMPATIBLE');
    expect(error.code).toBe('INVALID_MODEL');
  });

  it('rejects a URL that answers 404 with the status in the message', async () => {
    const error = await rejection(pool.getModel({ type: 'vision', name: 'missing', source: '/no/such/model.onnx' }));

    expect(error.code).toBe('MODEL_FETCH_FAILED');
    expect(error.message).toContain('404');
  });
});

describe('caller mistakes', () => {
  const wrongFeeds: [string, () => Promise<Record<string, Tensor>>, RegExp][] = [
    ['a wrong input name', async () => ({ image: (await feedsFor('ocr-cls')).x! }), /Unknown input 'image'/],
    ['a missing input', async () => ({}), /Input 'x' is missing/],
    ['a wrong channel count', async () => ({ x: new Tensor('float32', new Float32Array(4 * 48 * 192), [1, 4, 48, 192]) }), /dimension 3 on axis 1/],
    ['a wrong rank', async () => ({ x: new Tensor('float32', new Float32Array(3 * 48 * 192), [3, 48, 192]) }), /must have rank 4/],
    ['a wrong dtype', async () => ({ x: new Tensor('int32', new Int32Array(3 * 48 * 192), [1, 3, 48, 192]) }), /must be float32, got int32/],
    ['a data length that does not fit the dims', async () => ({ x: { type: 'float32', data: new Float32Array(10), dims: [1, 3, 48, 192] } as unknown as Tensor }), /holds 10 elements/],
    ['feeds that are not an object', async () => null as unknown as Record<string, Tensor>, /feeds must be an object/],
  ];

  for (const [what, makeFeeds, message] of wrongFeeds) {
    it(`rejects ${what} as INVALID_INPUT and the connection serves the next call`, async () => {
      const handle = await pool.getModel({ type: 'vision', name: cls.id, source: cls.url });

      const error = await rejection(handle.run(await makeFeeds()));
      const feeds = await feedsFor('ocr-cls');
      const outputs = await handle.run(feeds);

      expect(error.category).toBe('INVALID_INPUT');
      expect(error.scope).toBe('caller');
      expect(error.message).toMatch(message);
      expectSameOutputs(outputs, await directRun(cls.url, feeds), 0);
      expect(pool.stats().connections.every((c) => c.errors === 0)).toBe(true);
      handle.release();
    });
  }

  it('rejects a bad timeoutMs naming the option', async () => {
    const handle = await pool.getModel({ type: 'vision', name: cls.id, source: cls.url });
    const error = await rejection(handle.run(await feedsFor('ocr-cls'), { timeoutMs: -1 }));

    expect(error.category).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/timeoutMs must be a number above 0, got -1/);
    handle.release();
  });
});

describe('handles', () => {
  it('returns the same handle for the same model and loads it once', async () => {
    const a = await pool.getModel({ type: 'vision', name: 'shared', source: cls.url });
    const b = await pool.getModel({ type: 'vision', name: 'shared', source: cls.url });

    expect(b).toBe(a);
    expect(pool.stats().models.find((m) => m.name === 'shared')?.references).toBe(2);
    a.release();
    expect(pool.stats().models.find((m) => m.name === 'shared')?.references).toBe(1);
    b.release();
    expect(pool.stats().models.find((m) => m.name === 'shared')).toBeUndefined();
    const error = await rejection(a.run(await feedsFor('ocr-cls')));
    expect(error.code).toBe('MODEL_RELEASED');
  });
});

describe('a worker terminated during a run', () => {
  it('rejects the call in flight when retries are off, and the next call runs on a fresh worker', async () => {
    const fast = createResourcePool({
      priority: ['wasm'],
      heartbeatIntervalMs: 100,
      heartbeatTimeoutMs: 500,
      retry: { maxAttempts: 1 },
      breaker: { resetTimeoutMs: 200 },
    });
    try {
      const det = catalogModel('ocr-det');
      const handle = await fast.getModel({ type: 'vision', name: det.id, source: det.url });
      const feeds = await feedsFor('ocr-det');
      const [slot] = fast[INTERNALS].slots();
      const first = slot!.connection!;

      const inFlight = settle(handle.run(feeds));
      (first.realm as Worker).terminate();
      const outcome = await inFlight;

      expect(outcome.ok).toBe(false);
      const error = outcome.ok ? undefined : (outcome.error as AccelError);
      expect(error?.category).toBe('CONNECTION');
      expect(error?.code).toBe('HEARTBEAT_MISSED');
      await new Promise((resolve) => setTimeout(resolve, 250));
      const outputs = await handle.run(feeds);
      expectSameOutputs(outputs, await directRun(det.url, feeds), 0);
      expect(slot!.connection).not.toBe(first);
      expect(slot!.incarnations).toBe(2);
    } finally {
      await fast.dispose();
    }
  });
});

describe('dispose', () => {
  it('rejects pending calls, ends the workers and refuses later calls', async () => {
    const doomed = createResourcePool({ priority: ['wasm'] });
    const det = catalogModel('ocr-det');
    const handle = await doomed.getModel({ type: 'vision', name: det.id, source: det.url });
    const feeds = await feedsFor('ocr-det');
    const connection = doomed[INTERNALS].slots()[0]!.connection;

    const pending = [settle(handle.run(feeds)), settle(handle.run(feeds)), settle(handle.run(feeds))];
    await doomed.dispose();
    const outcomes = await Promise.all(pending);

    for (const outcome of outcomes) {
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect((outcome.error as AccelError).code).toBe('DISPOSED');
    }
    expect(connection!.state).toBe('closed');
    expect(doomed.stats().connections.map((c) => c.state).filter((s) => s !== 'idle')).toEqual(['closed']);
    expect((await rejection(handle.run(feeds))).code).toBe('DISPOSED');
    expect((await rejection(doomed.getModel({ type: 'vision', name: 'x', source: det.url }))).code).toBe('DISPOSED');
  });
});
