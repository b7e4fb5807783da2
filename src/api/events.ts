import type { CircuitState } from '../resilience/CircuitBreaker';
import type { RecoveryStrategy } from '../resilience/RecoveryPlan';
import type { Backend, BackendFailure, ConnectionKind } from './types';

/** The events of `pool.events`, by name. */
export type PoolEvents = {
  /** A connection is starting in a slot. */
  'connection:start': { connectionId: string; kind: ConnectionKind; backend: Backend };
  /** A connection's host started and reported its capabilities. */
  'connection:ready': { connectionId: string; kind: ConnectionKind; backend: Backend };
  /** A connection ended; `category` and `code` say why. */
  'connection:close': {
    connectionId: string;
    kind: ConnectionKind;
    backend: Backend;
    category: string;
    code: string;
    message: string;
  };
  /**
   * A host reported what nobody caught (an unhandled rejection, an uncaught error, a GPU error
   * or a lost device); it is kept off the page's console.
   */
  'connection:error': { connectionId: string; type: string; message: string };
  /** A connection's circuit breaker changed state. */
  'breaker:transition': {
    connectionId: string;
    from: CircuitState;
    to: CircuitState;
    reason: string;
    at: number;
  };
  /** A failed call is being recovered with a strategy. */
  'recovery:attempt': {
    model: string;
    connectionId: string | undefined;
    category: string;
    code: string;
    strategy: RecoveryStrategy;
    attempt: number;
  };
  /** A model or a call moved from a backend to the next one. */
  fallback: { model: string; failure: BackendFailure; next: Backend | undefined };
  /** Bytes of a model's download so far. */
  'model:progress': { model: string; loaded: number; total: number | undefined };
  /** A model's warm-up run ended; `error` says why it failed, when it did. */
  'model:warmup': { model: string; backend: Backend; ms: number; error?: string };
  /**
   * Where history is kept changed: `memory` when IndexedDB is missing, full, blocked, deleted or
   * closed under the pool (`reason` says which), `indexeddb` again when persistence resumes.
   */
  'history:storage': { mode: 'indexeddb' | 'memory'; reason: string | undefined };
  /** Another pool of the origin (another tab) shared a breaker change or new measurements. */
  'history:remote': { type: 'performance' | 'health'; kind: ConnectionKind; backend: Backend };
  /** A model is ready on a backend. */
  'model:ready': { model: string; backend: Backend; connectionId: string; loadMs: number };
};
