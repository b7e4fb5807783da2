import { systemClock } from './CircuitBreaker';
import type { Clock } from './CircuitBreaker';

/** Options of {@link HealthScore}. Every field is optional. */
export interface HealthScoreOptions {
  /**
   * Samples older than this many milliseconds age out.
   * @defaultValue 60000
   */
  windowMs?: number;
  /**
   * Samples kept per series (calls, drops, pings, memory); the oldest go first.
   * @defaultValue 100
   */
  maxSamples?: number;
  /**
   * A median run time at or under this costs nothing.
   * @defaultValue 250
   */
  latencyGoodMs?: number;
  /**
   * A median run time at or over this costs the whole response-time weight.
   * @defaultValue 5000
   */
  latencyBadMs?: number;
  /**
   * A median ping at or under this costs nothing.
   * @defaultValue 50
   */
  pingGoodMs?: number;
  /**
   * A median ping at or over this costs the whole ping weight.
   * @defaultValue 2000
   */
  pingBadMs?: number;
  /**
   * Memory use is measured against this; it starts to cost at half of it.
   * @defaultValue 2147483648 (2 GiB)
   */
  memoryLimitBytes?: number;
}

/** The defaults, in one place: documentation and code read the same constant. */
export const DEFAULT_HEALTH_OPTIONS: Readonly<Required<HealthScoreOptions>> = Object.freeze({
  windowMs: 60_000,
  maxSamples: 100,
  latencyGoodMs: 250,
  latencyBadMs: 5_000,
  pingGoodMs: 50,
  pingBadMs: 2_000,
  memoryLimitBytes: 2 ** 31,
});

/**
 * Points each factor can take off the score of 100; they sum to 100. Failed calls weigh most
 * because they are what a caller feels; ping weighs least because a busy connection answers
 * pings late while still doing useful work.
 */
export const HEALTH_WEIGHTS = Object.freeze({
  /** Share of calls in the window that failed. */
  errorRate: 35,
  /** Median run time of successful calls in the window. */
  responseTime: 15,
  /** Failures since the last success; full penalty at 5. */
  consecutiveFailures: 20,
  /** Crashes or replacements in the window; full penalty at 3. */
  connectionDrops: 15,
  /** Latest memory reading in the window, from half the limit to the whole of it. */
  memory: 10,
  /** Median heartbeat round trip in the window. */
  ping: 5,
});

/** Each factor's penalty as a fraction from 0 (costs nothing) to 1 (costs its whole weight). */
export interface HealthFactors {
  errorRate: number;
  responseTime: number;
  consecutiveFailures: number;
  connectionDrops: number;
  memory: number;
  ping: number;
}

/** A health score as plain JSON, for events and diagnostics. */
export interface HealthSnapshot {
  /** 0 to 100, one decimal. */
  score: number;
  factors: HealthFactors;
  /** Samples in the window, and failures since the last success. */
  counts: {
    successes: number;
    failures: number;
    consecutiveFailures: number;
    drops: number;
    pings: number;
    memorySamples: number;
  };
}

interface Sample {
  at: number;
  value: number;
}

interface CallSample {
  at: number;
  ok: boolean;
  latencyMs: number;
}

// Counts at which these factors cost their whole weight.
const FAILURES_FOR_FULL_PENALTY = 5;
const DROPS_FOR_FULL_PENALTY = 3;
const MEMORY_PENALTY_START = 0.5;

/**
 * A 0–100 health score for one connection over a sliding window of samples, 100 minus each
 * factor's weight ({@link HEALTH_WEIGHTS}) times its penalty ({@link HealthFactors}).
 *
 * With no samples the score is 100: nothing is known against the connection. Inputs that are
 * not finite numbers of 0 or more are ignored, so the score is always finite and within 0–100.
 * Failures since the last success are a running count, not a windowed one: only a success
 * proves the connection well again.
 */
export class HealthScore {
  private readonly options: Readonly<Required<HealthScoreOptions>>;
  private readonly calls: CallSample[] = [];
  private readonly drops: Sample[] = [];
  private readonly pings: Sample[] = [];
  private readonly memory: Sample[] = [];
  private consecutive = 0;

  /**
   * @param options - window, caps and thresholds; see {@link DEFAULT_HEALTH_OPTIONS}.
   * @param clock - the source of time that ages samples out.
   * @throws RangeError naming the option, the allowed range and the value, for a bad option.
   */
  constructor(
    options: HealthScoreOptions = {},
    private readonly clock: Clock = systemClock,
  ) {
    this.options = resolveHealthOptions(options);
  }

  /** Records a successful call and its run time; clears the failures since the last success. */
  recordSuccess(latencyMs: number): void {
    if (!isMeasure(latencyMs)) return;
    this.consecutive = 0;
    this.push(this.calls, { at: this.clock.now(), ok: true, latencyMs });
  }

  /** Records a call the connection failed. */
  recordFailure(): void {
    this.consecutive += 1;
    this.push(this.calls, { at: this.clock.now(), ok: false, latencyMs: 0 });
  }

  /** Records that the connection crashed or was replaced. */
  recordDrop(): void {
    this.push(this.drops, { at: this.clock.now(), value: 1 });
  }

