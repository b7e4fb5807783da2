import mitt from 'mitt';
import { describe, expect, it } from 'vitest';
import type { PoolEvents } from '../../src/api/events';
import { DEFAULT_POOL_OPTIONS } from '../../src/api/options';
import { HealthHistory } from '../../src/history/HealthHistory';
import { CircuitBreaker } from '../../src/resilience/CircuitBreaker';

function history(clock = { time: 1_000_000, now() { return this.time; } }) {
  const h = new HealthHistory('memory', { ...DEFAULT_POOL_OPTIONS.history }, clock, mitt<PoolEvents>());
  return { h, clock };
}

describe('HealthHistory', () => {
  it('keeps run times with their median and 95th percentile, and routes by them', async () => {
    const { h } = history();
    await h.ready;
    for (const ms of [900, 1000, 1100]) h.recordRun('cls', 'vision', 'webgpu', 'worker', ms);
    for (const ms of [30, 20, 25, 400]) h.recordRun('cls', 'vision', 'wasm', 'worker', ms);

    const figures = h.recommendations().vision?.measured;
    expect(figures).toEqual([
      { model: 'cls', backend: 'wasm', connectionKind: 'worker', p50Ms: 25, p95Ms: 400, runs: 4, errors: 0 },
      { model: 'cls', backend: 'webgpu', connectionKind: 'worker', p50Ms: 1000, p95Ms: 1100, runs: 3, errors: 0 },
    ]);
    expect(h.recommendations().vision).toMatchObject({ backend: 'wasm', connectionKind: 'worker', basis: 'measured', votes: 1, of: 1 });
    expect(h.route(['webgpu', 'wasm'], 'cls', 'vision', 'worker').order).toEqual(['wasm', 'webgpu']);
    // Measured in workers; iframes have their own figures.
    expect(h.route(['webgpu', 'wasm'], 'cls', 'vision', 'iframe').order).toEqual(['webgpu', 'wasm']);
    // Another vision model has no figures of its own: the type's winner goes first.
    expect(h.route(['webgpu', 'wasm'], 'det', 'vision', 'worker')).toEqual({
      order: ['wasm', 'webgpu'],
      reason: 'fastest for 1 of 1 measured models of its type',
    });
    await h.close();
  });

  it('needs two runs on a backend before its figures count', async () => {
    const { h } = history();
    await h.ready;
    h.recordRun('cls', 'audio', 'webgpu', 'worker', 900);
    h.recordRun('cls', 'audio', 'webgpu', 'worker', 900);
    h.recordRun('cls', 'audio', 'wasm', 'worker', 1);
    expect(h.route(['webgpu', 'wasm'], 'cls', 'audio', 'worker').order).toEqual(['webgpu', 'wasm']);
    h.recordRun('cls', 'audio', 'wasm', 'worker', 1);
    expect(h.route(['webgpu', 'wasm'], 'cls', 'audio', 'worker').order).toEqual(['wasm', 'webgpu']);
  });

  it('forgets figures older than the time to live', async () => {
    const { h, clock } = history();
    await h.ready;
    for (const backend of ['webgpu', 'wasm'] as const) {
      for (let i = 0; i < 2; i++) h.recordRun('cls', 'vision', backend, 'worker', backend === 'wasm' ? 1 : 9);
    }
    expect(h.health().measurements).toBe(2);
    clock.time += DEFAULT_POOL_OPTIONS.history.ttlMs + 1;
    expect(h.health().measurements).toBe(0);
    expect(h.route(['webgpu', 'wasm'], 'cls', 'vision', 'worker').order).toEqual(['webgpu', 'wasm']);
  });

  it('keeps an open breaker with its time left, and puts its backend last until then', async () => {
    const { h, clock } = history();
    await h.ready;
    const breaker = new CircuitBreaker({ resetTimeoutMs: 30_000 }, clock);
    breaker.trip('crashed');
    h.recordBreaker('worker', 'webgpu', breaker.toJSON(), true);
    h.recordCrash('worker', 'webgpu');

    clock.time += 10_000;
    // A new connection of this pool starts fresh: recovery sends work past its open sibling to it.
    expect(h.breakerFor('worker', 'webgpu')).toBeNull();
    expect(h.health().backends['worker:webgpu']?.openUntil).toBe(clock.time + 20_000);
    const restored = CircuitBreaker.restore(breaker.toJSON(), { resetTimeoutMs: 30_000 }, clock);
    expect(restored.state).toBe('OPEN');
    expect(restored.retryAfterMs).toBe(20_000);
    expect(h.route(['webgpu', 'wasm'], 'cls', 'vision', 'worker')).toEqual({
      order: ['wasm', 'webgpu'],
      reason: 'priority as given; webgpu last: its breaker is open for 20 s more',
    });
    expect(h.health().backends['worker:webgpu']).toMatchObject({ trips: 1, crashes: 1, circuitState: 'OPEN' });

    clock.time += 20_000;
    expect(h.route(['webgpu', 'wasm'], 'cls', 'vision', 'worker').order).toEqual(['webgpu', 'wasm']);
  });

  it('does not share a breaker isolated by hand', async () => {
    const { h, clock } = history();
    await h.ready;
    const breaker = new CircuitBreaker({}, clock);
    breaker.isolate();
    h.recordBreaker('worker', 'wasm', breaker.toJSON(), true);
    expect(h.breakerFor('worker', 'wasm')).toBeNull();
  });

  it('keeps a capped log of recent failures and counts errors per backend', async () => {
    const { h } = history();
    await h.ready;
    for (let i = 0; i < 120; i++) {
      h.recordError({ category: 'TIMEOUT', code: 'DEADLINE_EXCEEDED', message: `late ${i}`, model: 'cls', modelType: 'vision', backend: 'wasm', kind: 'worker' });
    }
    const failures = h.health().recentFailures;
    expect(failures).toHaveLength(10);
    expect(failures.at(-1)?.message).toBe('late 119');
    h.recordRun('cls', 'vision', 'wasm', 'worker', 5);
    h.recordRun('cls', 'vision', 'wasm', 'worker', 5);
    expect(h.recommendations().vision?.measured[0]?.errors).toBe(120);
  });

  it('reports memory storage, as asked, and clears', async () => {
    const { h } = history();
    await h.ready;
    expect(h.health().storage).toMatchObject({ mode: 'memory', requested: 'memory' });
    expect(h.health().shared).toBe(false);
    h.recordRun('cls', 'vision', 'wasm', 'worker', 5);
    await h.clear();
    expect(h.health().measurements).toBe(0);
  });
});
