import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HEALTH_OPTIONS,
  HEALTH_WEIGHTS,
  HealthScore,
} from '../../src/resilience/HealthScore';
import type { HealthScoreOptions } from '../../src/resilience/HealthScore';
import type { Clock } from '../../src/resilience/CircuitBreaker';

const WINDOW = DEFAULT_HEALTH_OPTIONS.windowMs;
const LIMIT = DEFAULT_HEALTH_OPTIONS.memoryLimitBytes;

interface FakeClock extends Clock {
  time: number;
  advance(ms: number): void;
}

function fakeClock(): FakeClock {
  return {
    time: 1_700_000_000_000,
    now() {
      return this.time;
    },
    advance(ms) {
      this.time += ms;
    },
  };
}

function setup(options: HealthScoreOptions = {}) {
  const clock = fakeClock();
  return { clock, health: new HealthScore(options, clock) };
}

function repeat(times: number, record: () => void): void {
  for (let i = 0; i < times; i += 1) record();
}

describe('HealthScore neutral value', () => {
  it('scores 100 with no samples', () => {
    const { health } = setup();

    expect(health.score()).toBe(100);
    expect(Number.isFinite(health.score())).toBe(true);
    expect(health.errorRate()).toBe(0);
    expect(Object.values(health.factors())).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('keeps weights that sum to 100 in a frozen constant', () => {
    const total = Object.values(HEALTH_WEIGHTS).reduce((sum, weight) => sum + weight, 0);

    expect(total).toBe(100);
    expect(Object.isFrozen(HEALTH_WEIGHTS)).toBe(true);
  });

  it('uses the documented defaults', () => {
    expect(DEFAULT_HEALTH_OPTIONS).toEqual({
      windowMs: 60_000,
      maxSamples: 100,
      latencyGoodMs: 250,
      latencyBadMs: 5_000,
      pingGoodMs: 50,
      pingBadMs: 2_000,
      memoryLimitBytes: 2 ** 31,
    });
    expect(Object.isFrozen(DEFAULT_HEALTH_OPTIONS)).toBe(true);
  });
});

describe('HealthScore factors', () => {
  it('takes the error-rate weight times the share of failed calls', () => {
    const { health } = setup();

    health.recordFailure();
    health.recordSuccess(0);

    expect(health.errorRate()).toBe(0.5);
    expect(health.factors()).toMatchObject({ errorRate: 0.5, consecutiveFailures: 0 });
    expect(health.score()).toBe(100 - HEALTH_WEIGHTS.errorRate / 2);
  });

  it('takes the response-time weight linearly between the good and bad latencies', () => {
    const at = (latencyMs: number) => {
      const { health } = setup();
      health.recordSuccess(latencyMs);
      return health.score();
    };

    expect(at(250)).toBe(100);
    expect(at(2_625)).toBe(100 - HEALTH_WEIGHTS.responseTime / 2);
    expect(at(5_000)).toBe(100 - HEALTH_WEIGHTS.responseTime);
    expect(at(60_000)).toBe(100 - HEALTH_WEIGHTS.responseTime);
  });

  it('judges latency by the median, so one slow call does not dominate', () => {
    const { health } = setup();

    health.recordSuccess(100);
    health.recordSuccess(200);
    health.recordSuccess(50_000);

    expect(health.factors().responseTime).toBe(0);
    expect(health.score()).toBe(100);
  });

  it('takes the consecutive-failures weight in fifths, outliving the window', () => {
    const { health, clock } = setup();
    repeat(2, () => health.recordFailure());
    clock.advance(WINDOW + 1);

    expect(health.factors()).toMatchObject({ errorRate: 0, consecutiveFailures: 0.4 });
    expect(health.score()).toBe(100 - HEALTH_WEIGHTS.consecutiveFailures * 0.4);

    repeat(4, () => health.recordFailure());
    clock.advance(WINDOW + 1);
    expect(health.score()).toBe(100 - HEALTH_WEIGHTS.consecutiveFailures);
  });

  it('clears consecutive failures on a success', () => {
    const { health, clock } = setup();
    repeat(4, () => health.recordFailure());

    health.recordSuccess(10);
    clock.advance(WINDOW + 1);

    expect(health.factors().consecutiveFailures).toBe(0);
    expect(health.score()).toBe(100);
  });

  it('takes the connection-drops weight in thirds', () => {
    const { health } = setup();

    health.recordDrop();
    expect(health.score()).toBe(100 - HEALTH_WEIGHTS.connectionDrops / 3);

    repeat(2, () => health.recordDrop());
    expect(health.score()).toBe(100 - HEALTH_WEIGHTS.connectionDrops);

    health.recordDrop();
    expect(health.score()).toBe(100 - HEALTH_WEIGHTS.connectionDrops);
  });

  it('takes the memory weight from half the limit to all of it, by the latest sample', () => {
    const { health } = setup();

    health.recordMemory(LIMIT / 2);
    expect(health.score()).toBe(100);

    health.recordMemory(LIMIT * 0.75);
    expect(health.score()).toBe(100 - HEALTH_WEIGHTS.memory / 2);

    health.recordMemory(LIMIT * 4);
    expect(health.score()).toBe(100 - HEALTH_WEIGHTS.memory);

    health.recordMemory(0);
    expect(health.score()).toBe(100);
  });

  it('takes the ping weight linearly on the median ping', () => {
    const { health } = setup();

    health.recordPing(50);
    expect(health.score()).toBe(100);

    health.recordPing(2_000);
    expect(health.factors().ping).toBe(0.5);
    expect(health.score()).toBe(100 - HEALTH_WEIGHTS.ping / 2);

    health.recordPing(9_000);
    expect(health.score()).toBe(100 - HEALTH_WEIGHTS.ping);
  });

  it('reaches exactly 0 when every factor is at its worst', () => {
    const { health } = setup();

    repeat(5, () => health.recordFailure());
    repeat(3, () => health.recordDrop());
    health.recordMemory(LIMIT);
    health.recordPing(10_000);

    expect(health.score()).toBe(100 - 35 - 20 - 15 - 10 - 5);
  });

  it('rounds the score to one decimal', () => {
    const { health } = setup();

    health.recordFailure();
    repeat(2, () => health.recordSuccess(0));

    expect(health.score()).toBe(88.3);
  });
});

describe('HealthScore window', () => {
  it('ages samples out with the clock, keeping those exactly one window old', () => {
    const { health, clock } = setup();
    health.recordFailure();
    health.recordSuccess(5_000);
    health.recordDrop();
    health.recordPing(2_000);
    health.recordMemory(LIMIT);

    clock.advance(WINDOW);
    expect(health.score()).toBeLessThan(50);

    clock.advance(1);
    expect(health.score()).toBe(100);
    expect(health.toJSON().counts).toEqual({
      successes: 0,
      failures: 0,
      consecutiveFailures: 0,
      drops: 0,
      pings: 0,
      memorySamples: 0,
    });
  });

  it('weighs only the calls still in the window', () => {
    const { health, clock } = setup();
    repeat(3, () => health.recordFailure());
    health.recordSuccess(0);
    clock.advance(WINDOW / 2);
    repeat(3, () => health.recordSuccess(0));

    clock.advance(WINDOW / 2 + 1);

    expect(health.errorRate()).toBe(0);
  });

  it('keeps at most maxSamples per series, dropping the oldest', () => {
    const { health } = setup({ maxSamples: 4 });

    repeat(4, () => health.recordFailure());
    repeat(4, () => health.recordSuccess(0));
    repeat(6, () => health.recordDrop());
    repeat(5, () => health.recordPing(1));

    expect(health.errorRate()).toBe(0);
    expect(health.toJSON().counts).toMatchObject({ successes: 4, failures: 0, drops: 4, pings: 4 });
  });

  it('caps drops by maxSamples too', () => {
    const { health } = setup({ maxSamples: 2 });

    repeat(3, () => health.recordDrop());

    expect(health.factors().connectionDrops).toBeCloseTo(2 / 3);
    expect(health.score()).toBe(90);
  });
});

describe('HealthScore inputs', () => {
  const bad = [Number.NaN, Infinity, -Infinity, -1, '5' as unknown as number];

  it.each(bad)('ignores %o given as a latency, ping or memory use', (value) => {
    const { health } = setup();

    health.recordSuccess(value);
    health.recordPing(value);
    health.recordMemory(value);

    expect(health.score()).toBe(100);
    expect(health.toJSON().counts).toMatchObject({ successes: 0, pings: 0, memorySamples: 0 });
  });

  it('stays finite and within 0 to 100 whatever it is fed', () => {
    const { health } = setup();
    const values = [...bad, 0, 1e308, Number.MAX_VALUE, Number.MIN_VALUE];

    for (const value of values) {
      health.recordSuccess(value);
      health.recordPing(value);
      health.recordMemory(value);
      health.recordFailure();
      health.recordDrop();
      const score = health.score();
      expect(Number.isFinite(score)).toBe(true);
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThanOrEqual(100);
    }
  });

  it.each([
    [{ windowMs: 0 }, /windowMs must be a finite number above 0, got 0/],
    [{ windowMs: Infinity }, /windowMs .* got Infinity/],
    [{ maxSamples: 0 }, /maxSamples must be an integer of 1 or more, got 0/],
    [{ maxSamples: 1.5 }, /maxSamples .* got 1.5/],
    [{ latencyGoodMs: -1 }, /latencyGoodMs must be a finite number of 0 or more, got -1/],
    [{ latencyBadMs: 100 }, /latencyBadMs must be a finite number above latencyGoodMs \(250\)/],
    [{ pingGoodMs: Number.NaN }, /pingGoodMs .* got NaN/],
    [{ pingBadMs: 50 }, /pingBadMs must be a finite number above pingGoodMs \(50\), got 50/],
    [{ memoryLimitBytes: -1 }, /memoryLimitBytes .* got -1/],
  ])('rejects %o with a RangeError naming the option', (options, message) => {
    const create = () => new HealthScore(options);

    expect(create).toThrow(RangeError);
    expect(create).toThrow(message);
  });

  it('treats an option set to undefined as its default', () => {
    const { health } = setup({ latencyBadMs: undefined });

    health.recordSuccess(5_000);

    expect(health.score()).toBe(100 - HEALTH_WEIGHTS.responseTime);
  });
});

describe('HealthScore JSON', () => {
  it('serialises the score, its factors and the counts as plain data', () => {
    const { health } = setup();
    health.recordFailure();
    health.recordSuccess(0);
    health.recordDrop();

    const json = JSON.parse(JSON.stringify(health)) as unknown;

    expect(json).toEqual({
      score: 100 - 17.5 - 5,
      factors: {
        errorRate: 0.5,
        responseTime: 0,
        consecutiveFailures: 0,
        connectionDrops: 1 / 3,
        memory: 0,
        ping: 0,
      },
      counts: {
        successes: 1,
        failures: 1,
        consecutiveFailures: 0,
        drops: 1,
        pings: 0,
        memorySamples: 0,
      },
    });
  });
});
