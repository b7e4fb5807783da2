import { describe, expect, it } from 'vitest';
import { CircuitBreaker, DEFAULT_BREAKER_OPTIONS } from '../../src/resilience/CircuitBreaker';
import type {
  Admission,
  BreakerTransition,
  CircuitBreakerOptions,
  Clock,
  Permit,
} from '../../src/resilience/CircuitBreaker';

const START = 1_700_000_000_000;
const RESET = DEFAULT_BREAKER_OPTIONS.resetTimeoutMs;

interface FakeClock extends Clock {
  time: number;
  advance(ms: number): void;
}

function fakeClock(time = START): FakeClock {
  return {
    time,
    now() {
      return this.time;
    },
    advance(ms) {
      this.time += ms;
    },
  };
}

function setup(options: CircuitBreakerOptions = {}) {
  const clock = fakeClock();
  const events: BreakerTransition[] = [];
  const breaker = new CircuitBreaker(options, clock, (event) => events.push(event));
  return { clock, events, breaker };
}

function permitOf(admission: Admission): Permit {
  if (!admission.admitted) throw new Error(`expected admission, got ${admission.reason}`);
  return admission.permit;
}

function fail(breaker: CircuitBreaker, times: number): void {
  for (let i = 0; i < times; i += 1) permitOf(breaker.tryAcquire()).failure();
}

function succeed(breaker: CircuitBreaker, times: number): void {
  for (let i = 0; i < times; i += 1) permitOf(breaker.tryAcquire()).success();
}

/** Opens the breaker, then lets the reset time pass and takes the first trial. */
function halfOpen(breaker: CircuitBreaker, clock: FakeClock): Permit {
  fail(breaker, DEFAULT_BREAKER_OPTIONS.failureThreshold);
  clock.advance(RESET);
  return permitOf(breaker.tryAcquire());
}

function path(events: readonly BreakerTransition[]): string[] {
  return events.map((event) => `${event.from}->${event.to}`);
}

describe('CircuitBreaker counting', () => {
  it('opens after five consecutive failures and not after four', () => {
    const { breaker } = setup();

    fail(breaker, 4);
    expect(breaker.state).toBe('CLOSED');

    fail(breaker, 1);
    expect(breaker.state).toBe('OPEN');
    expect(breaker.trips).toBe(1);
  });

  it('resets the failure count on a success, then opens on the fifth new failure', () => {
    const { breaker } = setup();

    fail(breaker, 4);
    expect(breaker.state).toBe('CLOSED');
    succeed(breaker, 1);
    expect(breaker.toJSON().consecutiveFailures).toBe(0);

    fail(breaker, 4);
    expect(breaker.state).toBe('CLOSED');
    fail(breaker, 1);
    expect(breaker.state).toBe('OPEN');

    expect(breaker.tryAcquire()).toEqual({ admitted: false, reason: 'open', retryAfterMs: RESET });
  });

  it('reports the remaining open time as retryAfterMs', () => {
    const { breaker, clock } = setup();
    fail(breaker, 5);

    clock.advance(12_345);

    expect(breaker.retryAfterMs).toBe(RESET - 12_345);
    expect(breaker.tryAcquire()).toMatchObject({ reason: 'open', retryAfterMs: RESET - 12_345 });
  });

  it('settles each permit at most once', () => {
    const { breaker } = setup();
    const permit = permitOf(breaker.tryAcquire());
    fail(breaker, 3);

    permit.failure();
    permit.failure();
    permit.success();

    expect(breaker.toJSON().consecutiveFailures).toBe(4);
  });

  it('admits ordinary calls, not trials, while closed', () => {
    const { breaker } = setup();

    expect(permitOf(breaker.tryAcquire()).trial).toBe(false);
    expect(breaker.retryAfterMs).toBe(0);
    expect(breaker.inFlightTrials).toBe(0);
  });
});

