import { afterAll, describe, expect, it } from 'vitest';
import { createResourcePool, type PoolEvents } from '../../src/index';
import { CATALOG } from '../../demo/models';
import { directRun, expectSameOutputs, feedsFor } from '../browser/helpers';

const pool = createResourcePool();
afterAll(() => pool.dispose());

describe('a browser without a WebGPU adapter', () => {
  it('records one capability failure for webgpu, then runs every model on wasm without asking again', async () => {
    expect(await navigator.gpu?.requestAdapter()).toBeNull();
    const starts: PoolEvents['connection:start'][] = [];
    pool.events.on('connection:start', (e) => starts.push(e));

    for (const model of CATALOG.slice(0, 2)) {
      const handle = await pool.getModel({ type: model.type, name: model.id, source: model.url });
      const feeds = await feedsFor(model.id);

      expect(handle.backend).toBe('wasm');
      expectSameOutputs(await handle.run(feeds), await directRun(model.url, feeds), 0);
    }

    const failures = pool.stats().capabilityFailures;
    expect(failures.map((f) => [f.backend, f.category])).toEqual([
      ['webgpu', 'BROWSER_CAPABILITY'],
      ['webnn', 'BROWSER_CAPABILITY'],
    ]);
    expect(failures[0]?.message).toMatch(/requestAdapter\(\) returned no adapter/);
    expect(starts.filter((s) => s.backend === 'webgpu')).toHaveLength(1);
    expect(pool.health().connections['worker-webgpu-1']?.circuitState).toBe('CLOSED');
    expect(pool.stats().models.map((m) => m.fallbacks.map((f) => f.backend))).toEqual([['webgpu', 'webnn'], ['webgpu', 'webnn']]);
  });
});
