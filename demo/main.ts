import { createResourcePool, isAccelError, type Backend } from '../src/index';
import { CATALOG, demoInputs, type CatalogModel, type DemoInputs } from './models';
import { runDemoModel, type DemoRow } from './runDemoModel';

/** What the page publishes for the headless smoke run. */
export interface DemoReport {
  rows: DemoRow[];
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

  const jobs: [CatalogModel, readonly Backend[]][] = [
    ...BACKEND_ORDERS.flatMap((order) => CATALOG.map((m): [CatalogModel, readonly Backend[]] => [m, order])),
    [CATALOG[0]!, FALLBACK_ORDER],
  ];
  for (const [model, priority] of jobs) {
    setStatus(`Running ${model.title} on ${priority.join(' → ')}…`);
    const row = await runDemoModel(pool, model, priority, inputs).catch((error: unknown) => failedRow(model, priority, error));
    rows.push(row);
    appendRow(row);
  }

  const stats = pool.stats();
  document.querySelector('#stats')!.textContent = JSON.stringify(stats, null, 2);
  setStatus(`Done: ${rows.filter((r) => r.ok).length} of ${rows.length} runs gave the expected output.`);
  await pool.dispose();
  return { rows, stats };
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