describe('CircuitBreaker half-open', () => {
  it('goes half-open exactly at the reset time, never a millisecond before', () => {
    const { breaker, clock } = setup();
    fail(breaker, 5);

    clock.advance(RESET - 1);
    expect(breaker.tryAcquire()).toEqual({ admitted: false, reason: 'open', retryAfterMs: 1 });
    expect(breaker.state).toBe('OPEN');

    clock.advance(1);
    expect(breaker.retryAfterMs).toBe(0);
    const permit = permitOf(breaker.tryAcquire());
    expect(permit.trial).toBe(true);
    expect(breaker.state).toBe('HALF_OPEN');
  });

  it('does not change state when the state is only read', () => {
    const { breaker, clock, events } = setup();
    fail(breaker, 5);
    clock.advance(RESET * 2);

    expect(breaker.state).toBe('OPEN');
    expect(breaker.state).toBe('OPEN');
    expect(path(events)).toEqual(['CLOSED->OPEN']);
  });

  it('admits exactly three of ten acquisitions while half-open', () => {
    const { breaker, clock } = setup();
    fail(breaker, 5);
    clock.advance(RESET);

    const answers = Array.from({ length: 10 }, () => breaker.tryAcquire());

    expect(answers.filter((answer) => answer.admitted)).toHaveLength(3);
    expect(answers.slice(3)).toEqual(
      Array(7).fill({ admitted: false, reason: 'half-open-full', retryAfterMs: 0 }),
    );
    expect(breaker.inFlightTrials).toBe(3);
  });

  it('closes after three trial successes and not after two', () => {
    const { breaker, clock } = setup();
    const first = halfOpen(breaker, clock);
    const others = [permitOf(breaker.tryAcquire()), permitOf(breaker.tryAcquire())];

    first.success();
    others[0]?.success();
    expect(breaker.state).toBe('HALF_OPEN');

    others[1]?.success();
    expect(breaker.state).toBe('CLOSED');
    expect(breaker.toJSON().consecutiveFailures).toBe(0);
  });

  it('re-opens on one trial failure even though sibling trials succeed later', () => {
    const { breaker, clock, events } = setup();
    const failing = halfOpen(breaker, clock);
    const siblings = [permitOf(breaker.tryAcquire()), permitOf(breaker.tryAcquire())];

    failing.failure();
    expect(breaker.state).toBe('OPEN');
    expect(breaker.retryAfterMs).toBe(RESET);

    for (const sibling of siblings) sibling.success();
    expect(breaker.state).toBe('OPEN');
    expect(breaker.retryAfterMs).toBe(RESET);
    expect(breaker.trips).toBe(2);
    expect(path(events)).toEqual(['CLOSED->OPEN', 'OPEN->HALF_OPEN', 'HALF_OPEN->OPEN']);
  });

  it('frees a trial slot on release without deciding anything', () => {
    const { breaker, clock, events } = setup();
    const released = halfOpen(breaker, clock);
    permitOf(breaker.tryAcquire());
    permitOf(breaker.tryAcquire());
    expect(breaker.tryAcquire()).toMatchObject({ reason: 'half-open-full' });

    released.release();

    expect(breaker.inFlightTrials).toBe(2);
    expect(breaker.state).toBe('HALF_OPEN');
    expect(permitOf(breaker.tryAcquire()).trial).toBe(true);
    expect(events).toHaveLength(2);
  });

  it('needs consecutive trial successes, so a released trial does not count toward closing', () => {
    const { breaker, clock } = setup();
    halfOpen(breaker, clock).success();

    permitOf(breaker.tryAcquire()).release();
    succeed(breaker, 1);
    expect(breaker.state).toBe('HALF_OPEN');

    succeed(breaker, 1);
    expect(breaker.state).toBe('CLOSED');
  });

  it('ignores a trial from an earlier half-open period, slot included', () => {
    const { breaker, clock } = setup();
    const failing = halfOpen(breaker, clock);
    const stale = permitOf(breaker.tryAcquire());
    failing.failure();
    clock.advance(RESET);
    permitOf(breaker.tryAcquire());

    stale.release();
    stale.failure();

    expect(breaker.inFlightTrials).toBe(1);
    expect(breaker.state).toBe('HALF_OPEN');
  });
});

