import type { Backend, ConnectionKind } from './types';
import {
  CircuitBreaker,
  DEFAULT_BREAKER_OPTIONS,
  systemClock,
  type CircuitBreakerOptions,
  type Clock,
} from '../resilience/CircuitBreaker';
import type { HistoryOptions } from '../history/HealthHistory';
import { DEFAULT_HEALTH_OPTIONS, HealthScore, type HealthScoreOptions } from '../resilience/HealthScore';

/** How a failed call is tried again. */
export interface RetryOptions {
  /**
   * Attempts a call may make in all, the first included. Calls turned away by an open breaker
   * without reaching a connection do not count.
   * @defaultValue 4
   */
  maxAttempts?: number;
  /**
   * Backoff before the first retry; it doubles with each retry, with full jitter.
   * @defaultValue 100
   */
  baseDelayMs?: number;
  /**
   * The longest backoff.
   * @defaultValue 2000
   */
  maxDelayMs?: number;
}

/** Options of {@link createResourcePool}. Every field is optional. */
export interface PoolOptions {
  /**
   * Backends a model tries, in order, unless its preferences say otherwise.
   * @defaultValue `['webgpu', 'webnn', 'wasm']`
   */
  priority?: readonly Backend[];
  /**
   * Deadline of a run unless the call sets `timeoutMs`.
   * @defaultValue 60000
   */
  runTimeoutMs?: number;
  /**
   * Deadline for a connection's host to start and detect its capabilities.
   * @defaultValue 30000
   */
  startTimeoutMs?: number;
  /**
   * Deadline for creating a session from model bytes.
   * @defaultValue 120000
   */
  loadTimeoutMs?: number;
  /**
   * Pause between heartbeats of each connection.
   * @defaultValue 1000
   */
  heartbeatIntervalMs?: number;
  /**
   * A heartbeat unanswered this long is missed. It must outlast the longest single kernel the
   * page runs, since a busy WebAssembly thread answers only between kernels.
   * @defaultValue 10000
   */
  heartbeatTimeoutMs?: number;
  /**
   * Consecutive missed heartbeats after which a connection is declared hung and replaced.
   * @defaultValue 1
   */
  heartbeatMaxMisses?: number;
  /**
   * Absolute URL prefix of onnxruntime-web's `.wasm` files; leave unset when a bundler serves
   * them (Vite does).
   */
  wasmPaths?: string;
  /**
   * WebAssembly threads per connection; more than one needs a cross-origin isolated page.
   * @defaultValue 1
   */
  numThreads?: number;
  /**
   * Connections one backend may have at once. More start as calls queue up, and when one is
   * distrusted.
   * @defaultValue `navigator.hardwareConcurrency` between 2 and 4; 1 in low-memory mode
   */
  maxConnectionsPerBackend?: number;
  /**
   * Calls in flight on one connection at once; more wait in the pool's queue.
   * @defaultValue 1
   */
  concurrencyPerConnection?: number;
  /**
   * Calls that may wait for room at once; one more is turned away with `QUEUE_FULL`.
   * @defaultValue 256
   */
  maxQueueLength?: number;
  /**
   * A connection without a call this long is ended (all but each backend's first, or all of
   * them in low-memory mode); the next call starts a fresh one.
   * @defaultValue 60000
   */
  idleTimeoutMs?: number;
  /**
   * A connection is replaced after this many runs; WebAssembly memory never shrinks.
   * @defaultValue Infinity
   */
  recycleAfterRuns?: number;
  /**
   * A connection is replaced once its WebAssembly memory passes this many MiB.
   * @defaultValue 2048
   */
  recycleAboveMemoryMb?: number;
  /**
   * The largest model the pool downloads; a download stops as soon as it passes this.
   * @defaultValue 2048
   */
  maxModelMb?: number;
  /**
   * The largest reply a connection may send; a larger one is dropped and its call rejected
   * with `MESSAGE_TOO_LARGE`.
   * @defaultValue 2048
   */
  maxMessageMb?: number;
  /**
   * Whether `data:` URLs may be model sources.
   * @defaultValue false
   */
  allowDataUrls?: boolean;
  /**
   * Memory that tensors kept with `run(feeds, { keep })` may hold inside connections; past it
   * the least recently used are copied to the page and freed there.
   * @defaultValue 512
   */
  maxMemoryMb?: number;
  /**
   * Fewer connections (one per backend), the smallest precision variant a source lists unless
   * one is asked for, and idle connections (with their models) ended.
   * @defaultValue false
   */
  lowMemory?: boolean;
  /** Each connection's circuit breaker; see `DEFAULT_BREAKER_OPTIONS` (5 failures, 30 s, 3, 3). */
  breaker?: CircuitBreakerOptions;
  /** Each connection's health score; see `DEFAULT_HEALTH_OPTIONS`. */
  health?: HealthScoreOptions;
  /** Retries and their backoff. */
  retry?: RetryOptions;
  /**
   * Where the host worker script is served, for pages that serve it themselves; by default the
   * bundler's copy.
   */
  hostWorkerUrl?: string | URL;
  /**
   * Where the sandboxed iframe host page is served; serve it from another site (for example
   * `127.0.0.1` beside `localhost`) so that Chromium gives it a process of its own.
   */
  hostIframeUrl?: string | URL;
  /**
   * The kind of connection models run in unless their preferences say otherwise.
   * @defaultValue 'worker'
   */
  connectionKind?: ConnectionKind;
  /**
   * Where history (run times, breaker states, recent failures) is kept: in IndexedDB, shared
   * with the origin's other tabs and used across reloads, or in this pool's memory alone.
   * @defaultValue 'indexeddb'
   */
  storage?: 'indexeddb' | 'memory';
  /** The history database: its name, time to live, timeouts; see `DEFAULT_POOL_OPTIONS.history`. */
  history?: HistoryOptions;
  /**
   * The clock breakers, health windows and deadlines read.
   * @defaultValue `Date.now`
   */
  clock?: Clock;
  /**
   * Lets tests inject real faults into hosts through the pool's internals. Never needed in use.
   * @defaultValue false
   */
  faultInjection?: boolean;
  /**
   * The fetch used for model URLs.
   * @defaultValue `globalThis.fetch`
   */
  fetch?: typeof fetch;
}

