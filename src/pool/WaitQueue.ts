import { AccelError } from '../errors/AccelError';
import { ErrorCategory } from '../errors/ErrorCategory';
import { abortError } from '../errors/cancellation';
import { MAX_TIMER_MS } from '../util/raceCall';

interface Waiter {
  wake(): void;
}

/**
 * Calls waiting for a connection to have room. A waiter wakes when any call finishes (or its own
 * time runs out) and tries again; the queue's length is bounded, and a call that finds it full
 * is turned away at once with `QUEUE_FULL`, which counts against no connection.
 */
export class WaitQueue {
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly capacity: number) {}

  get length(): number {
    return this.waiters.size;
  }

  /** Waits until woken or `timeoutMs` passes; rejects when full or when the signal aborts. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.waiters.size >= this.capacity) return Promise.reject(queueFullError(this.capacity));
    if (signal?.aborted === true) return Promise.reject(abortError(signal));

    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(waiter);
      };
      const waiter: Waiter = { wake: () => (done(), resolve()) };
      const onAbort = (): void => (done(), reject(abortError(signal)));
      const timer = setTimeout(waiter.wake, Math.min(MAX_TIMER_MS, Math.max(0, timeoutMs)));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** Wakes every waiter to try again. */
  wakeAll(): void {
    for (const waiter of [...this.waiters]) waiter.wake();
  }
}

function queueFullError(capacity: number): AccelError {
  return new AccelError(`The pool's queue is full (${capacity} calls waiting); try again later`, {
    category: ErrorCategory.RESOURCE,
    code: 'QUEUE_FULL',
    scope: 'caller',
    retryable: true,
  });
}
