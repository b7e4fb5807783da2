import { describe, expect, it } from 'vitest';
import { DEFAULT_POOL_OPTIONS, resolvePoolOptions } from '../../src/api/options';
import { selectVariant } from '../../src/model/selectVariant';
import { modelKey } from '../../src/model/modelKey';

describe('pool options', () => {
  it('fills every default from the documented constant', () => {
    const resolved = resolvePoolOptions();

    expect(resolved.priority).toEqual(['webgpu', 'webnn', 'wasm']);
    expect(resolved.runTimeoutMs).toBe(DEFAULT_POOL_OPTIONS.runTimeoutMs);
    expect(typeof resolved.fetch).toBe('function');
    expect(resolved.maxConnectionsPerBackend).toBeGreaterThanOrEqual(2);
    expect(resolvePoolOptions({ lowMemory: true }).maxConnectionsPerBackend).toBe(1);
    expect(resolvePoolOptions({ lowMemory: true, maxConnectionsPerBackend: 3 }).maxConnectionsPerBackend).toBe(3);
  });

  it.each([
    [{ priority: [] }, /priority must be a non-empty array/],
    [{ priority: ['cuda'] }, /unknown backend "cuda"/],
    [{ priority: ['wasm', 'wasm'] }, /lists a backend twice/],
    [{ runTimeoutMs: 0 }, /runTimeoutMs must be a number above 0, got 0/],
    [{ heartbeatIntervalMs: Number.NaN }, /heartbeatIntervalMs/],
    [{ runTimeout: 100 }, /unknown option "runTimeout"; did you mean runTimeoutMs\?/],
    [{ retry: { maxAttempt: 2 } }, /options.retry: unknown option "maxAttempt"; did you mean maxAttempts\?/],
    [{ breaker: { failureTreshold: 2 } }, /options.breaker: unknown option "failureTreshold"/],
    [{ breaker: { failureThreshold: -1 } }, /failureThreshold/],
    [{ health: { windowMs: -5 } }, /windowMs/],
    [{ maxConnectionsPerBackend: 2.5 }, /maxConnectionsPerBackend must be a whole number/],
    [{ retry: { baseDelayMs: -0.5 } }, /baseDelayMs must be 0 or more/],
    [{ lowMemory: 'yes' }, /lowMemory must be true or false/],
    [{ fetch: 42 }, /fetch must be a function/],
  ])('rejects %o naming the option', (options, message) => {
    expect(() => resolvePoolOptions(options as never)).toThrow(message);
  });
});

describe('precision variants', () => {
  it('picks the precision asked for, else fp32, else the first listed', () => {
    expect(selectVariant({ fp16: 'a', fp32: 'b' }, 'fp16').source).toBe('a');
    expect(selectVariant({ fp16: 'a', fp32: 'b' }).source).toBe('b');
    expect(selectVariant({ q8: 'c', q4: 'd' })).toEqual({ precision: 'q8', source: 'c' });
    expect(selectVariant('plain.onnx', 'fp16')).toEqual({ precision: undefined, source: 'plain.onnx' });
    expect(selectVariant({ fp32: 'b', q8: 'c', q4: 'd' }, undefined, true).source).toBe('d');
    expect(selectVariant({ fp32: 'b', q8: 'c' }, 'fp32', true).source).toBe('b');
  });

  it('names the listed variants when the one asked for is missing', () => {
    expect(() => selectVariant({ fp32: 'b' }, 'q4')).toThrow(/lists only fp32/);
    expect(() => selectVariant({})).toThrow(/lists no variants/);
  });
});

describe('model keys', () => {
  it('tell models apart by name, source, precision and priority', () => {
    const bytes = new Uint8Array(4);
    const base = modelKey('m', 'http://x/a.onnx', undefined, ['wasm']);

    expect(modelKey('m', 'http://x/a.onnx', undefined, ['wasm'])).toBe(base);
    expect(modelKey('n', 'http://x/a.onnx', undefined, ['wasm'])).not.toBe(base);
    expect(modelKey('m', 'http://x/b.onnx', undefined, ['wasm'])).not.toBe(base);
    expect(modelKey('m', 'http://x/a.onnx', 'fp16', ['wasm'])).not.toBe(base);
    expect(modelKey('m', 'http://x/a.onnx', undefined, ['webgpu'])).not.toBe(base);
    expect(modelKey('m', bytes, undefined, ['wasm'])).toBe(modelKey('m', bytes, undefined, ['wasm']));
    expect(modelKey('m', bytes, undefined, ['wasm'])).not.toBe(modelKey('m', new Uint8Array(4), undefined, ['wasm']));
  });
});
