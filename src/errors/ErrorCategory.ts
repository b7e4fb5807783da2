/**
 * What went wrong, in the vocabulary recovery decides by.
 *
 * The first ten are the WebNN/WebGPU resource pool's names. `WEBSOCKET` keeps its name for
 * faults of the messaging channel between the page and a connection; {@link MESSAGING} is a clearer alias.
 * `INVALID_INPUT` is the caller's own mistake and `CANCELLED` the caller's own decision: neither
 * counts against a connection.
 */
export const ErrorCategory = Object.freeze({
  CONNECTION: 'CONNECTION',
  BROWSER_CRASH: 'BROWSER_CRASH',
  OUT_OF_MEMORY: 'OUT_OF_MEMORY',
  TIMEOUT: 'TIMEOUT',
  UNSUPPORTED_OPERATION: 'UNSUPPORTED_OPERATION',
  BROWSER_CAPABILITY: 'BROWSER_CAPABILITY',
  MODEL_INCOMPATIBLE: 'MODEL_INCOMPATIBLE',
  WEBSOCKET: 'WEBSOCKET',
  RESOURCE: 'RESOURCE',
  INITIALIZATION: 'INITIALIZATION',
  INVALID_INPUT: 'INVALID_INPUT',
  CANCELLED: 'CANCELLED',
} as const);

/** One of the {@link ErrorCategory} values. */
export type ErrorCategory = (typeof ErrorCategory)[keyof typeof ErrorCategory];

/** Alias of `WEBSOCKET`: a fault of the channel between the page and a connection. */
export const MESSAGING = ErrorCategory.WEBSOCKET;

/**
 * What an error is about; only `backend` and `model-on-backend` failures move a backend's health.
 *
 * - `backend`: the connection or its execution provider misbehaved.
 * - `model-on-backend`: this model cannot run on this backend; another backend may run it.
 * - `model`: the model itself is unusable anywhere (garbage bytes, integrity mismatch).
 * - `environment`: the page or browser lacks something (no WebGPU adapter, no storage).
 * - `caller`: the caller's own input or decision.
 */
export type ErrorScope = 'backend' | 'model-on-backend' | 'model' | 'environment' | 'caller';

/** Every category, for iteration and validation. */
export const ERROR_CATEGORIES: readonly ErrorCategory[] = Object.freeze(
  Object.values(ErrorCategory),
);

/** Whether `value` names an error category. */
export function isErrorCategory(value: unknown): value is ErrorCategory {
  return typeof value === 'string' && (ERROR_CATEGORIES as readonly string[]).includes(value);
}
