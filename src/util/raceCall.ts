import type { AccelError } from '../errors/AccelError';

/** What can end a call before its work does. */
export interface RaceOptions {
  /** Rejects when the connection doing the work dies. */
  lost: Promise<never>;
  signal?: AbortSignal;
  timeoutMs?: number;
  onTimeout: () => AccelError;
  onAbort: () => AccelError;
}

/**
 * Settles with whichever comes first: the work, the connection's death, the caller's abort or
 * the deadline. Timers and listeners are removed however it ends.
 */
export function raceCall<T>(work: Promise<T>, options: RaceOptions): Promise<T> {
  const { signal, timeoutMs } = options;
  if (signal?.aborted === true) return Promise.reject(options.onAbort());

  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = (): void => finish(() => reject(options.onAbort()));
    const finish = (settle: () => void): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };

    if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
      timer = setTimeout(() => finish(() => reject(options.onTimeout())), timeoutMs);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    );
    options.lost.catch((error: unknown) => finish(() => reject(error)));
  });
}
