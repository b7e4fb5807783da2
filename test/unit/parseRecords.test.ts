import { describe, expect, it } from 'vitest';
import { parseHealthRecord } from '../../src/history/parseRecords';
import { CircuitBreaker } from '../../src/resilience/CircuitBreaker';

const NOW = 1_800_000_000_000;
const clock = { now: () => NOW };

function healthRow(breaker: unknown) {
  return {
    key: 'worker:wasm',
    kind: 'worker',
    backend: 'wasm',
    trips: 1,
    crashes: 1,
    breaker,
    lastSeen: NOW - 1000,
    fingerprint: { runtime: '1.31.1', browser: 'Chrome', browserMajor: 156, adapter: 'none' },
  };
}

describe('parseHealthRecord', () => {
  it('keeps a record whose breaker is absent or well-formed', () => {
    const open = new CircuitBreaker({}, clock);
    open.trip('crashed');

    expect(parseHealthRecord(healthRow(null), NOW)?.breaker).toBeNull();
    expect(parseHealthRecord(healthRow(open.toJSON()), NOW)?.breaker).toEqual(open.toJSON());
  });

  it('refuses a record whose breaker routing could not read', () => {
    const open = new CircuitBreaker({}, clock);
    open.trip('crashed');

    for (const breaker of [{}, [], 'OPEN', { ...open.toJSON(), openUntil: 'soon' }, { ...open.toJSON(), state: 'AJAR' }]) {
      expect(parseHealthRecord(healthRow(breaker), NOW)).toBeNull();
    }
  });
});
