import { AccelError, isAccelError, type AccelErrorCode } from './AccelError';
import { isErrorCategory, type ErrorScope } from './ErrorCategory';
import type { Backend } from '../api/types';

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
  const base = { name: error.name, message: error.message, stack: error.stack, cause };
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

/** Whether `value` has the shape of a {@link WireError}. */
export function isWireError(value: unknown): value is WireError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (v.kind === 'accel' || v.kind === 'error') && typeof v.message === 'string';
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
