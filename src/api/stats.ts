import type { HistoryHealth, Recommendation } from '../history/HealthHistory';
import type { CircuitState } from '../resilience/CircuitBreaker';
import type { HealthFactors } from '../resilience/HealthScore';
import type { TensorStats } from '../tensors/TensorStore';
import type { Backend, BackendFailure, ConnectionKind, ModelType, Precision } from './types';

/** One connection slot, as `pool.stats()` reports it. */
export interface ConnectionStats {
  /** Stable across restarts: the place in the pool, not one worker. */
  id: string;
  kind: ConnectionKind;
  backend: Backend;
  /**
   * `idle`: no worker now (never started, or drained); the next call starts one.
   * `unavailable`: the backend is missing in this browser; nothing will start here.
   */
  state: 'idle' | 'starting' | 'ready' | 'draining' | 'closed' | 'unavailable';
  /** Workers started in this place so far. */
  incarnations: number;
  runs: number;
  errors: number;
  /** Errors over calls, 0 with no calls. */
  errorRate: number;
  inFlight: number;
  models: number;
  circuitState: CircuitState;
  healthScore: number;
  /** The last heartbeat's round trip. */
  pingMs: number | undefined;
  /** The host's WebAssembly memory at the last heartbeat; it never shrinks. */
  memoryBytes: number | undefined;
  /** Incoming messages dropped as malformed, unknown or repeated. */
  droppedMessages: number;
  /** The adapter, when the backend is WebGPU. */
  adapter: string | undefined;
}

/** One model, as `pool.stats()` reports it. */
export interface ModelStats {
  name: string;
  type: ModelType;
  /** The backend the model was loaded on. */
  backend: Backend | undefined;
  /** The backend its last successful call ran on (differs after a fallback). */
  lastBackend: Backend | undefined;
  precision: Precision | undefined;
  references: number;
  runs: number;
  errors: number;
  loadMs: number | undefined;
  /** The warm-up run's time, when the model had one. */
  warmupMs: number | undefined;
  /** Median of the recent runs' time in the host. */
  medianRunMs: number | undefined;
  /** Backends tried before the one that loaded the model, and why each was passed over. */
  fallbacks: BackendFailure[];
  /** The order its backends were tried in, and why: history, the browser's default, or as given. */
  route: { order: Backend[]; reason: string };
}

/** A plain, serialisable snapshot of the pool. */
export interface PoolStats {
  connections: ConnectionStats[];
  models: ModelStats[];
  /** Backends found missing in this page; they are not tried again. */
  capabilityFailures: BackendFailure[];
  totalRuns: number;
  totalErrors: number;
  /** Calls waiting for room on a connection. */
  queued: number;
  /** Tensors kept inside connections, and how often they saved a copy. */
  tensors: TensorStats;
  /**
   * Messages in webaccel's format that reached the page's window, counted since the first
   * iframe connection started. Hosts speak only on their own channels, so each one was forged
   * (by another frame, or a host frame navigated elsewhere) and was ignored.
   */
  forgedMessages: number;
}

/** One connection's health, as `pool.health()` reports it. */
export interface ConnectionHealth {
  healthScore: number;
  kind: ConnectionKind;
  backend: Backend;
  circuitState: CircuitState;
  errorRate: number;
  /** Each factor's penalty, 0 (none) to 1 (the factor's whole weight). */
  factors: HealthFactors;
  /** Milliseconds until an open circuit lets a trial through; -1 while isolated by hand. */
  retryAfterMs: number;
  trips: number;
}

/** The pool's health: the WebNN/WebGPU resource pool's fields in camelCase, plain and serialisable. */
export interface PoolHealth {
  /** Mean of the connections' scores; 100 with no connection. */
  overallHealthScore: number;
  openCircuitCount: number;
  halfOpenCircuitCount: number;
  connections: Record<string, ConnectionHealth>;
  /** Recovery strategies applied, by the category of the failure they answered. */
  recoveryAttempts: Record<string, number>;
  /** Failures seen, by category, caller mistakes included. */
  errorCategories: Record<string, number>;
  /** Where history is kept (and why, when not where asked), and what it holds per backend. */
  history: HistoryHealth;
  /** Per model type, the backend and connection kind measured best, with the figures behind it. */
  recommendations: Partial<Record<ModelType, Recommendation>>;
}
