import { AccelError, isAccelError } from './AccelError';
import { ErrorCategory } from './ErrorCategory';

/**
 * The error a call ends with when its signal aborts: the reason itself when it is ours (the
 * pool's disposal), else a cancellation with the reason as cause.
 */
export function abortError(signal: AbortSignal | undefined): AccelError {
  if (isAccelError(signal?.reason)) return signal.reason;
  return new AccelError('The call was cancelled by its AbortSignal', {
    category: ErrorCategory.CANCELLED,
    code: 'ABORTED',
    cause: signal?.reason,
  });
}

/** The error every pending and later call of a disposed pool ends with. */
export function disposedError(): AccelError {
  return new AccelError('The pool was disposed', {
    category: ErrorCategory.CANCELLED,
    code: 'DISPOSED',
  });
}
