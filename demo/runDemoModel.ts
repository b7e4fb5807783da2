import type { Backend, ConnectionKind, ResourcePool } from '../src/index';
import type { CatalogModel, DemoInputs } from './models';

/** One line of the demo's table. */
export interface DemoRow {
  model: string;
  requested: string;
  backend: string;
  loadMs: number;
  firstRunMs: number;
  /** Median of the runs after the first. */
  runMs: number;
  ok: boolean;
  summary: string;
}

const TIMED_RUNS = 3;

/**
 * Loads a catalog model with the given priority, runs it on the shared inputs and checks it.
 * The model stays loaded; the pool's disposal ends it with the rest.
 */
export async function runDemoModel(
  pool: ResourcePool,
  model: CatalogModel,
  priority: readonly Backend[],
  inputs: DemoInputs,
  connectionKind: ConnectionKind = 'worker',
): Promise<DemoRow> {
  const loadStart = performance.now();
  const handle = await pool.getModel({
    type: model.type,
    name: model.id,
    source: model.url,
    preferences: { priority, connectionKind },
  });
  const loadMs = performance.now() - loadStart;
  const feeds = await model.feeds(inputs);

  const firstStart = performance.now();
  let outputs = await handle.run(feeds);
  const firstRunMs = performance.now() - firstStart;
  const times: number[] = [];
  for (let i = 0; i < TIMED_RUNS; i++) {
    const start = performance.now();
    outputs = await handle.run(feeds);
    times.push(performance.now() - start);
  }
  const check = model.check(outputs);
  const passedOver = pool.stats().models.find((m) => m.name === model.id && m.backend === handle.backend)?.fallbacks ?? [];
  const fallbackNote = passedOver.map((f) => `${f.backend} passed over (${f.category})`).join(', ');

  return {
    model: model.id,
    requested: `${priority.join(' → ')}${connectionKind === 'iframe' ? ' (iframe)' : ''}`,
    backend: handle.backend,
    loadMs,
    firstRunMs,
    runMs: times.sort((a, b) => a - b)[TIMED_RUNS >> 1] ?? Number.NaN,
    ok: check.ok,
    summary: fallbackNote === '' ? check.summary : `${check.summary}; ${fallbackNote}`,
  };
}