describe('CircuitBreaker late results', () => {
  it('lets a result from before opening change nothing', () => {
    const { breaker, clock, events } = setup();
    const early = [permitOf(breaker.tryAcquire()), permitOf(breaker.tryAcquire())];
    fail(breaker, 5);
    clock.advance(1_000);

    early[0]?.success();
    early[1]?.failure();

    expect(breaker.state).toBe('OPEN');
    expect(breaker.retryAfterMs).toBe(RESET - 1_000);
    expect(breaker.trips).toBe(1);
    expect(events).toHaveLength(1);
  });

  it('does not count a failure from before a reopening and closing toward the next trip', () => {
    const { breaker, clock } = setup();
    const early = permitOf(breaker.tryAcquire());
    halfOpen(breaker, clock).success();
    succeed(breaker, 2);
    expect(breaker.state).toBe('CLOSED');

    early.failure();

    expect(breaker.toJSON().consecutiveFailures).toBe(0);
  });
});

describe('CircuitBreaker trip, isolate and reset', () => {
  it('opens at once from CLOSED on trip', () => {
    const { breaker, events } = setup();

    breaker.trip('worker terminated');

    expect(breaker.state).toBe('OPEN');
    expect(breaker.retryAfterMs).toBe(RESET);
    expect(events).toEqual([
      { from: 'CLOSED', to: 'OPEN', reason: 'worker terminated', at: START },
    ]);
  });

  it('opens at once from HALF_OPEN on trip, leaving the trials stale', () => {
    const { breaker, clock } = setup();
    const trial = halfOpen(breaker, clock);

    breaker.trip('device lost');
    trial.success();

    expect(breaker.state).toBe('OPEN');
    expect(breaker.trips).toBe(2);
    expect(breaker.inFlightTrials).toBe(0);
  });

  it('restarts the open period on trip while open, without a second event', () => {
    const { breaker, clock, events } = setup();
    breaker.trip('crash');
    clock.advance(10_000);

    breaker.trip('crash again');

    expect(breaker.retryAfterMs).toBe(RESET);
    expect(breaker.trips).toBe(1);
    expect(events).toHaveLength(1);
  });

  it('holds the breaker open while isolated, past any reset time, until reset', () => {
    const { breaker, clock, events } = setup();

    breaker.isolate();
    clock.advance(RESET * 10);
    breaker.trip('crash');

    expect(breaker.tryAcquire()).toEqual({
      admitted: false,
      reason: 'isolated',
      retryAfterMs: Infinity,
    });
    expect(breaker.state).toBe('OPEN');
    expect(breaker.retryAfterMs).toBe(Infinity);

    breaker.reset();
    expect(breaker.state).toBe('CLOSED');
    expect(permitOf(breaker.tryAcquire()).trial).toBe(false);
    expect(path(events)).toEqual(['CLOSED->OPEN', 'OPEN->CLOSED']);
  });

  it('isolates an open breaker without a second event', () => {
    const { breaker, events } = setup();
    breaker.trip('crash');

    breaker.isolate();
    breaker.isolate();

    expect(breaker.tryAcquire()).toMatchObject({ reason: 'isolated' });
    expect(events).toHaveLength(1);
  });

  it('clears the failure count on reset, with no event when already closed', () => {
    const { breaker, events } = setup();
    fail(breaker, 4);

    breaker.reset();
    fail(breaker, 4);

    expect(breaker.state).toBe('CLOSED');
    expect(events).toHaveLength(0);
  });
});

describe('CircuitBreaker events', () => {
  it('emits nothing at construction', () => {
    const { events } = setup();

    expect(events).toEqual([]);
  });

  it('emits exactly the expected transitions for a scripted sequence', () => {
    const { breaker, clock, events } = setup();

    fail(breaker, 5);
    clock.advance(RESET);
    permitOf(breaker.tryAcquire()).failure();
    clock.advance(RESET);
    succeed(breaker, 3);
    breaker.trip('crash');
    breaker.trip('crash');
    breaker.isolate();
    breaker.reset();
    breaker.reset();

    expect(events.map(({ from, to, reason }) => [from, to, reason])).toEqual([
      ['CLOSED', 'OPEN', 'failure threshold'],
      ['OPEN', 'HALF_OPEN', 'reset timeout elapsed'],
      ['HALF_OPEN', 'OPEN', 'trial failed'],
      ['OPEN', 'HALF_OPEN', 'reset timeout elapsed'],
      ['HALF_OPEN', 'CLOSED', 'trial successes'],
      ['CLOSED', 'OPEN', 'crash'],
      ['OPEN', 'CLOSED', 'reset'],
    ]);
    const at = events.map((event) => event.at - START);
    expect(at).toEqual([0, RESET, RESET, 2 * RESET, 2 * RESET, 2 * RESET, 2 * RESET]);
    expect(breaker.trips).toBe(3);
  });
});

