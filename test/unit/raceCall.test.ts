import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AccelError } from '../../src/index';
import { EndOnce, raceCall } from '../../src/util/raceCall';
import { Heartbeat } from '../../src/connections/Heartbeat';

const timeout = () => new AccelError('late', { category: 'TIMEOUT' });
const aborted = () => new AccelError('aborted', { category: 'CANCELLED' });
const never = new Promise<never>(() => undefined);

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('raceCall', () => {
  it('resolves with the work when it finishes first', async () => {
    await expect(raceCall(Promise.resolve(7), { timeoutMs: 10, onTimeout: timeout, onAbort: aborted })).resolves.toBe(7);
  });

  it('rejects at the deadline when the work never answers', async () => {
    const call = raceCall(never, { timeoutMs: 100, onTimeout: timeout, onAbort: aborted });
    const settled = expect(call).rejects.toMatchObject({ category: 'TIMEOUT' });

    await vi.advanceTimersByTimeAsync(100);
    await settled;
  });

  it('rejects with the connection loss when the connection dies first, and unsubscribes', async () => {
    const ended = new EndOnce();
    const call = raceCall(never, { ends: [ended], timeoutMs: 1000, onTimeout: timeout, onAbort: aborted });

    ended.end(new AccelError('gone', { category: 'BROWSER_CRASH' }));

    await expect(call).rejects.toMatchObject({ category: 'BROWSER_CRASH' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps no subscription once the work settles', async () => {
    const ended = new EndOnce();
    const listeners = (ended as unknown as { listeners: Set<unknown> }).listeners;

    await raceCall(Promise.resolve(1), { ends: [ended], timeoutMs: 10, onTimeout: timeout, onAbort: aborted });

    expect(listeners.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('treats a deadline beyond what timers can hold as none, instead of firing at once', async () => {
    const call = raceCall(new Promise((r) => setTimeout(() => r('done'), 50)), { timeoutMs: 2 ** 31, onTimeout: timeout, onAbort: aborted });

    await vi.advanceTimersByTimeAsync(50);
    await expect(call).resolves.toBe('done');
  });

  it('rejects at once for an already aborted signal, and on a later abort', async () => {
    const controller = new AbortController();
    const later = raceCall(never, { signal: controller.signal, onTimeout: timeout, onAbort: aborted });
    controller.abort();

    await expect(later).rejects.toMatchObject({ category: 'CANCELLED' });
    await expect(raceCall(never, { signal: controller.signal, onTimeout: timeout, onAbort: aborted })).rejects.toMatchObject({ category: 'CANCELLED' });
  });
});

describe('Heartbeat', () => {
  it('reports latency while pings are answered and declares the target hung after the set misses', async () => {
    let answering = true;
    const latencies: number[] = [];
    const hung = vi.fn();
    const heartbeat = new Heartbeat(
      {
        ping: (ms) => (answering ? Promise.resolve() : new Promise((_, reject) => setTimeout(() => reject(new Error('miss')), ms))),
        onLatency: (ms) => latencies.push(ms),
        onHung: hung,
        excused: () => false,
      },
      { intervalMs: 100, timeoutMs: 50, maxMisses: 2 },
    );

    heartbeat.start();
    await vi.advanceTimersByTimeAsync(350);
    expect(latencies.length).toBe(3);
    answering = false;
    await vi.advanceTimersByTimeAsync(150);
    expect(hung).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(150);
    expect(hung).toHaveBeenCalledWith(2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(hung).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('Heartbeat while the target is excused', () => {
  it('does not count misses while excused, and counts them again afterwards', async () => {
    let excused = true;
    const hung = vi.fn();
    const heartbeat = new Heartbeat(
      {
        ping: (ms) => new Promise((_, reject) => setTimeout(() => reject(new Error('miss')), ms)),
        onLatency: () => undefined,
        onHung: hung,
        excused: (silentMs: number) => excused && silentMs < 10_000,
      },
      { intervalMs: 100, timeoutMs: 50, maxMisses: 1 },
    );

    heartbeat.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(hung).not.toHaveBeenCalled();
    excused = false;
    await vi.advanceTimersByTimeAsync(200);
    expect(hung).toHaveBeenCalledTimes(1);
    heartbeat.stop();
  });
});
