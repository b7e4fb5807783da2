import { describe, expect, it } from 'vitest';
import { Tensor } from 'onnxruntime-common';
import { validateFeeds } from '../../src/model/validateFeeds';
import type { ModelInfo } from '../../src/connections/protocol';

const info: ModelInfo = {
  inputs: [
    { name: 'x', type: 'float32', shape: ['batch', 3, -1, 192] },
    { name: 'mask', type: 'int64', shape: [1] },
  ],
  outputs: [],
  loadMs: 0,
};
const x = new Tensor('float32', new Float32Array(2 * 3 * 4 * 192), [2, 3, 4, 192]);
const mask = new Tensor('int64', new BigInt64Array(1), [1]);

describe('validateFeeds', () => {
  it('accepts feeds that fit, with free symbolic and unknown dimensions', () => {
    expect(() => validateFeeds({ x, mask }, info)).not.toThrow();
  });

  it.each([
    ['an unknown name', { x, mask, extra: mask }, /Unknown input 'extra'; the model takes 'x', 'mask'/],
    ['a missing input', { x }, /Input 'mask' is missing/],
    ['a wrong type', { x, mask: new Tensor('int32', new Int32Array(1), [1]) }, /'mask' must be int64, got int32/],
    ['a wrong fixed dimension', { x: new Tensor('float32', new Float32Array(3 * 4 * 100), [1, 3, 4, 100]), mask }, /dimension 192 on axis 3/],
    ['a wrong rank', { x: new Tensor('float32', new Float32Array(3 * 192), [3, 192]), mask }, /rank 4/],
    ['a negative dimension', { x: { type: 'float32', data: new Float32Array(0), dims: [1, 3, -4, 192] }, mask }, /invalid dims/],
    ['a short data array', { x: { type: 'float32', data: new Float32Array(5), dims: [1, 3, 4, 192] }, mask }, /holds 5 elements, but its dims need 2304/],
    ['a non-tensor', { x: 5, mask }, /must be a tensor/],
    ['an array of feeds', [x, mask], /feeds must be an object/],
    ['a tensor instead of a map', x, /feeds must be an object/],
  ])('rejects %s as INVALID_INPUT', (_, feeds, message) => {
    let caught: unknown;
    try {
      validateFeeds(feeds, info);
    } catch (error) {
      caught = error;
    }
    expect((caught as { category?: string }).category).toBe('INVALID_INPUT');
    expect((caught as Error).message).toMatch(message);
  });
});
