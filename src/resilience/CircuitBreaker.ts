import { isCount, isPlainRecord } from '../util/plainData';

/** Where a breaker stands: passing calls, failing them fast, or letting a few trials through. */
export type CircuitState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

/** A source of time in milliseconds with `Date.now` semantics, injectable so tests own time. */
export interface Clock {
  /** Milliseconds since the epoch, as `Date.now()` returns them. */
  now(): number;
}

/** The clock of the page: wall-clock time, so a saved `openUntil` still means something later. */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/** Options of {@link CircuitBreaker}. Every field is optional. */
export interface CircuitBreakerOptions {
  /**
   * Consecutive failures that open a closed breaker.
   * @defaultValue 5
   */
  failureThreshold?: number;
  /**
   * How long an open breaker fails calls fast before it lets a trial through.
   * @defaultValue 30000
   */
  resetTimeoutMs?: number;
  /**
   * Trial calls in flight at once while half-open; extra calls are turned away, not counted.
   * @defaultValue 3
   */
  halfOpenMaxTrials?: number;
  /**
   * Consecutive trial successes that close a half-open breaker.
   * @defaultValue 3
   */
  successThreshold?: number;
}

/** The defaults, in one place: documentation and code read the same constant. */
export const DEFAULT_BREAKER_OPTIONS: Readonly<Required<CircuitBreakerOptions>> = Object.freeze({
  failureThreshold: 5,
  resetTimeoutMs: 30_000,
  halfOpenMaxTrials: 3,
  successThreshold: 3,
});

/** One change of state, as reported to the breaker's `onTransition` listener. */
export interface BreakerTransition {
  /** The state left. */
  from: CircuitState;
  /** The state entered. */
  to: CircuitState;
  /** Why, in a few words: `'failure threshold'`, `'trial failed'`, a crash's own reason. */
  reason: string;
  /** Clock time of the change. */
  at: number;
}

/** A breaker's state as plain JSON, for storage between page loads. */
export interface CircuitSnapshot {
  /** Format version; a snapshot of any other version is treated as corrupt. */
  version: 1;
  /** The state when saved; HALF_OPEN is restored as OPEN with a trial due at once. */
  state: CircuitState;
  /** Failures since the last success; only kept when restored CLOSED. */
  consecutiveFailures: number;
  /** Clock time at which an open breaker allows a trial; null unless open and not isolated. */
  openUntil: number | null;
  /** True while held open by {@link CircuitBreaker.isolate}. */
  isolated: boolean;
  /** Times the breaker has gone to OPEN. */
  trips: number;
}

/**
 * The right to make one call through the breaker. Settle it once with the call's outcome;
 * later settlements are ignored.
 */
export interface Permit {
  /** True when the call is one of the half-open trials. */
  readonly trial: boolean;
  /** The call succeeded: counts toward closing, clears the failure count. */
  success(): void;
  /** The connection failed the call: counts toward opening. */
  failure(): void;
  /**
   * The call ended for a reason that says nothing about the connection (the caller's own error,
   * a cancellation): decides nothing, but frees a half-open trial slot.
   */
  release(): void;
}

/** Why a call was turned away. */
export type RejectionReason = 'open' | 'half-open-full' | 'isolated';

/** The answer to {@link CircuitBreaker.tryAcquire}: a permit, or the reason there is none. */
export type Admission =
  | { admitted: true; permit: Permit }
  | { admitted: false; reason: RejectionReason; retryAfterMs: number };

/** Receives every change of state, once each. */
export type TransitionListener = (transition: BreakerTransition) => void;

type Outcome = 'success' | 'failure' | 'release';

const COUNT_OPTIONS = ['failureThreshold', 'halfOpenMaxTrials', 'successThreshold'] as const;
const STATES: readonly CircuitState[] = ['CLOSED', 'OPEN', 'HALF_OPEN'];
/**
 * A circuit breaker for one connection. It counts consecutive failures, fails calls fast while
 * open, and lets a bounded number of trials through once the reset time has passed.
 *
 * Every transition starts a new generation; a permit from an older generation (a call that was
 * already running when the breaker changed) is a late result and moves nothing.
 *
 * The state is only ever changed by a method call, never by reading it: the open-to-half-open
 * move happens inside {@link CircuitBreaker.tryAcquire}, so a read can never race a decision.
 * A listener that throws leaves the breaker consistent; the error reaches the method's caller.
 */
