import type { ErrorCategory } from '../errors/ErrorCategory';

/**
 * One way of getting a failed call to succeed:
 * - `retry`: the same target again after a backoff.
 * - `restart`: end the connection and start a fresh one in its place.
 * - `another-connection`: a different connection of the same backend.
 * - `another-backend`: the next backend in the model's priority.
 * - `smaller-precision`: the next smaller precision variant the source lists.
 * - `wasm`: WebAssembly on the CPU, the fallback that always computes real results.
 */
export type RecoveryStrategy =
  | 'retry'
  | 'restart'
  | 'another-connection'
  | 'another-backend'
  | 'smaller-precision'
  | 'wasm';

/**
 * Strategies per category, tried in order as a call keeps failing: the WebNN/WebGPU resource pool's table, ending in
 * WebAssembly wherever another backend could help. Caller mistakes and cancellations are never
 * recovered.
 */
export const RECOVERY_PLANS: Readonly<Record<ErrorCategory, readonly RecoveryStrategy[]>> =
  Object.freeze({
    CONNECTION: ['retry', 'restart', 'another-connection', 'another-backend', 'wasm'],
    BROWSER_CRASH: ['restart', 'another-connection', 'another-backend', 'wasm'],
    OUT_OF_MEMORY: ['smaller-precision', 'restart', 'another-backend', 'wasm'],
    TIMEOUT: ['retry', 'restart', 'another-backend', 'wasm'],
    UNSUPPORTED_OPERATION: ['another-backend', 'wasm'],
    BROWSER_CAPABILITY: ['another-backend', 'wasm'],
    MODEL_INCOMPATIBLE: ['another-backend', 'smaller-precision', 'wasm'],
    WEBSOCKET: ['retry', 'restart', 'another-connection', 'wasm'],
    RESOURCE: ['restart', 'smaller-precision', 'another-backend', 'wasm'],
    INITIALIZATION: ['restart', 'another-connection', 'another-backend', 'wasm'],
    INVALID_INPUT: [],
    CANCELLED: [],
  });

/** Exponential backoff with full jitter. */
export interface BackoffOptions {
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * The pause before retry number `retry` (1 for the first): a random point below
 * `baseDelayMs × 2^(retry-1)`, capped at `maxDelayMs`. Full jitter keeps callers that failed
 * together from retrying together.
 */
export function backoffDelay(
  retry: number,
  { baseDelayMs, maxDelayMs }: BackoffOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}
