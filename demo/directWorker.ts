/// <reference lib="webworker" />
/**
 * The benchmark's baseline: onnxruntime-web called directly inside one worker, with the run
 * timed where it happens, so the pool's overhead is everything on top of this number.
 */
import * as ort from 'onnxruntime-web/wasm';

interface WireTensor {
  type: ort.Tensor.Type;
  data: ort.Tensor.DataType;
  dims: readonly number[];
}

let session: ort.InferenceSession | undefined;
let feeds: Record<string, ort.Tensor> = {};

self.onmessage = async (event: MessageEvent) => {
  const message = event.data as
    | { type: 'load'; url: string; feeds: Record<string, WireTensor> }
    | { type: 'run' }
    | { type: 'run-with'; feeds: Record<string, WireTensor> };
  if (message.type === 'load') {
    ort.env.wasm.numThreads = 1;
    session = await ort.InferenceSession.create(message.url);
    feeds = Object.fromEntries(
      Object.entries(message.feeds).map(([name, t]) => [name, new ort.Tensor(t.type, t.data as Float32Array, t.dims)]),
    );
    self.postMessage({ type: 'loaded' });
    return;
  }
  if (message.type === 'run-with') {
    // A plain worker protocol: inputs arrive copied, outputs go back transferred.
    const given = Object.fromEntries(
      Object.entries(message.feeds).map(([name, t]) => [name, new ort.Tensor(t.type, t.data as Float32Array, t.dims)]),
    );
    const outputs = await session!.run(given);
    const wire = Object.fromEntries(
      Object.entries(outputs).map(([name, t]) => [name, { type: t.type, data: t.data, dims: t.dims }]),
    );
    const buffers = Object.values(wire).map((t) => (t.data as Float32Array).buffer as ArrayBuffer);
    self.postMessage({ type: 'ran', outputs: wire }, buffers);
    return;
  }
  const start = performance.now();
  await session!.run(feeds);
  self.postMessage({ type: 'ran', ms: performance.now() - start });
};