/** {@link PoolOptions} with every default filled in. */
export type ResolvedPoolOptions = Required<
  Omit<PoolOptions, 'wasmPaths' | 'hostWorkerUrl' | 'hostIframeUrl' | 'retry' | 'breaker' | 'history'>
> &
  Pick<PoolOptions, 'wasmPaths' | 'hostWorkerUrl' | 'hostIframeUrl'> & {
    retry: Required<RetryOptions>;
    breaker: Required<CircuitBreakerOptions>;
    history: Required<HistoryOptions>;
  };

/** The defaults, in one place: documentation and code read the same constant. */
export const DEFAULT_POOL_OPTIONS: Readonly<
  Omit<ResolvedPoolOptions, 'fetch' | 'clock' | 'maxConnectionsPerBackend'>
> = Object.freeze({
  priority: Object.freeze(['webgpu', 'webnn', 'wasm'] as const),
  runTimeoutMs: 60_000,
  startTimeoutMs: 30_000,
  loadTimeoutMs: 120_000,
  heartbeatIntervalMs: 1_000,
  heartbeatTimeoutMs: 10_000,
  heartbeatMaxMisses: 1,
  numThreads: 1,
  concurrencyPerConnection: 1,
  maxQueueLength: 256,
  idleTimeoutMs: 60_000,
  recycleAfterRuns: Infinity,
  recycleAboveMemoryMb: 2048,
  maxMemoryMb: 512,
  maxModelMb: 2048,
  maxMessageMb: 2048,
  allowDataUrls: false,
  connectionKind: 'worker',
  lowMemory: false,
  breaker: DEFAULT_BREAKER_OPTIONS,
  health: Object.freeze({}),
  retry: Object.freeze({ maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 2_000 }),
  faultInjection: false,
  storage: 'indexeddb',
  history: Object.freeze({
    database: 'webaccel',
    ttlMs: 7 * 24 * 3_600_000,
    openTimeoutMs: 3_000,
    retryMs: 30_000,
    flushIntervalMs: 1_000,
    maxFailures: 100,
  }),
});

