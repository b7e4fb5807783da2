import { Tensor } from 'onnxruntime-common';
import type { Feeds } from '../api/types';
import type { ModelInfo, WireTensor } from '../connections/protocol';
import { toWireTensor } from '../connections/tensorWire';
import { TensorHandle } from '../tensors/TensorHandle';

/** A call's feeds: data ready to cross, or handles of tensors kept in a connection. */
export type CallFeeds = Record<string, WireTensor | TensorHandle>;

/**
 * Feeds as a call carries them: handles as they are, tensors as a copy of their data taken now.
 * The caller may reuse its buffers as soon as `run()` returns: a call that waits in a queue, and
 * every retry of it, sends the data as it was when the call was made.
 */
export function toCallFeeds(feeds: Feeds): CallFeeds {
  const out: CallFeeds = {};
  for (const [name, feed] of Object.entries(feeds)) {
    if (feed instanceof TensorHandle) {
      out[name] = feed;
      continue;
    }
    const wire = toWireTensor(feed);
    out[name] = { ...wire, data: wire.data.slice() as typeof wire.data };
  }
  return out;
}


/** Zeros shaped from the model's inputs; unknown and symbolic dimensions become 1. */
export function zeroFeeds(info: ModelInfo | undefined): Feeds {
  const feeds: Record<string, Tensor> = {};
  for (const input of info?.inputs ?? []) {
    const dims = (input.shape ?? []).map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const type = input.type ?? 'float32';
    const size = dims.reduce((n, d) => n * d, 1);
    const data = type === 'int64' ? new BigInt64Array(size) : type === 'int32' ? new Int32Array(size) : new Float32Array(size);
    feeds[input.name] = new Tensor(type, data as Float32Array, dims);
  }
  return feeds;
}

