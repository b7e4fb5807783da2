import { afterEach, describe, expect, it } from 'vitest';
import type { ResourcePool } from '../../src/index';
import {
  ManualClock,
  delay,
  expectGolden,
  faultPool,
  hostRunRequests,
  inject,
  loadGolden,
  record,
  rejectsWith,
  slotOf,
} from './faultKit';

const FAIL = 'kernel failed (injected)';
let pool: ResourcePool;
afterEach(() => pool?.dispose());

/** Makes `n` calls fail for real inside the host. */
async function failCalls(n: number, run: () => Promise<unknown>): Promise<void> {
  await inject(pool, { kind: 'throw', message: FAIL, times: n });
  for (let i = 0; i < n; i++) expect((await rejectsWith(run())).message).toContain(FAIL);
}

/** Opens the breaker with five real failures. */
async function openBreaker(run: () => Promise<unknown>): Promise<void> {
  await failCalls(5, run);
  expect(slotOf(pool).breaker.state).toBe('OPEN');
}

describe('the circuit breaker, driven by real failures', () => {
  it('stays closed after 4 failures, resets on a success, opens on the 5th and then fails fast without a message', async () => {
    pool = faultPool();
    const transitions = record(pool, 'breaker:transition');
    const { handle, feeds, golden } = await loadGolden(pool);
    const run = () => handle.run(feeds);

    await failCalls(4, run);
    expect(slotOf(pool).breaker.state).toBe('CLOSED');
    expectGolden(await run(), golden);
    await failCalls(4, run);
    expect(slotOf(pool).breaker.state).toBe('CLOSED');
    await failCalls(1, run);
    expect(slotOf(pool).breaker.state).toBe('OPEN');

    const before = await hostRunRequests(pool);
    const sixth = await rejectsWith(run());
    expect(sixth.code).toBe('CIRCUIT_OPEN');
    expect(sixth.retryAfterMs).toBeGreaterThan(29_000);
    expect(await hostRunRequests(pool)).toBe(before);
    expect(transitions.map((t) => `${t.from}>${t.to}`)).toEqual(['CLOSED>OPEN']);
    expect(pool.health().openCircuitCount).toBe(1);
  });

  it('goes half-open exactly when the reset time passes, never before', async () => {
    const clock = new ManualClock();
    pool = faultPool({ clock, breaker: { resetTimeoutMs: 30_000 } });
    const { handle, feeds, golden } = await loadGolden(pool);
    await openBreaker(() => handle.run(feeds));

    clock.advance(29_999);
    expect((await rejectsWith(handle.run(feeds))).retryAfterMs).toBe(1);
    clock.advance(1);
    expectGolden(await handle.run(feeds), golden);

    expect(slotOf(pool).breaker.state).toBe('HALF_OPEN');
  });

  it('lets exactly 3 of 10 concurrent calls through while half-open, then serves them all', async () => {
    const clock = new ManualClock();
    pool = faultPool({ clock });
    const transitions = record(pool, 'breaker:transition');
    const { handle, feeds, golden } = await loadGolden(pool);
    await openBreaker(() => handle.run(feeds));
    clock.advance(30_000);
    const breaker = slotOf(pool).breaker;
    let maxTrials = 0;
    const probe = setInterval(() => (maxTrials = Math.max(maxTrials, breaker.inFlightTrials)), 0);

    const results = await Promise.all(Array.from({ length: 10 }, () => handle.run(feeds)));
    clearInterval(probe);

    expect(maxTrials).toBe(3);
    for (const result of results) expectGolden(result, golden);
    expect(transitions.map((t) => `${t.from}>${t.to}`)).toEqual(['CLOSED>OPEN', 'OPEN>HALF_OPEN', 'HALF_OPEN>CLOSED']);
  });

  it('needs 3 trial successes to close: 2 are not enough', async () => {
    const clock = new ManualClock();
    pool = faultPool({ clock });
    const { handle, feeds } = await loadGolden(pool);
    await openBreaker(() => handle.run(feeds));
    clock.advance(30_000);

    await handle.run(feeds);
    await handle.run(feeds);
    expect(slotOf(pool).breaker.state).toBe('HALF_OPEN');
    await handle.run(feeds);
    expect(slotOf(pool).breaker.state).toBe('CLOSED');
  });

  it('re-opens on one trial failure even when sibling trials succeed, and the siblings get their results', async () => {
    const clock = new ManualClock();
    pool = faultPool({ clock });
    const transitions = record(pool, 'breaker:transition');
    const { handle, feeds, golden } = await loadGolden(pool);
    await openBreaker(() => handle.run(feeds));
    clock.advance(30_000);
    await inject(pool, { kind: 'throw', message: FAIL, times: 1 });

    const [first, second, third] = await Promise.allSettled([handle.run(feeds), handle.run(feeds), handle.run(feeds)]);

    expect(first.status).toBe('rejected');
    expect(second.status === 'fulfilled' && third.status === 'fulfilled').toBe(true);
    if (second.status === 'fulfilled') expectGolden(second.value, golden);
    if (third.status === 'fulfilled') expectGolden(third.value, golden);
    expect(slotOf(pool).breaker.state).toBe('OPEN');
    expect(transitions.map((t) => `${t.from}>${t.to}`)).toEqual(['CLOSED>OPEN', 'OPEN>HALF_OPEN', 'HALF_OPEN>OPEN']);
  });

  it('counts a hung trial as a failure at its deadline and replaces the hung connection', async () => {
    const clock = new ManualClock();
    pool = faultPool({ clock, heartbeatTimeoutMs: 20_000 });
    const { handle, feeds, golden } = await loadGolden(pool);
    await openBreaker(() => handle.run(feeds));
    clock.advance(30_000);
    const hung = slotOf(pool).connection!;
    await inject(pool, { kind: 'hang' });

    const error = await rejectsWith(handle.run(feeds, { timeoutMs: 500 }));

    expect(error.category).toBe('TIMEOUT');
    expect(slotOf(pool).breaker.state).toBe('OPEN');
    expect(hung.state).toBe('closed');
    clock.advance(30_000);
    expectGolden(await handle.run(feeds), golden);
    expect(slotOf(pool).incarnations).toBe(2);
  });

  it('releases a cancelled trial without deciding anything', async () => {
    const clock = new ManualClock();
    pool = faultPool({ clock });
    const { handle, feeds } = await loadGolden(pool, 'ocr-det');
    await openBreaker(() => handle.run(feeds));
    clock.advance(30_000);
    const controller = new AbortController();

    const cancelled = rejectsWith(handle.run(feeds, { signal: controller.signal }));
    await delay(5);
    controller.abort();
    const error = await cancelled;

    expect(error.category).toBe('CANCELLED');
    expect(slotOf(pool).breaker.state).toBe('HALF_OPEN');
    expect(slotOf(pool).breaker.inFlightTrials).toBe(0);
  });

  it('delivers a late result from a call started before the breaker opened, without moving the breaker', async () => {
    pool = faultPool();
    const transitions = record(pool, 'breaker:transition');
    const { handle, feeds, golden } = await loadGolden(pool, 'ocr-det');

    const late = handle.run(feeds);
    await delay(5);
    pool.isolateConnection('worker-wasm-1');
    expectGolden(await late, golden);

    expect(slotOf(pool).breaker.state).toBe('OPEN');
    expect(transitions.map((t) => `${t.from}>${t.to}`)).toEqual(['CLOSED>OPEN']);
  });

  it('leaves the breaker and the error rate untouched by caller mistakes', async () => {
    pool = faultPool();
    const { handle, feeds } = await loadGolden(pool);

    for (let i = 0; i < 10; i++) await rejectsWith(handle.run({ wrong: feeds.x! }));

    const health = pool.health().connections['worker-wasm-1']!;
    expect(health.circuitState).toBe('CLOSED');
    expect(health.errorRate).toBe(0);
    expect(health.healthScore).toBe(100);
    expect(health.factors).toEqual({ errorRate: 0, responseTime: 0, consecutiveFailures: 0, connectionDrops: 0, memory: 0, ping: 0 });
    expect(pool.health().errorCategories).toEqual({});
  });

  it('isolates a connection by hand until it is reset', async () => {
    pool = faultPool();
    const transitions = record(pool, 'breaker:transition');
    const { handle, feeds, golden } = await loadGolden(pool);

    pool.isolateConnection('worker-wasm-1');
    const error = await rejectsWith(handle.run(feeds));
    pool.resetConnection('worker-wasm-1');

    expect(error.code).toBe('CIRCUIT_OPEN');
    expectGolden(await handle.run(feeds), golden);
    expect(transitions.map((t) => `${t.from}>${t.to}:${t.reason}`)).toEqual(['CLOSED>OPEN:isolated', 'OPEN>CLOSED:reset']);
    expect(() => pool.isolateConnection('nope')).toThrow(/No connection "nope"/);
  });
});
