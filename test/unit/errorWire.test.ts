import { describe, expect, it } from 'vitest';
import { AccelError, isAccelError } from '../../src/index';
import { fromWireError, toWireError } from '../../src/errors/errorWire';

/** What a boundary does to plain data. */
function crossBoundary<T>(value: T): T {
  return structuredClone(value);
}

describe('errors crossing a boundary', () => {
  it('come back as AccelError with every field and the cause chain', () => {
    const root = new RangeError('Array buffer allocation failed');
    const error = new AccelError('out of memory while running', {
      category: 'OUT_OF_MEMORY',
      code: 'UNCLASSIFIED',
      backend: 'wasm',
      connectionId: 'wasm-1',
      attempts: 2,
      cause: root,
    });

    const rebuilt = fromWireError(crossBoundary(toWireError(error)));

    expect(isAccelError(rebuilt)).toBe(true);
    expect(rebuilt).toBeInstanceOf(AccelError);
    const accel = rebuilt as AccelError;
    expect(accel.message).toBe(error.message);
    expect(accel.category).toBe('OUT_OF_MEMORY');
    expect(accel.scope).toBe('backend');
    expect(accel.retryable).toBe(true);
    expect(accel.backend).toBe('wasm');
    expect(accel.connectionId).toBe('wasm-1');
    expect(accel.attempts).toBe(2);
    expect(accel.stack).toBe(error.stack);
    expect((accel.cause as Error).name).toBe('RangeError');
    expect((accel.cause as Error).message).toBe(root.message);
  });

  it('keep a plain error plain, with its name', () => {
    const error = new TypeError('bad');
    const rebuilt = fromWireError(crossBoundary(toWireError(error)));

    expect(isAccelError(rebuilt)).toBe(false);
    expect(rebuilt.name).toBe('TypeError');
    expect(rebuilt.message).toBe('bad');
  });

  it('describe thrown non-errors', () => {
    expect(fromWireError(toWireError('just a string')).message).toBe('just a string');
    expect(fromWireError(toWireError({ code: 3 })).message).toBe('{"code":3}');
  });
});