const BACKENDS: readonly Backend[] = ['webgpu', 'webnn', 'wasm'];

/** Fills defaults and rejects values that cannot work, naming the option. */
export function resolvePoolOptions(options: PoolOptions = {}): ResolvedPoolOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`createResourcePool(options): options must be an object, got ${String(options)}`);
  }
  rejectUnknownKeys(options, KNOWN_OPTIONS, 'createResourcePool');
  rejectUnknownKeys(options.retry ?? {}, Object.keys(DEFAULT_POOL_OPTIONS.retry), 'options.retry');
  rejectUnknownKeys(options.breaker ?? {}, Object.keys(DEFAULT_BREAKER_OPTIONS), 'options.breaker');
  rejectUnknownKeys(options.health ?? {}, Object.keys(DEFAULT_HEALTH_OPTIONS), 'options.health');
  rejectUnknownKeys(options.history ?? {}, Object.keys(DEFAULT_POOL_OPTIONS.history), 'options.history');
  const given = stripUndefined(options);
  const resolved: ResolvedPoolOptions = {
    ...DEFAULT_POOL_OPTIONS,
    fetch: globalThis.fetch.bind(globalThis),
    clock: systemClock,
    maxConnectionsPerBackend: defaultMaxConnections(options.lowMemory === true),
    ...given,
    retry: { ...DEFAULT_POOL_OPTIONS.retry, ...stripUndefined(options.retry ?? {}) },
    breaker: { ...DEFAULT_POOL_OPTIONS.breaker, ...stripUndefined(options.breaker ?? {}) },
    health: { ...stripUndefined(options.health ?? {}) },
    history: { ...DEFAULT_POOL_OPTIONS.history, ...stripUndefined(options.history ?? {}) },
  };
  validatePriority(resolved.priority, 'options.priority');
  for (const key of POSITIVE_NUMBERS) requirePositive(resolved[key], `options.${key}`);
  for (const key of COUNTS) requireCount(resolved[key], `options.${key}`);
  requireCount(resolved.retry.maxAttempts, 'options.retry.maxAttempts');
  requirePositive(resolved.retry.maxDelayMs, 'options.retry.maxDelayMs');
  if (!(resolved.retry.baseDelayMs >= 0)) {
    throw new RangeError(`options.retry.baseDelayMs must be 0 or more, got ${String(resolved.retry.baseDelayMs)}`);
  }
  checkTypes(resolved);
  checkHistory(resolved);
  // Built once here so that their own checks name a bad value now, not at the first call.
  new CircuitBreaker(resolved.breaker);
  new HealthScore(resolved.health);
  return resolved;
}

/** Counts that must be whole numbers (Infinity allowed where it means "never"). */
const COUNTS = [
  'heartbeatMaxMisses',
  'numThreads',
  'maxConnectionsPerBackend',
  'concurrencyPerConnection',
  'maxQueueLength',
  'recycleAfterRuns',
] as const;

function requireCount(value: number, name: string): void {
  if (!Number.isInteger(value) && value !== Infinity) {
    throw new RangeError(`${name} must be a whole number, got ${String(value)}`);
  }
}

