import { AccelError, isAccelError, type AccelErrorCode } from './AccelError';
import { isErrorCategory, type ErrorScope } from './ErrorCategory';
import type { Backend } from '../api/types';
import { hasPrototypeKey } from '../util/prototypeKeys';

/** An error as it crosses a worker or iframe boundary: plain data, structured-clone safe. */
export interface WireError {
  readonly kind: 'accel' | 'error';
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly category?: string;
  readonly code?: string;
  readonly retryable?: boolean;
  readonly scope?: string;
  readonly backend?: string;
  readonly connectionId?: string;
  readonly attempts?: number;
  readonly retryAfterMs?: number;
  readonly cause?: WireError;
}

const MAX_CAUSE_DEPTH = 8;

/** Flattens an error and its cause chain into plain data. */
export function toWireError(error: unknown, depth = 0): WireError {
  if (!(error instanceof Error) && !isAccelError(error)) {
    return { kind: 'error', name: 'Error', message: describe(error) };
  }
  const cause =
    error.cause !== undefined && depth < MAX_CAUSE_DEPTH
      ? toWireError(error.cause, depth + 1)
      : undefined;
  const stack = typeof error.stack === 'string' ? error.stack : undefined;
  const base = { name: String(error.name), message: String(error.message), stack, cause };
  if (!isAccelError(error)) return { kind: 'error', ...base };
  return {
    kind: 'accel',
    ...base,
    category: error.category,
    code: error.code,
    retryable: error.retryable,
    scope: error.scope,
    backend: error.backend,
    connectionId: error.connectionId,
    attempts: error.attempts,
    retryAfterMs: error.retryAfterMs,
  };
}

/** Rebuilds an error from {@link toWireError}'s output, as the same class where it was ours. */
export function fromWireError(wire: WireError): Error {
  const cause = wire.cause === undefined ? undefined : fromWireError(wire.cause);
  const error =
    wire.kind === 'accel' && isErrorCategory(wire.category)
      ? new AccelError(wire.message, {
          category: wire.category,
          code: wire.code as AccelErrorCode | undefined,
          retryable: wire.retryable,
          scope: wire.scope as ErrorScope | undefined,
          backend: wire.backend as Backend | undefined,
          connectionId: wire.connectionId,
          attempts: wire.attempts,
          retryAfterMs: wire.retryAfterMs,
          cause,
        })
      : new Error(wire.message, cause === undefined ? undefined : { cause });
  if (wire.kind !== 'accel') Object.defineProperty(error, 'name', { value: wire.name });
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}

/**
 * Whether `value` has the shape of a {@link WireError}, down its whole cause chain: a message
 * from another realm is only data until it passes this, and {@link fromWireError} follows every
 * `cause` it is given. Prototype keys and chains deeper than {@link toWireError} makes are refused.
 */
export function isWireError(value: unknown, depth = 0): value is WireError {
  if (typeof value !== 'object' || value === null || hasPrototypeKey(value)) return false;
  const v = value as Record<string, unknown>;
  if (v.kind !== 'accel' && v.kind !== 'error') return false;
  if (typeof v.message !== 'string' || typeof v.name !== 'string') return false;
  if (v.stack !== undefined && typeof v.stack !== 'string') return false;
  return v.cause === undefined || (depth < MAX_CAUSE_DEPTH && isWireError(v.cause, depth + 1));
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Event) return `${value.type} event`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
