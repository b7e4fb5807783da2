import { afterAll, describe, expect, it } from 'vitest';
import { createResourcePool } from '../../src/index';
import { CATALOG } from '../../demo/models';
import { directRun, expectSameOutputs, feedsFor } from './helpers';

const pool = createResourcePool({ priority: ['wasm'] });
afterAll(() => pool.dispose());

describe('models on the wasm backend', () => {
  for (const model of CATALOG) {
    it(`${model.id} returns exactly what onnxruntime-web returns directly`, async () => {
      const handle = await pool.getModel({ type: model.type, name: model.id, source: model.url });
      const feeds = await feedsFor(model.id);

      const [actual, expected] = [await handle.run(feeds), await directRun(model.url, feeds)];

      expect(handle.backend).toBe('wasm');
      expectSameOutputs(actual, expected, 0);
      expect(model.check(actual).ok, model.check(actual).summary).toBe(true);
    });
  }
});
