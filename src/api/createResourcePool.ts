import { ResourcePool } from './ResourcePool';
import type { PoolOptions } from './options';

/**
 * Creates a pool of connections that runs ONNX models on WebGPU, WebNN or WebAssembly.
 * Throws a `TypeError` or `RangeError` naming any option that cannot work.
 */
export function createResourcePool(options?: PoolOptions): ResourcePool {
  return new ResourcePool(options);
}