export class CircuitBreaker {
  private readonly options: Readonly<Required<CircuitBreakerOptions>>;
  private current: CircuitState = 'CLOSED';
  private failures = 0;
  private successes = 0;
  private openUntil: number | null = null;
  private isolated = false;
  private tripCount = 0;
  private generation = 0;
  private trialsInFlight = 0;

  /**
   * @param options - thresholds and timings; see {@link DEFAULT_BREAKER_OPTIONS}.
   * @param clock - the source of time.
   * @param onTransition - called once per change of state, never at construction.
   * @throws RangeError naming the option, the allowed range and the value, for a bad option.
   */
  constructor(
    options: CircuitBreakerOptions = {},
    private readonly clock: Clock = systemClock,
    private readonly onTransition?: TransitionListener,
  ) {
    this.options = resolveBreakerOptions(options);
  }

  /**
   * Rebuilds a breaker saved with {@link CircuitBreaker.toJSON}. An open breaker keeps its
   * remaining open time (and goes half-open on the next call if that time has passed); a
   * half-open one comes back open with a trial due at once; an isolated one stays isolated;
   * anything corrupt or implausible comes back closed. Emits no transition.
   */
  static restore(
    snapshot: unknown,
    options?: CircuitBreakerOptions,
    clock: Clock = systemClock,
    onTransition?: TransitionListener,
  ): CircuitBreaker {
    const breaker = new CircuitBreaker(options, clock, onTransition);
    const parsed = parseSnapshot(snapshot);

    if (parsed !== null && breaker.isPlausible(parsed)) breaker.load(parsed);
    return breaker;
  }

  /** The current state. Reading it never changes it. */
  get state(): CircuitState {
    return this.current;
  }

  /** Milliseconds until a call may be tried again: 0 unless open, Infinity while isolated. */
  get retryAfterMs(): number {
    if (this.isolated) return Infinity;
    if (this.current !== 'OPEN' || this.openUntil === null) return 0;
    return Math.max(0, this.openUntil - this.clock.now());
  }

  /** How many times the breaker has gone to OPEN. */
  get trips(): number {
    return this.tripCount;
  }

  /** Half-open trials currently in flight. */
  get inFlightTrials(): number {
    return this.current === 'HALF_OPEN' ? this.trialsInFlight : 0;
  }

  /** Asks to make a call. An admitted call must settle its permit exactly once. */
  tryAcquire(): Admission {
    if (this.isolated) return { admitted: false, reason: 'isolated', retryAfterMs: Infinity };
    this.halfOpenIfDue();

    if (this.current === 'CLOSED') return { admitted: true, permit: this.issue(false) };
    if (this.current === 'OPEN') {
      return { admitted: false, reason: 'open', retryAfterMs: this.retryAfterMs };
    }
    if (this.trialsInFlight >= this.options.halfOpenMaxTrials) {
      return { admitted: false, reason: 'half-open-full', retryAfterMs: 0 };
    }
    return { admitted: true, permit: this.issue(true) };
  }

  /**
   * Opens at once from any state, as after a crash. An already open breaker starts its open
   * period again without reporting a second transition; an isolated one stays isolated.
   */
  trip(reason: string): void {
    if (this.isolated) return;
    this.open(reason);
  }

  /** Holds the breaker open, turning every call away, until {@link CircuitBreaker.reset}. */
  isolate(): void {
    if (this.isolated) return;
    this.isolated = true;
    this.openUntil = null;

    if (this.current !== 'OPEN') this.moveTo('OPEN', 'isolated');
  }

  /** Closes the breaker, clears its counters and lifts any isolation. */
  reset(): void {
    this.isolated = false;
    this.openUntil = null;
    this.failures = 0;
    this.successes = 0;

    if (this.current !== 'CLOSED') this.moveTo('CLOSED', 'reset');
  }

  /** The state as plain JSON; `openUntil` is a clock time, so it survives a reload. */
  toJSON(): CircuitSnapshot {
    const open = this.current === 'OPEN' && !this.isolated;
    return {
      version: 1,
      state: this.current,
      consecutiveFailures: this.failures,
      openUntil: open ? this.openUntil : null,
      isolated: this.isolated,
      trips: this.tripCount,
    };
  }

  private halfOpenIfDue(): void {
    if (this.current !== 'OPEN' || this.openUntil === null) return;
    if (this.clock.now() < this.openUntil) return;

    this.openUntil = null;
    this.moveTo('HALF_OPEN', 'reset timeout elapsed');
  }

  private issue(trial: boolean): Permit {
    const generation = this.generation;
    let settled = false;
    const settle = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      this.settle(outcome, generation, trial);
    };

