import { afterAll, describe, expect, it } from 'vitest';
import { Tensor } from 'onnxruntime-common';
import { catalogModel } from '../../demo/models';
import { directRun } from './helpers';
import { faultPool, rejectsWith, slotOf } from './faultKit';

const pool = faultPool({ retry: { maxAttempts: 4 } });
afterAll(() => pool.dispose());

describe('models that cannot load', () => {
  it('rejects a truncated download once, caches nothing, and loads the whole model afterwards', async () => {
    const cls = catalogModel('ocr-cls');
    const whole = new Uint8Array(await (await fetch(cls.url)).arrayBuffer());
    const attempts: string[] = [];
    pool.events.on('connection:start', (e) => attempts.push(e.connectionId));

    const error = await rejectsWith(pool.getModel({ type: 'vision', name: 'cls', source: whole.slice(0, whole.length >> 1) }));
    expect(attempts).toEqual(['worker-wasm-1']);
    const handle = await pool.getModel({ type: 'vision', name: 'cls', source: whole });

    expect(error.category).toBe('MODEL_INCOMPATIBLE');
    expect(error.scope).toBe('model');
    expect(pool.stats().models.map((m) => m.references)).toEqual([1]);
    expect(handle.backend).toBe('wasm');
    expect(slotOf(pool).breaker.state).toBe('CLOSED');
    expect(pool.health().recoveryAttempts).toEqual({});
  });
});

describe('NaN and Infinity inputs', () => {
  it('pass to the model unchanged, give what onnxruntime-web gives, and never count against the connection', async () => {
    const mel = catalogModel('mel');
    const handle = await pool.getModel({ type: 'audio', name: mel.id, source: mel.url });
    const samples = new Float32Array(16_000).map((_, i) => Math.sin(i / 7));
    samples[100] = Number.NaN;
    samples[200] = Number.POSITIVE_INFINITY;
    const feeds = { input: new Tensor('float32', samples, [1, samples.length]) };

    const outputs = await handle.run(feeds);
    const expected = await directRun(mel.url, feeds);

    expect([...(outputs.output!.data as Float32Array)]).toEqual([...(expected.output!.data as Float32Array)]);
    expect((outputs.output!.data as Float32Array).some(Number.isNaN)).toBe(true);
    expect(pool.health().connections['worker-wasm-1']).toMatchObject({ circuitState: 'CLOSED', errorRate: 0, healthScore: expect.any(Number) });
    expect(slotOf(pool).errors).toBe(0);
  });
});
