import type { Backend, BackendFailure, ConnectionKind } from './types';

/** The events of `pool.events`, by name. */
export type PoolEvents = {
  /** A connection was created and its host is starting. */
  'connection:start': { connectionId: string; kind: ConnectionKind; backend: Backend };
  /** A connection's host started and reported its capabilities. */
  'connection:ready': { connectionId: string; kind: ConnectionKind; backend: Backend };
  /** A connection ended; `category` says why (`CANCELLED` when the pool ended it). */
  'connection:close': {
    connectionId: string;
    kind: ConnectionKind;
    backend: Backend;
    category: string;
    code: string;
    message: string;
  };
  /** A host reported an error nobody caught (it is kept off the page's console). */
  'connection:error': { connectionId: string; type: string; message: string };
  /** A model passed over a backend and tried the next one. */
  fallback: { model: string; failure: BackendFailure; next: Backend | undefined };
  /** A model is ready on a backend. */
  'model:ready': { model: string; backend: Backend; connectionId: string; loadMs: number };
};
