import { afterAll, describe, expect, it } from 'vitest';
import type { Tensor } from 'onnxruntime-common';
import { createResourcePool, isAccelError, isErrorCategory } from '../../src/index';
import { INTERNALS } from '../../src/api/internals';
import type { HostFault } from '../../src/connections/protocol';
import { catalogModel } from '../../demo/models';
import { directRun, feedsFor } from './helpers';
import { delay, expectGolden } from './faultKit';

/** Change the seed to explore; a failure prints it, and the same seed replays the same faults. */
const SEED = 20261203;
const BATCHES = 20;
const CALLS_PER_BATCH = 10;
const RESET_MS = 500;

/** A small, seedable generator (mulberry32), so that a failing run can be replayed exactly. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const unhandled: unknown[] = [];
window.addEventListener('unhandledrejection', (event) => unhandled.push(event.reason));

const pool = createResourcePool({
  priority: ['wasm'],
  faultInjection: true,
  maxConnectionsPerBackend: 2,
  heartbeatIntervalMs: 100,
  // Long enough that a busy machine's slow answers are not taken for hangs.
  heartbeatTimeoutMs: 2_000,
  breaker: { resetTimeoutMs: RESET_MS },
  retry: { maxAttempts: 6, baseDelayMs: 5, maxDelayMs: 50 },
  runTimeoutMs: 20_000,
});
afterAll(() => pool.dispose());

describe(`chaos (seed ${SEED})`, () => {
  it(`settles ${BATCHES * CALLS_PER_BATCH} calls over two models while workers are killed, hung and made to throw`, async () => {
    const random = seeded(SEED);
    const models = await Promise.all(
      ['ocr-cls', 'mel'].map(async (id) => {
        const model = catalogModel(id);
        const handle = await pool.getModel({ type: model.type, name: id, source: model.url });
        const feeds = await feedsFor(id);
        return { id, handle, feeds, golden: await directRun(model.url, feeds) };
      }),
    );
    const outcomes: { ok: boolean; category?: string }[] = [];
    const faults: string[] = [];

    for (let batch = 0; batch < BATCHES; batch++) {
      const calls = Array.from({ length: CALLS_PER_BATCH }, () => {
        const model = models[Math.floor(random() * models.length)]!;
        return model.handle.run(model.feeds).then(
          (outputs: Record<string, Tensor>) => {
            expectGolden(outputs, model.golden);
            outcomes.push({ ok: true });
          },
          (error: unknown) => {
            expect(isAccelError(error), String(error)).toBe(true);
            const category = (error as { category: unknown }).category;
            expect(isErrorCategory(category)).toBe(true);
            outcomes.push({ ok: false, category: String(category) });
          },
        );
      });
      faults.push(await strike(random));
      const settled = await Promise.race([Promise.all(calls).then(() => true), delay(30_000).then(() => false)]);
      expect(settled, `batch ${batch} left calls pending (faults so far: ${faults.join(', ')})`).toBe(true);
    }

    console.log(`chaos seed ${SEED}: ${outcomes.filter((o) => o.ok).length} ok; failures ${JSON.stringify(outcomes.filter((o) => !o.ok).map((o) => o.category))}; faults ${faults.join(", ")}`);
    expect(outcomes).toHaveLength(BATCHES * CALLS_PER_BATCH);
    // Calls turned away while both breakers are open fail fast by design; most still succeed.
    expect(outcomes.filter((o) => o.ok).length).toBeGreaterThan(BATCHES * CALLS_PER_BATCH * 0.5);
    await closeEveryBreaker(models[0]!);
    for (const connection of Object.values(pool.health().connections)) {
      expect(connection.circuitState).toBe('CLOSED');
      expect(connection.healthScore).toBeGreaterThanOrEqual(0);
      expect(connection.healthScore).toBeLessThanOrEqual(100);
    }
    expect(unhandled).toEqual([]);
    expect(faults.filter((f) => f !== 'none').length).toBeGreaterThan(5);
  });
});

/** Picks a fault by the seeded generator and strikes a live connection with it. */
async function strike(random: () => number): Promise<string> {
  const roll = random();
  const live = pool[INTERNALS].slots().filter((s) => s.live !== undefined);
  const slot = live[Math.floor(random() * live.length)];
  if (slot === undefined || roll > 0.75) return 'none';
  if (roll < 0.3) {
    (slot.connection!.realm as Worker).terminate();
    return `kill ${slot.id}`;
  }
  const fault: HostFault = roll < 0.45 ? { kind: 'hang' } : { kind: 'throw', message: 'chaos (injected)', times: 2 };
  await pool[INTERNALS].injectFault(slot.id, fault).catch(() => undefined);
  return `${fault.kind} ${slot.id}`;
}

/** After the reset time, calls probe each open breaker until every one has closed again. */
async function closeEveryBreaker(model: { handle: { run: (f: never) => Promise<unknown> }; feeds: unknown }) {
  for (let round = 0; round < 40; round++) {
    const states = pool[INTERNALS].slots().map((s) => s.breaker.state);
    if (states.every((s) => s === 'CLOSED')) return;
    await delay(RESET_MS + 50);
    await model.handle.run(model.feeds as never).catch(() => undefined);
  }
}
