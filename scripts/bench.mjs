/**
 * The pool's overhead per run: the same model and input through the pool and through
 * onnxruntime-web called directly inside one worker, in shuffled interleaved rounds, printed as
 * medians and a ratio. A benchmark, not a test: it fails only if the page fails.
 */
import { withDemoPage } from './openDemo.mjs';

const rounds = Number(process.env.BENCH_ROUNDS ?? 200);

const report = await withDemoPage(`/demo/bench.html?rounds=${rounds}`, async (page) => {
  await page.waitForFunction(() => window.webaccelBench !== undefined, undefined, { timeout: 60_000 });
  return page.evaluate(() => window.webaccelBench);
});
const rows = report.overhead;

console.log(`wasm backend, one thread, ${rounds} interleaved rounds per model (medians)`);
console.table(
  rows.map((r) => ({
    model: r.model,
    'session.run in worker ms': r.directMs.toFixed(2),
    'plain postMessage ms': r.messageMs.toFixed(2),
    'through the pool ms': r.poolMs.toFixed(2),
    'pool / session.run': `${r.ratio.toFixed(2)}×`,
    'pool / postMessage': `${r.messageRatio.toFixed(2)}×`,
  })),
);

console.log(`\nthroughput: ${report.throughput[0]?.calls} calls through runConcurrent, in alternating bursts (median calls/s)`);
console.table(
  report.throughput.map((r) => ({
    model: r.model,
    'one connection (calls/s)': r.oneConnection.toFixed(1),
    'two connections (calls/s)': r.twoConnections.toFixed(1),
    'two / one': `${r.ratio.toFixed(2)}×`,
  })),
);

console.log('\npipelines: every intermediate tensor copied to the page, or kept in the connection (medians)');
console.table(
  report.pipelines.map((r) => ({
    pipeline: r.pipeline,
    backend: r.backend,
    rounds: r.rounds,
    'copied ms': r.copiedMs.toFixed(1),
    'kept ms': r.sharedMs.toFixed(1),
    'kept / copied': `${r.ratio.toFixed(2)}×`,
  })),
);
