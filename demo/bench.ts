import type { Tensor } from 'onnxruntime-common';
import { createResourcePool } from '../src/index';
import { catalogModel, demoInputs } from './models';
import { loadWakeWord, wakeWordScore } from './wakeWordPipeline';

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

/** Calls per second through one and through two connections. */
export interface ThroughputRow {
  model: string;
  calls: number;
  oneConnection: number;
  twoConnections: number;
  ratio: number;
}

/** A pipeline's time with every intermediate tensor copied to the page and with them kept. */
export interface PipelineRow {
  pipeline: string;
  backend: string;
  rounds: number;
  copiedMs: number;
  sharedMs: number;
  ratio: number;
}

/** Everything the benchmark page measured. */
export interface BenchReport {
  overhead: BenchRow[];
  throughput: ThroughputRow[];
  pipelines: PipelineRow[];
}

declare global {
  interface Window {
    webaccelBench?: Promise<BenchReport>;
  }
}

const MODELS = ['ocr-cls', 'mel', 'embedding'];
const ROUNDS = Number(new URLSearchParams(location.search).get('rounds') ?? 200);
const WARMUP = 10;

const THROUGHPUT_CALLS = Number(new URLSearchParams(location.search).get('calls') ?? 800);
const THROUGHPUT_ROUNDS = 8;
const PIPELINE_ROUNDS = Number(new URLSearchParams(location.search).get('pipelineRounds') ?? 10);

window.webaccelBench = main();

async function main(): Promise<BenchReport> {
  const inputs = await demoInputs();
  const report: BenchReport = { overhead: [], throughput: [], pipelines: [] };
  const show = () => (document.querySelector('#out')!.textContent = JSON.stringify(report, null, 2));
  for (const id of MODELS) {
    const model = catalogModel(id);
    report.overhead.push(await compare(id, model.url, await model.feeds(inputs)));
    show();
  }
  report.throughput.push(await throughput('ocr-cls', await catalogModel('ocr-cls').feeds(inputs)));
  show();
  report.pipelines.push(await wakeWordPipeline(inputs.clip));
  show();
  document.querySelector('#status')!.textContent = 'Done';
  return report;
}

/**
 * Calls per second for bursts of concurrent calls through a pool of one connection and a pool
 * of two, both alive at once and measured in alternating rounds; the medians are compared.
 * Each connection takes two calls at a time, so that its next input is there when a run ends.
 */
async function throughput(id: string, feeds: Record<string, Tensor>): Promise<ThroughputRow> {
  const model = catalogModel(id);
  const pools = await Promise.all(
    [1, 2].map(async (connections) => {
      const pool = createResourcePool({ priority: ['wasm'], maxConnectionsPerBackend: connections, concurrencyPerConnection: 2 });
      const handle = await pool.getModel({ type: model.type, name: id, source: model.url });
      await pool.runConcurrent(Array.from({ length: 16 }, () => [handle, feeds] as const));
      return { connections, pool, handle, rates: [] as number[] };
    }),
  );
  const burst = Math.max(10, Math.round(THROUGHPUT_CALLS / THROUGHPUT_ROUNDS));
  for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
    for (const side of shuffle([...pools])) {
      const start = performance.now();
      const results = await side.pool.runConcurrent(Array.from({ length: burst }, () => [side.handle, feeds] as const));
      if (results.some((r) => r.status === 'rejected')) throw new Error('a throughput call failed');
      side.rates.push(burst / ((performance.now() - start) / 1000));
    }
  }
  await Promise.all(pools.map((p) => p.pool.dispose()));
  const [one, two] = pools.map((p) => median(p.rates)) as [number, number];
  return { model: id, calls: burst * THROUGHPUT_ROUNDS, oneConnection: one, twoConnections: two, ratio: two / one };
}

/** The wake-word pipeline, copied and shared, alternating round by round. */
async function wakeWordPipeline(clip: Float32Array): Promise<PipelineRow> {
  const pool = createResourcePool({ priority: ['wasm'] });
  const models = await loadWakeWord(pool);
  await wakeWordScore(models, clip, true);
  await wakeWordScore(models, clip, false);
  const times = { copied: [] as number[], shared: [] as number[] };
  for (let round = 0; round < PIPELINE_ROUNDS; round++) {
    for (const share of shuffle([true, false])) {
      const start = performance.now();
      await wakeWordScore(models, clip, share);
      (share ? times.shared : times.copied).push(performance.now() - start);
    }
  }
  await pool.dispose();
  const [copiedMs, sharedMs] = [median(times.copied), median(times.shared)];
  return { pipeline: 'wake word', backend: 'wasm', rounds: PIPELINE_ROUNDS, copiedMs, sharedMs, ratio: sharedMs / copiedMs };
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
