import type { Backend } from '../api/types';
import { AccelError } from '../errors/AccelError';
import { ErrorCategory } from '../errors/ErrorCategory';
import type { ModelEntry } from '../model/ModelEntry';

/** What an error about a call needs to know of it. */
export interface CallSummary {
  readonly entry: ModelEntry;
  readonly attempts: number;
}

/** Codes of connections the pool ended itself; the calls on them failed through no fault. */
export const POOL_ENDINGS: readonly string[] = ['RESTARTED', 'RECYCLED', 'DRAINED'];

export function releasedError(entry: ModelEntry): AccelError {
  return new AccelError(`Model ${entry.name} was released; ask for it again with getModel()`, {
    category: ErrorCategory.INVALID_INPUT,
    code: 'MODEL_RELEASED',
  });
}

export function circuitOpenError(backend: Backend, retryAfterMs: number): AccelError {
  const wait = Number.isFinite(retryAfterMs) ? `; retry in ${Math.ceil(retryAfterMs)} ms` : '';
  return new AccelError(`Every ${backend} connection's circuit is open${wait}`, {
    category: ErrorCategory.CONNECTION,
    code: 'CIRCUIT_OPEN',
    backend,
    retryAfterMs,
  });
}

/** The call's own deadline passed; it is the caller's time, so it counts against no one. */
export function deadlineError(call: CallSummary, cause?: AccelError): AccelError {
  return new AccelError(`${call.entry.name} did not finish before its deadline`, {
    category: ErrorCategory.TIMEOUT,
    code: 'DEADLINE_EXCEEDED',
    scope: 'caller',
    attempts: Math.max(1, call.attempts),
    cause,
  });
}

export function noBackendError(entry: ModelEntry, last: AccelError | undefined): AccelError {
  const reasons = entry.fallbacks.map((f) => `${f.backend}: ${f.message}`).join('; ');
  return new AccelError(`No backend could run ${entry.name} (${reasons})`, {
    category: last?.category ?? ErrorCategory.BROWSER_CAPABILITY,
    code: 'NO_BACKEND',
    scope: 'model',
    attempts: entry.priority.length,
    cause: last,
  });
}