  /** Records one heartbeat round trip. */
  recordPing(ms: number): void {
    if (isMeasure(ms)) this.push(this.pings, { at: this.clock.now(), value: ms });
  }

  /** Records the connection's memory use in bytes. */
  recordMemory(bytes: number): void {
    if (isMeasure(bytes)) this.push(this.memory, { at: this.clock.now(), value: bytes });
  }

  /** The score, 0 to 100 with one decimal; 100 when nothing is known. */
  score(): number {
    const factors = this.factors();
    let lost = 0;
    for (const key of Object.keys(HEALTH_WEIGHTS) as (keyof HealthFactors)[]) {
      lost += HEALTH_WEIGHTS[key] * factors[key];
    }

    const score = Math.min(100, Math.max(0, 100 - lost));
    return Math.round(score * 10) / 10;
  }

  /** Each factor's penalty, 0 to 1. */
  factors(): HealthFactors {
    const { latencyGoodMs, latencyBadMs, pingGoodMs, pingBadMs } = this.options;
    const latencies = this.recent(this.calls).filter((call) => call.ok);

    return {
      errorRate: this.errorRate(),
      responseTime: ramp(median(latencies.map((c) => c.latencyMs)), latencyGoodMs, latencyBadMs),
      consecutiveFailures: Math.min(this.consecutive / FAILURES_FOR_FULL_PENALTY, 1),
      connectionDrops: Math.min(this.recent(this.drops).length / DROPS_FOR_FULL_PENALTY, 1),
      memory: this.memoryPenalty(),
      ping: ramp(median(this.recent(this.pings).map((p) => p.value)), pingGoodMs, pingBadMs),
    };
  }

  /** Failed calls as a share of the calls in the window, 0 to 1; 0 when there were none. */
  errorRate(): number {
    const calls = this.recent(this.calls);
    if (calls.length === 0) return 0;

    return calls.filter((call) => !call.ok).length / calls.length;
  }

  /** The score, its factors and the sample counts as plain JSON. */
  toJSON(): HealthSnapshot {
    const calls = this.recent(this.calls);
    const failures = calls.filter((call) => !call.ok).length;

    return {
      score: this.score(),
      factors: this.factors(),
      counts: {
        successes: calls.length - failures,
        failures,
        consecutiveFailures: this.consecutive,
        drops: this.recent(this.drops).length,
        pings: this.recent(this.pings).length,
        memorySamples: this.recent(this.memory).length,
      },
    };
  }

  private memoryPenalty(): number {
    const latest = this.recent(this.memory).at(-1);
    if (latest === undefined) return 0;

    const limit = this.options.memoryLimitBytes;
    return ramp(latest.value, limit * MEMORY_PENALTY_START, limit);
  }

  private push<T>(series: T[], sample: T): void {
    series.push(sample);
    if (series.length > this.options.maxSamples) series.shift();
  }

  private recent<T extends { at: number }>(series: readonly T[]): T[] {
    const oldest = this.clock.now() - this.options.windowMs;
    return series.filter((sample) => sample.at >= oldest);
  }
}

function resolveHealthOptions(options: HealthScoreOptions): Required<HealthScoreOptions> {
  const resolved = { ...DEFAULT_HEALTH_OPTIONS };
  for (const key of Object.keys(DEFAULT_HEALTH_OPTIONS) as (keyof HealthScoreOptions)[]) {
    const value = options?.[key];
    if (value !== undefined) resolved[key] = value;
  }

  requireMeasure(resolved.latencyGoodMs, 'latencyGoodMs');
  requireMeasure(resolved.pingGoodMs, 'pingGoodMs');
  requireAbove(resolved.windowMs, 'windowMs', '0', 0);
  requireAbove(resolved.memoryLimitBytes, 'memoryLimitBytes', '0', 0);
  requireAbove(resolved.latencyBadMs, 'latencyBadMs', 'latencyGoodMs', resolved.latencyGoodMs);
  requireAbove(resolved.pingBadMs, 'pingBadMs', 'pingGoodMs', resolved.pingGoodMs);
  requireCount(resolved.maxSamples, 'maxSamples');
  return resolved;
}

function requireAbove(value: unknown, name: string, floorName: string, floor: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > floor)) {
    const range = floorName === String(floor) ? floorName : `${floorName} (${floor})`;
    throw new RangeError(
      `HealthScore: ${name} must be a finite number above ${range}, got ${String(value)}`,
    );
  }
}

function requireMeasure(value: unknown, name: string): void {
  if (!isMeasure(value)) {
    throw new RangeError(
      `HealthScore: ${name} must be a finite number of 0 or more, got ${String(value)}`,
    );
  }
}

function requireCount(value: unknown, name: string): void {
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new RangeError(
      `HealthScore: ${name} must be an integer of 1 or more, got ${String(value)}`,
    );
  }
}

function isMeasure(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** 0 at or under `good`, 1 at or over `bad`, linear between; 0 for no value. */
function ramp(value: number | undefined, good: number, bad: number): number {
  if (value === undefined) return 0;
  return Math.min(1, Math.max(0, (value - good) / (bad - good)));
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);

  const upper = sorted[middle] as number;
  if (sorted.length % 2 === 1) return upper;
  return ((sorted[middle - 1] as number) + upper) / 2;
}
