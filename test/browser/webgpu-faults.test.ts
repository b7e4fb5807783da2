import { afterEach, describe, expect, it } from 'vitest';
import { createResourcePool, type ResourcePool } from '../../src/index';
import { INTERNALS } from '../../src/api/internals';
import { catalogModel } from '../../demo/models';
import { directRun, expectSameOutputs, feedsFor } from './helpers';
import { record, slotOf } from './faultKit';

/** WebGPU (SwiftShader) against direct onnxruntime-web on wasm. */
const TOLERANCE = 2e-3;
const mel = catalogModel('mel');

let pool: ResourcePool;
afterEach(() => pool?.dispose());

async function melOnWebGpu() {
  pool = createResourcePool({
    priority: ['webgpu', 'wasm'],
    faultInjection: true,
    retry: { maxAttempts: 4, baseDelayMs: 10 },
  });
  const handle = await pool.getModel({ type: 'audio', name: mel.id, source: mel.url });
  const feeds = await feedsFor('mel');
  const golden = await directRun(mel.url, feeds);
  expectSameOutputs(await handle.run(feeds), golden, TOLERANCE);
  return { handle, feeds, golden };
}

describe('WebGPU faults', () => {
  it('fails a run on a destroyed device as a device loss, opens the breaker, and recovers the real output', async () => {
    const { handle, feeds, golden } = await melOnWebGpu();
    const closes = record(pool, 'connection:close');
    const recoveries = record(pool, 'recovery:attempt');

    await pool[INTERNALS].injectFault('worker-webgpu-1', { kind: 'destroy-gpu-device', when: 'next-run' });
    const outputs = await handle.run(feeds);

    expectSameOutputs(outputs, golden, TOLERANCE);
    expect(slotOf(pool, 'worker-webgpu-1').breaker.state).toBe('OPEN');
    expect(closes.map((c) => [c.connectionId, c.code])).toEqual([['worker-webgpu-1', 'DEVICE_LOST']]);
    expect(recoveries.map((r) => [r.code, r.strategy])).toEqual([['DEVICE_LOST', 'another-connection']]);
    expect(pool.health().errorCategories).toEqual({ BROWSER_CRASH: 1 });
    expect(pool.stats().models[0]?.lastBackend).toBe('webgpu');
    expect(slotOf(pool, 'worker-webgpu-2').runs).toBeGreaterThanOrEqual(1);
  });

  it('classifies a GPU out-of-memory error in the run\'s error scope, never a silent success', async () => {
    const { handle, feeds, golden } = await melOnWebGpu();
    const recoveries = record(pool, 'recovery:attempt');

    await pool[INTERNALS].injectFault('worker-webgpu-1', { kind: 'gpu-out-of-memory' });
    const outputs = await handle.run(feeds);

    expectSameOutputs(outputs, golden, TOLERANCE);
    expect(recoveries.map((r) => [r.category, r.strategy])).toEqual([['OUT_OF_MEMORY', 'restart']]);
    expect(pool.health().errorCategories).toEqual({ OUT_OF_MEMORY: 1 });
  });
});

describe('a device lost while idle', () => {
  it('is reported by the host, ends the connection at once and opens its breaker', async () => {
    const { handle, feeds, golden } = await melOnWebGpu();
    const reports = record(pool, 'connection:error');

    await pool[INTERNALS].injectFault('worker-webgpu-1', { kind: 'destroy-gpu-device' });
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(reports.map((r) => r.type)).toEqual(['device-lost']);
    expect(slotOf(pool, 'worker-webgpu-1').breaker.state).toBe('OPEN');
    expectSameOutputs(await handle.run(feeds), golden, TOLERANCE);
  });
});
