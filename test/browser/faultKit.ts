import type { Tensor } from 'onnxruntime-common';
import { expect } from 'vitest';
import { createResourcePool, isAccelError, type AccelError, type PoolEvents, type PoolOptions, type ResourcePool } from '../../src/index';
import { INTERNALS } from '../../src/api/internals';
import type { HostFault } from '../../src/connections/protocol';
import type { Backend, ModelType } from '../../src/api/types';
import type { Fingerprint, PerformanceRecord } from '../../src/history/records';
import type { Slot } from '../../src/pool/Slot';
import { catalogModel } from '../../demo/models';
import { directRun, feedsFor } from './helpers';

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(public time = 1_000_000) {}
  now = (): number => this.time;
  advance(ms: number): void {
    this.time += ms;
  }
}

/**
 * A pool on wasm with fault injection on and, unless overridden, no retries and one connection
 * that takes up to 8 calls at once (so that half-open trials can overlap).
 */
export function faultPool(options: PoolOptions = {}): ResourcePool {
  return createResourcePool({
    priority: ['wasm'],
    faultInjection: true,
    maxConnectionsPerBackend: 1,
    concurrencyPerConnection: 8,
    retry: { maxAttempts: 1 },
    ...options,
  });
}

/** A catalog model loaded in the pool, with its feeds and the direct onnxruntime-web output. */
export async function loadGolden(pool: ResourcePool, id = 'ocr-cls') {
  const model = catalogModel(id);
  const handle = await pool.getModel({ type: model.type, name: model.id, source: model.url });
  const feeds = await feedsFor(id);
  const golden = await directRun(model.url, feeds);
  return { handle, feeds, golden };
}

export function slotOf(pool: ResourcePool, id = 'worker-wasm-1'): Slot {
  const slot = pool[INTERNALS].slots().find((s) => s.id === id);
  if (slot === undefined) throw new Error(`no slot ${id}`);
  return slot;
}

export function inject(pool: ResourcePool, fault: HostFault, id = 'worker-wasm-1'): Promise<void> {
  return pool[INTERNALS].injectFault(id, fault);
}

/** Run requests the slot's current host has received. */
export async function hostRunRequests(pool: ResourcePool, id = 'worker-wasm-1'): Promise<number> {
  return (await slotOf(pool, id).connection!.hostStats()).runRequests;
}

/** Every event of one kind the pool emits from now on. */
export function record<K extends keyof PoolEvents>(pool: ResourcePool, type: K): PoolEvents[K][] {
  const seen: PoolEvents[K][] = [];
  pool.events.on(type, (event) => seen.push(event));
  return seen;
}

/** Asserts the promise rejects with an AccelError and returns it. */
export async function rejectsWith(promise: Promise<unknown>): Promise<AccelError> {
  try {
    await promise;
  } catch (error) {
    expect(isAccelError(error), String(error)).toBe(true);
    return error as AccelError;
  }
  throw new Error('expected the call to reject');
}

/** Asserts outputs equal the golden outputs exactly (same backend, same input). */
export function expectGolden(actual: Record<string, Tensor>, golden: Record<string, Tensor>): void {
  for (const [name, want] of Object.entries(golden)) {
    expect([...(actual[name]?.data as Float32Array)]).toEqual([...(want.data as Float32Array)]);
  }
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A performance record as a pool writes it to the history database: ten worker runs of `ms`
 * each, measured under `fingerprint`, last seen at `lastSeen`.
 */
export function measuredRecord(
  model: string,
  modelType: ModelType,
  backend: Backend,
  ms: number,
  fingerprint: Fingerprint,
  lastSeen: number,
): PerformanceRecord {
  return {
    key: `${model}|${backend}|worker|${fingerprint.browser}`,
    model,
    modelType,
    backend,
    kind: 'worker',
    count: 10,
    errors: 0,
    samples: Array<number>(10).fill(ms),
    p50: ms,
    p95: ms,
    lastSeen,
    fingerprint,
  };
}
