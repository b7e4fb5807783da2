import type { Backend, BackendFailure, ConnectionKind, ModelType, Precision } from './types';

/** One connection, as `pool.stats()` reports it. */
export interface ConnectionStats {
  id: string;
  kind: ConnectionKind;
  backend: Backend;
  state: 'starting' | 'ready' | 'closed';
  runs: number;
  errors: number;
  /** Errors over calls, 0 with no calls. */
  errorRate: number;
  models: number;
  /** The last heartbeat's round trip. */
  pingMs: number | undefined;
  /** The adapter, when the backend is WebGPU. */
  adapter: string | undefined;
}

/** One model, as `pool.stats()` reports it. */
export interface ModelStats {
  name: string;
  type: ModelType;
  /** The backend that actually runs the model. */
  backend: Backend | undefined;
  precision: Precision | undefined;
  connectionId: string | undefined;
  references: number;
  runs: number;
  errors: number;
  loadMs: number | undefined;
  /** Median of the recent runs' time in the host. */
  medianRunMs: number | undefined;
  /** Backends tried before the one that runs the model, and why each was passed over. */
  fallbacks: BackendFailure[];
}

/** A plain, serialisable snapshot of the pool. */
export interface PoolStats {
  connections: ConnectionStats[];
  models: ModelStats[];
  /** Backends found missing in this page; they are not tried again. */
  capabilityFailures: BackendFailure[];
  totalRuns: number;
  totalErrors: number;
}