function checkTypes(resolved: ResolvedPoolOptions): void {
  for (const key of ['lowMemory', 'faultInjection', 'allowDataUrls'] as const) {
    if (typeof resolved[key] !== 'boolean') {
      throw new TypeError(`options.${key} must be true or false, got ${JSON.stringify(resolved[key])}`);
    }
  }
  if (typeof resolved.fetch !== 'function') throw new TypeError('options.fetch must be a function');
  if (typeof resolved.clock?.now !== 'function') throw new TypeError('options.clock must have now()');
  if (resolved.wasmPaths !== undefined && typeof resolved.wasmPaths !== 'string') {
    throw new TypeError('options.wasmPaths must be a URL prefix string');
  }
  for (const key of ['hostWorkerUrl', 'hostIframeUrl'] as const) {
    const url = resolved[key];
    if (url !== undefined && typeof url !== 'string' && !(url instanceof URL)) {
      throw new TypeError(`options.${key} must be a string or a URL`);
    }
  }
  if (resolved.connectionKind !== 'worker' && resolved.connectionKind !== 'iframe') {
    throw new RangeError(`options.connectionKind must be 'worker' or 'iframe', got ${JSON.stringify(resolved.connectionKind)}`);
  }
}

function checkHistory(resolved: ResolvedPoolOptions): void {
  if (resolved.storage !== 'indexeddb' && resolved.storage !== 'memory') {
    throw new RangeError(`options.storage must be 'indexeddb' or 'memory', got ${JSON.stringify(resolved.storage)}`);
  }
  const { database, maxFailures, ...times } = resolved.history;
  if (typeof database !== 'string' || database.length === 0) {
    throw new TypeError(`options.history.database must be a non-empty string, got ${JSON.stringify(database)}`);
  }
  requireCount(maxFailures, 'options.history.maxFailures');
  requirePositive(maxFailures, 'options.history.maxFailures');
  for (const [key, value] of Object.entries(times)) requirePositive(value, `options.history.${key}`);
}

const POSITIVE_NUMBERS = [
  'runTimeoutMs',
  'startTimeoutMs',
  'loadTimeoutMs',
  'heartbeatIntervalMs',
  'heartbeatTimeoutMs',
  'heartbeatMaxMisses',
  'numThreads',
  'maxConnectionsPerBackend',
  'concurrencyPerConnection',
  'maxQueueLength',
  'idleTimeoutMs',
  'recycleAfterRuns',
  'recycleAboveMemoryMb',
  'maxMemoryMb',
  'maxModelMb',
  'maxMessageMb',
] as const;

/** Two to four connections per backend by the cores the browser reports; one when memory is low. */
export function defaultMaxConnections(lowMemory: boolean): number {
  if (lowMemory) return 1;
  const cores = globalThis.navigator?.hardwareConcurrency ?? 2;
  return Math.max(2, Math.min(4, cores));
}

/** Throws unless `priority` is a non-empty list of known backends without repeats. */
export function validatePriority(priority: unknown, name: string): asserts priority is Backend[] {
  if (!Array.isArray(priority) || priority.length === 0) {
    throw new TypeError(`${name} must be a non-empty array of ${BACKENDS.join(', ')}`);
  }
  for (const backend of priority) {
    if (!BACKENDS.includes(backend as Backend)) {
      throw new RangeError(`${name} has unknown backend ${JSON.stringify(backend)}; use ${BACKENDS.join(', ')}`);
    }
  }
  if (new Set(priority).size !== priority.length) throw new RangeError(`${name} lists a backend twice`);
}

const KNOWN_OPTIONS: readonly string[] = [
  ...Object.keys(DEFAULT_POOL_OPTIONS),
  'fetch',
  'clock',
  'maxConnectionsPerBackend',
  'wasmPaths',
  'hostWorkerUrl',
  'hostIframeUrl',
];

/** A misspelt option would otherwise be ignored without a word. */
function rejectUnknownKeys(options: object, known: readonly string[], where: string): void {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${where} must be an object`);
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = known.find((k) => k.toLowerCase().startsWith(key.toLowerCase().slice(0, 6)));
    const hint = near === undefined ? '' : `; did you mean ${near}?`;
    throw new TypeError(`${where}: unknown option ${JSON.stringify(key)}${hint}`);
  }
}

function requirePositive(value: unknown, name: string): void {
  if (typeof value !== 'number' || !(value > 0)) {
    throw new RangeError(`${name} must be a number above 0, got ${String(value)}`);
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
