import type { Tensor } from 'onnxruntime-common';
import { expect } from 'vitest';
import { catalogModel, demoInputs, type DemoInputs } from '../../demo/models';

/**
 * The test server under its other name: `localhost` and `127.0.0.1` are different sites, so
 * Chromium runs a frame served from here in a renderer process of its own.
 */
export const otherSite = `http://${location.hostname === 'localhost' ? '127.0.0.1' : 'localhost'}:${location.port}`;

let inputs: Promise<DemoInputs> | undefined;

/** The demo's inputs, made once per test file. */
export function sharedInputs(): Promise<DemoInputs> {
  return (inputs ??= demoInputs());
}

/** The catalog model's feeds for the shared inputs. */
export async function feedsFor(id: string): Promise<Record<string, Tensor>> {
  return catalogModel(id).feeds(await sharedInputs());
}

/**
 * Runs a model with onnxruntime-web directly in the test page, on the WebAssembly backend: the
 * reference every pool output is compared against.
 */
export async function directRun(url: string, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const ort = await import('onnxruntime-web/wasm');
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(url);
  try {
    return (await session.run(feeds)) as unknown as Record<string, Tensor>;
  } finally {
    await session.release();
  }
}

/** Asserts two result maps hold the same names, shapes and values within `tolerance`. */
export function expectSameOutputs(
  actual: Record<string, Tensor>,
  expected: Record<string, Tensor>,
  tolerance: number,
): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, want] of Object.entries(expected)) {
    const got = actual[name];
    expect(got, name).toBeDefined();
    if (got === undefined) return;
    expect(got.type).toBe(want.type);
    expect([...got.dims]).toEqual([...want.dims]);
    expect(maxAbsDiff(got.data as Float32Array, want.data as Float32Array), name).toBeLessThanOrEqual(tolerance);
  }
}

/** The largest absolute difference between two arrays of equal length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

/** Settles a promise into a tagged result, for asserting that it settled and how. */
export async function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The data of the next message posted to this window that `accept` takes. */
export function nextMessage<T>(accept: (event: MessageEvent) => boolean): Promise<T> {
  return new Promise((resolve) => {
    addEventListener('message', function listener(event: MessageEvent) {
      if (!accept(event)) return;
      removeEventListener('message', listener);
      resolve(event.data as T);
    });
  });
}
