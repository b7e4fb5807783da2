import type { Backend, ConnectionKind, ModelType } from '../api/types';
import type { CircuitSnapshot } from '../resilience/CircuitBreaker';

/**
 * What a record was measured under. A record whose fingerprint differs from the page's (another
 * onnxruntime-web, another major version of the browser, another GPU adapter) is not used.
 */
export interface Fingerprint {
  /** onnxruntime's version, as `env.versions.common` reports it. */
  runtime: string;
  /** The browser's name, from user-agent data: `'Chrome'`, `'Edge'`, `'Firefox'`, `'Safari'`. */
  browser: string;
  /** The browser's major version. */
  browserMajor: number;
  /** The WebGPU adapter as `vendor architecture`, or `'none'`. */
  adapter: string;
}

/** Latency and errors of one model on one backend and connection kind in one browser. */
export interface PerformanceRecord {
  /** `model|backend|kind|browser`: see {@link performanceKey}. */
  key: string;
  model: string;
  modelType: ModelType;
  backend: Backend;
  kind: ConnectionKind;
  /** Successful runs measured. */
  count: number;
  errors: number;
  /** The most recent run times in milliseconds, oldest first, at most {@link MAX_SAMPLES}. */
  samples: number[];
  p50: number;
  p95: number;
  /** Clock time of the last run or error. */
  lastSeen: number;
  fingerprint: Fingerprint;
}

/** Trips, crashes and the last breaker state of one connection kind and backend. */
export interface BackendHealthRecord {
  /** `kind:backend`: see {@link healthKey}. */
  key: string;
  kind: ConnectionKind;
  backend: Backend;
  trips: number;
  crashes: number;
  /** The breaker as last saved; an open one carries its `openUntil`. */
  breaker: CircuitSnapshot | null;
  lastSeen: number;
  fingerprint: Fingerprint;
}

/** One entry of the capped log of recent failures. */
export interface FailureRecord {
  /** Assigned by the store. */
  id?: number;
  category: string;
  code: string;
  message: string;
  model?: string;
  backend?: Backend;
  kind?: ConnectionKind;
  at: number;
}

/** Every model type, in the order recommendations list them. */
export const MODEL_TYPES: readonly ModelType[] = ['text', 'vision', 'audio', 'multimodal'];

/** Run times kept per performance record. */
export const MAX_SAMPLES = 64;

/** The key of a performance record. */
export function performanceKey(model: string, backend: Backend, kind: ConnectionKind, browser: string): string {
  return `${model}|${backend}|${kind}|${browser}`;
}

/** The key of a backend health record. */
export function healthKey(kind: ConnectionKind, backend: Backend): string {
  return `${kind}:${backend}`;
}
