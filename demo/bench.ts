import type { Tensor } from 'onnxruntime-common';
import { createResourcePool } from '../src/index';
import { catalogModel, demoInputs } from './models';

/** One benchmark line: medians of interleaved rounds and their ratio. */
export interface BenchRow {
  model: string;
  rounds: number;
  /** `session.run` timed inside the worker: the floor. */
  directMs: number;
  /** A plain postMessage round trip to that worker, input copied, output transferred. */
  messageMs: number;
  /** `model.run` through the pool, timed on the page. */
  poolMs: number;
  /** poolMs / directMs. */
  ratio: number;
  /** poolMs / messageMs: what the pool adds over hand-written worker messaging. */
  messageRatio: number;
}

declare global {
  interface Window {
    webaccelBench?: Promise<BenchRow[]>;
  }
}

const MODELS = ['ocr-cls', 'mel', 'embedding'];
const ROUNDS = Number(new URLSearchParams(location.search).get('rounds') ?? 200);
const WARMUP = 10;

window.webaccelBench = main();

async function main(): Promise<BenchRow[]> {
  const inputs = await demoInputs();
  const rows: BenchRow[] = [];
  for (const id of MODELS) {
    const model = catalogModel(id);
    rows.push(await compare(id, model.url, await model.feeds(inputs)));
    document.querySelector('#out')!.textContent = JSON.stringify(rows, null, 2);
  }
  document.querySelector('#status')!.textContent = 'Done';
  return rows;
}

/**
 * Runs the same model and input through the pool (wall time on the page) and directly inside one
 * worker (time inside the worker), alternating in a shuffled order each round so that neither
 * side always runs first.
 */
async function compare(id: string, url: string, feeds: Record<string, Tensor>): Promise<BenchRow> {
  const pool = createResourcePool({ priority: ['wasm'] });
  const handle = await pool.getModel({ type: 'vision', name: id, source: url });
  const direct = await DirectWorker.start(url, feeds);
  const timed = (work: () => Promise<unknown>) => async () => {
    const start = performance.now();
    await work();
    return performance.now() - start;
  };
  const sides = {
    pool: timed(() => handle.run(feeds)),
    message: timed(() => direct.runWith(feeds)),
    direct: () => direct.run(),
  };
  const times: Record<keyof typeof sides, number[]> = { pool: [], message: [], direct: [] };

  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    for (const side of shuffle(Object.keys(sides) as (keyof typeof sides)[])) {
      const ms = await sides[side]();
      if (round >= WARMUP) times[side].push(ms);
    }
  }
  direct.terminate();
  await pool.dispose();

  const [poolMs, messageMs, directMs] = [median(times.pool), median(times.message), median(times.direct)];
  return {
    model: id,
    rounds: ROUNDS,
    directMs,
    messageMs,
    poolMs,
    ratio: poolMs / directMs,
    messageRatio: poolMs / messageMs,
  };
}

class DirectWorker {
  private constructor(private readonly worker: Worker) {}

  static async start(url: string, feeds: Record<string, Tensor>): Promise<DirectWorker> {
    const worker = new Worker(new URL('./directWorker.ts', import.meta.url), { type: 'module' });
    const wire = toWire(feeds);
    const loaded = next(worker);
    worker.postMessage({ type: 'load', url: new URL(url, location.href).href, feeds: wire });
    await loaded;
    return new DirectWorker(worker);
  }

  async run(): Promise<number> {
    const reply = next(this.worker);
    this.worker.postMessage({ type: 'run' });
    return ((await reply) as { ms: number }).ms;
  }

  async runWith(feeds: Record<string, Tensor>): Promise<void> {
    const reply = next(this.worker);
    this.worker.postMessage({ type: 'run-with', feeds: toWire(feeds) });
    await reply;
  }

  terminate(): void {
    this.worker.terminate();
  }
}

function toWire(feeds: Record<string, Tensor>) {
  return Object.fromEntries(
    Object.entries(feeds).map(([name, t]) => [name, { type: t.type, data: t.data, dims: t.dims }]),
  );
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function next(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    worker.addEventListener('message', (event) => resolve(event.data), { once: true });
    worker.addEventListener('error', (event) => reject(new Error(event.message)), { once: true });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
