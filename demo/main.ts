import { createResourcePool, isAccelError, type Backend, type ConnectionKind } from '../src/index';
import { CATALOG, OTHER_CLIP_URL, TEXT, demoInputs, loadClip, type CatalogModel, type DemoInputs } from './models';
import { characterAccuracy, loadOcr, readText } from './ocrPipeline';
import { loadWakeWord, wakeWordScore } from './wakeWordPipeline';
import { runDemoModel, type DemoRow } from './runDemoModel';

/** One pipeline's outcome on the demo's inputs. */
export interface PipelineOutcome {
  pipeline: string;
  backend: string;
  ms: number;
  ok: boolean;
  summary: string;
}

/** What the page publishes for the headless smoke run. */
export interface DemoReport {
  rows: DemoRow[];
  pipelines: PipelineOutcome[];
  stats: unknown;
}

declare global {
  interface Window {
    webaccelDemo?: Promise<DemoReport>;
  }
}

const BACKEND_ORDERS: readonly (readonly Backend[])[] = [['wasm'], ['webgpu']];
const FALLBACK_ORDER: readonly Backend[] = ['webnn', 'webgpu', 'wasm'];

window.webaccelDemo = main();

async function main(): Promise<DemoReport> {
  const inputs = await demoInputs();
  showTextImage(inputs.textImage);
  const pool = createResourcePool();
  const rows: DemoRow[] = [];

  const jobs: [CatalogModel, readonly Backend[], ConnectionKind][] = [
    ...BACKEND_ORDERS.flatMap((order) =>
      CATALOG.map((m): [CatalogModel, readonly Backend[], ConnectionKind] => [m, order, 'worker']),
    ),
    [CATALOG[0]!, FALLBACK_ORDER, 'worker'],
    [CATALOG[1]!, ['wasm'], 'iframe'],
  ];
  for (const [model, priority, kind] of jobs) {
    setStatus(`Running ${model.title} on ${priority.join(' → ')} in a ${kind}…`);
    const row = await runDemoModel(pool, model, priority, inputs, kind).catch((error: unknown) =>
      failedRow(model, priority, error),
    );
    rows.push(row);
    appendRow(row);
  }

  setStatus('Running the pipelines…');
  const pipelines = await runPipelines(pool, inputs);
  for (const outcome of pipelines) appendPipeline(outcome);

  const stats = pool.stats();
  document.querySelector('#stats')!.textContent = JSON.stringify(stats, null, 2);
  const passed = rows.filter((r) => r.ok).length + pipelines.filter((p) => p.ok).length;
  setStatus(`Done: ${passed} of ${rows.length + pipelines.length} runs gave the expected output.`);
  await pool.dispose();
  return { rows, pipelines, stats };
}

/** OCR on the drawn text, and the wake word on the spoken clip and on a clip of other words. */
async function runPipelines(pool: ReturnType<typeof createResourcePool>, inputs: DemoInputs): Promise<PipelineOutcome[]> {
  const timed = async (pipeline: string, work: () => Promise<{ ok: boolean; summary: string; backend: string }>) => {
    const start = performance.now();
    try {
      return { pipeline, ...(await work()), ms: performance.now() - start };
    } catch (error) {
      return { pipeline, backend: '-', ms: performance.now() - start, ok: false, summary: error instanceof Error ? error.message : String(error) };
    }
  };
  const ocr = await timed('OCR: detect → crop → angle → recognise', async () => {
    const models = await loadOcr(pool, ['wasm']);
    const { text } = await readText(models, inputs.textImage);
    const accuracy = characterAccuracy(text, TEXT);
    return { ok: accuracy >= 0.9, summary: `read "${text}" (${(accuracy * 100).toFixed(0)}% of "${TEXT}")`, backend: models.rec.backend };
  });
  const wake = await timed('wake word: mel → embedding → "hey jarvis", tensors kept', async () => {
    const models = await loadWakeWord(pool, ['wasm']);
    const jarvis = await wakeWordScore(models, inputs.clip);
    const other = await wakeWordScore(models, await loadClip(OTHER_CLIP_URL));
    return { ok: jarvis > 0.5 && other < 0.1, summary: `"hey jarvis" ${jarvis.toFixed(3)}, other words ${other.toFixed(5)}`, backend: models.mel.backend };
  });
  return [ocr, wake];
}

function appendPipeline(outcome: PipelineOutcome): void {
  const tr = document.createElement('tr');
  const cells = [outcome.pipeline, outcome.backend, fmt(outcome.ms), `${outcome.ok ? '✓' : '✗'} ${outcome.summary}`];
  cells.forEach((text, i) => {
    const td = document.createElement('td');
    td.textContent = text;
    if (i === 2) td.className = 'num';
    if (i === 3) td.className = outcome.ok ? 'ok' : 'fail';
    tr.append(td);
  });
  document.querySelector('#pipelines')!.append(tr);
}

function failedRow(model: CatalogModel, priority: readonly Backend[], error: unknown): DemoRow {
  const category = isAccelError(error) ? `${error.category}: ` : '';
  return {
    model: model.id,
    requested: priority.join(' → '),
    backend: '-',
    loadMs: Number.NaN,
    firstRunMs: Number.NaN,
    runMs: Number.NaN,
    ok: false,
    summary: `${category}${error instanceof Error ? error.message : String(error)}`,
  };
}

function showTextImage(image: DemoInputs['textImage']): void {
  const canvas = document.querySelector<HTMLCanvasElement>('#text-image')!;
  canvas.width = image.width;
  canvas.height = image.height;
  canvas.getContext('2d')!.putImageData(image, 0, 0);
}

function appendRow(row: DemoRow): void {
  const tr = document.createElement('tr');
  const cells = [
    row.model,
    row.requested,
    row.backend,
    fmt(row.loadMs),
    fmt(row.firstRunMs),
    fmt(row.runMs),
    `${row.ok ? '✓' : '✗'} ${row.summary}`,
  ];
  cells.forEach((text, i) => {
    const td = document.createElement('td');
    td.textContent = text;
    if (i >= 3 && i <= 5) td.className = 'num';
    if (i === 6) td.className = row.ok ? 'ok' : 'fail';
    tr.append(td);
  });
  document.querySelector('#rows')!.append(tr);
}

function setStatus(text: string): void {
  document.querySelector('#status')!.textContent = text;
}

function fmt(ms: number): string {
  return Number.isFinite(ms) ? ms.toFixed(1) : '-';
}
