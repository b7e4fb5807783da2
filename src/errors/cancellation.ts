import { AccelError, isAccelError } from './AccelError';
import { ErrorCategory } from './ErrorCategory';

/**
 * The error a call ends with when its signal aborts: the reason itself when it is a cancellation
 * of ours (the pool's disposal), else a cancellation with the reason as cause. A caller's reason
 * that is an AccelError of another category (a pipeline cancelling its other stages with the
 * error that failed one) is still the caller's decision, and must never count against a
 * connection.
 */
export function abortError(signal: AbortSignal | undefined): AccelError {
  const reason: unknown = signal?.reason;
  if (isAccelError(reason) && reason.category === ErrorCategory.CANCELLED) return reason;
  return new AccelError('The call was cancelled by its AbortSignal', {
    category: ErrorCategory.CANCELLED,
    code: 'ABORTED',
    cause: reason,
  });
}

/** The error every pending and later call of a disposed pool ends with. */
export function disposedError(): AccelError {
  return new AccelError('The pool was disposed', {
    category: ErrorCategory.CANCELLED,
    code: 'DISPOSED',
  });
}