    if (trial) this.trialsInFlight += 1;
    return Object.freeze({
      trial,
      success: () => settle('success'),
      failure: () => settle('failure'),
      release: () => settle('release'),
    });
  }

  private settle(outcome: Outcome, generation: number, trial: boolean): void {
    // A late result: the breaker has moved on since the call began (decision 5).
    if (generation !== this.generation) return;
    if (trial) this.trialsInFlight -= 1;

    if (outcome === 'success') this.recordSuccess();
    if (outcome === 'failure') this.recordFailure();
  }

  private recordSuccess(): void {
    if (this.current === 'CLOSED') {
      this.failures = 0;
      return;
    }
    if (this.current !== 'HALF_OPEN') return;

    this.successes += 1;
    if (this.successes >= this.options.successThreshold) this.moveTo('CLOSED', 'trial successes');
  }

  private recordFailure(): void {
    if (this.current === 'HALF_OPEN') {
      this.open('trial failed');
      return;
    }
    if (this.current !== 'CLOSED') return;

    this.failures += 1;
    if (this.failures >= this.options.failureThreshold) this.open('failure threshold');
  }

  private open(reason: string): void {
    this.openUntil = this.clock.now() + this.options.resetTimeoutMs;
    if (this.current !== 'OPEN') this.moveTo('OPEN', reason);
  }

  private moveTo(to: CircuitState, reason: string): void {
    const from = this.current;
    this.current = to;
    this.generation += 1;
    this.trialsInFlight = 0;
    this.successes = 0;
    if (to === 'OPEN') this.tripCount += 1;
    if (to === 'CLOSED') this.failures = 0;

    this.onTransition?.({ from, to, reason, at: this.clock.now() });
  }

  private isPlausible(snapshot: CircuitSnapshot): boolean {
    if (snapshot.isolated) return snapshot.state === 'OPEN';
    if (snapshot.state !== 'OPEN') return true;
    if (snapshot.openUntil === null) return false;

    // A clock time further ahead than one open period was never written by this breaker.
    return snapshot.openUntil - this.clock.now() <= this.options.resetTimeoutMs;
  }

  private load(snapshot: CircuitSnapshot): void {
    this.tripCount = snapshot.trips;
    this.failures = snapshot.state === 'CLOSED' ? snapshot.consecutiveFailures : 0;

    if (snapshot.isolated) {
      this.current = 'OPEN';
      this.isolated = true;
    } else if (snapshot.state === 'OPEN') {
      this.current = 'OPEN';
      this.openUntil = snapshot.openUntil;
    } else if (snapshot.state === 'HALF_OPEN') {
      // The trials in flight when it was saved are gone: start a fresh half-open period.
      this.current = 'OPEN';
      this.openUntil = this.clock.now();
    }
  }
}

function resolveBreakerOptions(options: CircuitBreakerOptions): Required<CircuitBreakerOptions> {
  const resolved = { ...DEFAULT_BREAKER_OPTIONS };
  for (const key of Object.keys(DEFAULT_BREAKER_OPTIONS) as (keyof CircuitBreakerOptions)[]) {
    const value = options?.[key];
    if (value !== undefined) resolved[key] = value;
  }

  for (const key of COUNT_OPTIONS) requireCount(resolved[key], key);
  requirePositive(resolved.resetTimeoutMs, 'resetTimeoutMs');
  return resolved;
}

function requireCount(value: unknown, name: string): void {
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new RangeError(
      `CircuitBreaker: ${name} must be an integer of 1 or more, got ${String(value)}`,
    );
  }
}

function requirePositive(value: unknown, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(
      `CircuitBreaker: ${name} must be a finite number above 0, got ${String(value)}`,
    );
  }
}

/**
 * A saved breaker state with every field of the right type, or null. Plausibility against a
 * clock and options is {@link CircuitBreaker.restore}'s to judge.
 */
export function parseSnapshot(value: unknown): CircuitSnapshot | null {
  if (!isPlainRecord(value)) return null;
  const { version, state, consecutiveFailures, openUntil, isolated, trips } = value;

  if (version !== 1 || !STATES.includes(state as CircuitState)) return null;
  if (!isCount(consecutiveFailures) || !isCount(trips) || typeof isolated !== 'boolean') {
    return null;
  }
  if (openUntil !== null && !(typeof openUntil === 'number' && Number.isFinite(openUntil))) {
    return null;
  }
  return { version, state: state as CircuitState, consecutiveFailures, openUntil, isolated, trips };
}
