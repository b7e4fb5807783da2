import { describe, expect, it } from 'vitest';
import { AccelError, isAccelError } from '../../src/index';
import { fromWireError, isWireError, toWireError, type WireError } from '../../src/errors/errorWire';
import { isHostEvent } from '../../src/connections/hostEvents';

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

describe('an error as another realm sends it', () => {
  const plain: WireError = { kind: 'error', name: 'Error', message: 'failed' };
  /** `plain` wrapped as the cause of `levels` errors. */
  const chain = (levels: number): WireError =>
    levels === 0 ? plain : { ...plain, message: `level ${levels}`, cause: chain(levels - 1) };

  it('is accepted down a cause chain as long as the one the wire makes', () => {
    let deep: Error = new Error('root');
    for (let i = 0; i < 20; i++) deep = new Error(`level ${i}`, { cause: deep });

    expect(isWireError(structuredClone(toWireError(deep)))).toBe(true);
    expect(isWireError(chain(8))).toBe(true);
    expect(isWireError(chain(9))).toBe(false);
  });

  it('is refused when a field has the wrong type or a cause is not an error, before anything follows it', () => {
    expect(isWireError({ ...plain, cause: null })).toBe(false);
    expect(isWireError({ ...plain, cause: 'text' })).toBe(false);
    expect(isWireError({ ...plain, name: 3 })).toBe(false);
    expect(isWireError({ ...plain, stack: {} })).toBe(false);
    expect(isWireError({ ...plain, kind: 'other' })).toBe(false);
  });

  it('is refused with a prototype key, anywhere in its chain, and so is a host event carrying one', () => {
    const polluting = JSON.parse(`{${JSON.stringify(plain).slice(1, -1)},"__proto__":{"polluted":true}}`) as WireError;
    const event = { webaccel: 'host-event', type: 'device-lost', error: plain };
    const pollutingEvent = JSON.parse(`{${JSON.stringify(event).slice(1, -1)},"__proto__":{}}`) as unknown;

    expect(isWireError(polluting)).toBe(false);
    expect(isWireError({ ...plain, cause: polluting })).toBe(false);
    expect(isWireError({ ...plain, constructor: { prototype: {} } })).toBe(false);
    expect(isHostEvent(event)).toBe(true);
    expect(isHostEvent({ ...event, error: { ...plain, cause: polluting } })).toBe(false);
    expect(isHostEvent(pollutingEvent)).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
