/**
 * The glue of the wake-word pipeline as ONNX graphs, so that it runs inside the connection next
 * to the models: openWakeWord's mel scaling and 76-frame windows (step 8) for the embedding
 * model, and 16-embedding windows for the classifier, one output per window.
 */
import { encodeGraph } from './onnxGraph';

export const MEL_BANDS = 32;
export const WINDOW_FRAMES = 76;
export const WINDOW_STEP = 8;
export const EMBEDDING = 96;
export const CLASSIFIER_WINDOW = 16;

/** How many embedding windows `frames` mel frames give. */
export function embeddingWindows(frames: number): number {
  return Math.floor((frames - WINDOW_FRAMES) / WINDOW_STEP) + 1;
}

/**
 * mel [1,1,frames,32] → windows [n,76,32,1]: each value scaled as openWakeWord does (x/10 + 2),
 * then frames gathered into overlapping windows.
 */
export function melWindowsGraph(frames: number): Uint8Array {
  const n = embeddingWindows(frames);
  const indices = Array.from({ length: n * WINDOW_FRAMES }, (_, i) => Math.floor(i / WINDOW_FRAMES) * WINDOW_STEP + (i % WINDOW_FRAMES));
  return encodeGraph({
    name: 'mel-windows',
    inputs: [{ name: 'mel', dims: [1, 1, frames, MEL_BANDS] }],
    outputs: [{ name: 'windows', dims: [n, WINDOW_FRAMES, MEL_BANDS, 1] }],
    constants: [
      { name: 'scale', dims: [], values: Float32Array.of(0.1) },
      { name: 'offset', dims: [], values: Float32Array.of(2) },
      { name: 'frames_shape', dims: [2], values: [frames, MEL_BANDS] },
      { name: 'window_index', dims: [n, WINDOW_FRAMES], values: indices },
      { name: 'last_axis', dims: [1], values: [3] },
    ],
    nodes: [
      { op: 'Mul', inputs: ['mel', 'scale'], outputs: ['scaled'] },
      { op: 'Add', inputs: ['scaled', 'offset'], outputs: ['shifted'] },
      { op: 'Reshape', inputs: ['shifted', 'frames_shape'], outputs: ['frames'] },
      { op: 'Gather', inputs: ['frames', 'window_index'], outputs: ['gathered'], ints: { axis: 0 } },
      { op: 'Unsqueeze', inputs: ['gathered', 'last_axis'], outputs: ['windows'] },
    ],
  });
}

/**
 * embeddings [n,1,1,96] → w0 … w(m-1), each [1,16,96]: every run of 16 consecutive embeddings,
 * one output per window because the classifier takes one window at a time. Each window is its
 * own Gather: one Split with many outputs needs more storage buffers than WebGPU allows a shader.
 */
export function classifierWindowsGraph(n: number): Uint8Array {
  const m = n - CLASSIFIER_WINDOW + 1;
  const outputs = Array.from({ length: m }, (_, i) => `w${i}`);
  const windowIndex = (i: number) => Array.from({ length: CLASSIFIER_WINDOW }, (_, j) => i + j);
  return encodeGraph({
    name: 'classifier-windows',
    inputs: [{ name: 'embeddings', dims: [n, 1, 1, EMBEDDING] }],
    outputs: outputs.map((name) => ({ name, dims: [1, CLASSIFIER_WINDOW, EMBEDDING] })),
    constants: [
      { name: 'flat_shape', dims: [2], values: [n, EMBEDDING] },
      ...outputs.map((_, i) => ({ name: `index${i}`, dims: [1, CLASSIFIER_WINDOW], values: windowIndex(i) })),
    ],
    nodes: [
      { op: 'Reshape', inputs: ['embeddings', 'flat_shape'], outputs: ['flat'] },
      ...outputs.map((name, i) => ({ op: 'Gather', inputs: ['flat', `index${i}`], outputs: [name], ints: { axis: 0 } })),
    ],
  });
}