describe('CircuitBreaker options', () => {
  it('uses the documented defaults', () => {
    expect(DEFAULT_BREAKER_OPTIONS).toEqual({
      failureThreshold: 5,
      resetTimeoutMs: 30_000,
      halfOpenMaxTrials: 3,
      successThreshold: 3,
    });
    expect(Object.isFrozen(DEFAULT_BREAKER_OPTIONS)).toBe(true);
  });

  it('applies the options it is given', () => {
    const { breaker, clock } = setup({
      failureThreshold: 2,
      resetTimeoutMs: 100,
      halfOpenMaxTrials: 1,
      successThreshold: 1,
    });

    fail(breaker, 2);
    expect(breaker.retryAfterMs).toBe(100);
    clock.advance(100);
    const trial = permitOf(breaker.tryAcquire());
    expect(breaker.tryAcquire()).toMatchObject({ reason: 'half-open-full' });
    trial.success();
    expect(breaker.state).toBe('CLOSED');
  });

  it('treats an option set to undefined as its default', () => {
    const { breaker } = setup({ failureThreshold: undefined });

    fail(breaker, 4);

    expect(breaker.state).toBe('CLOSED');
  });

  it.each([
    ['failureThreshold', 0, /failureThreshold must be an integer of 1 or more, got 0/],
    ['failureThreshold', 2.5, /failureThreshold must be an integer of 1 or more, got 2.5/],
    ['failureThreshold', Number.NaN, /failureThreshold .* got NaN/],
    ['halfOpenMaxTrials', -1, /halfOpenMaxTrials must be an integer of 1 or more, got -1/],
    ['halfOpenMaxTrials', Infinity, /halfOpenMaxTrials .* got Infinity/],
    ['successThreshold', 0, /successThreshold must be an integer of 1 or more, got 0/],
    ['successThreshold', '3', /successThreshold .* got 3/],
    ['resetTimeoutMs', 0, /resetTimeoutMs must be a finite number above 0, got 0/],
    ['resetTimeoutMs', -5, /resetTimeoutMs .* got -5/],
    ['resetTimeoutMs', Infinity, /resetTimeoutMs .* got Infinity/],
    ['resetTimeoutMs', Number.NaN, /resetTimeoutMs .* got NaN/],
  ])('rejects %s = %o with a RangeError naming it', (name, value, message) => {
    const create = () => new CircuitBreaker({ [name]: value } as CircuitBreakerOptions);

    expect(create).toThrow(RangeError);
    expect(create).toThrow(message);
  });

  it('validates options on restore as well', () => {
    expect(() => CircuitBreaker.restore(null, { resetTimeoutMs: 0 })).toThrow(RangeError);
  });
});

describe('CircuitBreaker snapshots', () => {
  function restoreAt(snapshot: unknown, time: number) {
    const clock = fakeClock(time);
    const events: BreakerTransition[] = [];
    const breaker = CircuitBreaker.restore(snapshot, {}, clock, (event) => events.push(event));
    return { breaker, clock, events };
  }

  it('saves a closed breaker with its failure count and restores it', () => {
    const { breaker } = setup();
    fail(breaker, 3);

    const snapshot = JSON.parse(JSON.stringify(breaker)) as unknown;
    const restored = restoreAt(snapshot, START).breaker;

    expect(snapshot).toEqual({
      version: 1,
      state: 'CLOSED',
      consecutiveFailures: 3,
      openUntil: null,
      isolated: false,
      trips: 0,
    });
    fail(restored, 1);
    expect(restored.state).toBe('CLOSED');
    fail(restored, 1);
    expect(restored.state).toBe('OPEN');
  });

  it('keeps only the remaining open time of an open breaker restored later', () => {
    const { breaker } = setup();
    fail(breaker, 5);

    const snapshot = breaker.toJSON();
    const { breaker: restored, clock, events } = restoreAt(snapshot, START + 20_000);

    expect(snapshot.openUntil).toBe(START + RESET);
    expect(restored.state).toBe('OPEN');
    expect(restored.trips).toBe(1);
    expect(restored.tryAcquire()).toMatchObject({ reason: 'open', retryAfterMs: RESET - 20_000 });
    clock.advance(RESET - 20_000);
    expect(permitOf(restored.tryAcquire()).trial).toBe(true);
    expect(path(events)).toEqual(['OPEN->HALF_OPEN']);
  });

  it('goes half-open on the next call when the saved open time has passed', () => {
    const { breaker } = setup();
    fail(breaker, 5);

    const { breaker: restored } = restoreAt(breaker.toJSON(), START + RESET * 5);

    expect(restored.state).toBe('OPEN');
    expect(permitOf(restored.tryAcquire()).trial).toBe(true);
    expect(restored.state).toBe('HALF_OPEN');
  });

  it('brings a half-open breaker back open with an immediate trial', () => {
    const { breaker, clock } = setup();
    halfOpen(breaker, clock);

    const snapshot = breaker.toJSON();
    const { breaker: restored, events } = restoreAt(snapshot, clock.time + 5_000);

    expect(snapshot).toMatchObject({ state: 'HALF_OPEN', openUntil: null });
    expect(restored.state).toBe('OPEN');
    expect(restored.retryAfterMs).toBe(0);
    expect(events).toEqual([]);
    expect(permitOf(restored.tryAcquire()).trial).toBe(true);
    expect(restored.inFlightTrials).toBe(1);
  });

  it('keeps an isolated breaker isolated', () => {
    const { breaker } = setup();
    breaker.isolate();

    const snapshot = breaker.toJSON();
    const { breaker: restored } = restoreAt(snapshot, START + RESET * 100);

    expect(snapshot).toMatchObject({ state: 'OPEN', isolated: true, openUntil: null });
    expect(restored.tryAcquire()).toMatchObject({ reason: 'isolated' });
    restored.reset();
    expect(restored.state).toBe('CLOSED');
  });

  it('emits no transition when restoring', () => {
    const { breaker } = setup();
    fail(breaker, 5);

    const { events } = restoreAt(breaker.toJSON(), START);

    expect(events).toEqual([]);
  });

  const valid = {
    version: 1,
    state: 'OPEN',
    consecutiveFailures: 5,
    openUntil: START + 1_000,
    isolated: false,
    trips: 1,
  };

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'OPEN'],
    ['an array', [valid]],
    ['an unknown state', { ...valid, state: 'WEIRD' }],
    ['another version', { ...valid, version: 2 }],
    ['a NaN openUntil', { ...valid, openUntil: Number.NaN }],
    ['an Infinity openUntil', { ...valid, openUntil: Infinity }],
    ['a string openUntil', { ...valid, openUntil: String(START) }],
    ['a negative trip count', { ...valid, trips: -1 }],
    ['a fractional failure count', { ...valid, consecutiveFailures: 1.5 }],
    ['a non-boolean isolated', { ...valid, isolated: 'yes' }],
    ['an open state with no openUntil', { ...valid, openUntil: null }],
    ['an isolated closed state', { ...valid, state: 'CLOSED', isolated: true }],
    ['openUntil far in the future', { ...valid, openUntil: START + RESET + 1 }],
    ['a "__proto__" key', JSON.parse(`{"__proto__":{"x":1},${JSON.stringify(valid).slice(1)}`)],
    ['a "constructor" key', { ...valid, constructor: 'x' }],
    ['a foreign prototype', Object.assign(Object.create({ polluted: true }) as object, valid)],
  ])('restores %s as CLOSED', (_, snapshot) => {
    const { breaker, events } = restoreAt(snapshot, START);

    expect(breaker.state).toBe('CLOSED');
    expect(breaker.toJSON()).toEqual({
      version: 1,
      state: 'CLOSED',
      consecutiveFailures: 0,
      openUntil: null,
      isolated: false,
      trips: 0,
    });
    expect(permitOf(breaker.tryAcquire()).trial).toBe(false);
    expect(events).toEqual([]);
  });

  it('accepts an open time of exactly one reset period ahead', () => {
    const { breaker } = restoreAt({ ...valid, openUntil: START + RESET }, START);

    expect(breaker.state).toBe('OPEN');
    expect(breaker.retryAfterMs).toBe(RESET);
  });

  it('leaves Object.prototype untouched after a "__proto__" snapshot', () => {
    restoreAt(JSON.parse('{"__proto__":{"polluted":true},"version":1}'), START);

    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
