import type { AccelError } from '../errors/AccelError';

/** Something that can end a call from outside: a connection's death, a pool's disposal. */
export interface EndSignal {
  /** Calls `listener` once when it ends (at once if it already has); returns an unsubscribe. */
  subscribe(listener: (error: AccelError) => void): () => void;
}

/** What can end a call before its work does. */
export interface RaceOptions {
  ends?: readonly (EndSignal | undefined)[];
  signal?: AbortSignal;
  timeoutMs?: number;
  onTimeout: () => AccelError;
  onAbort: () => AccelError;
}

/** The longest delay `setTimeout` honours; longer ones fire at once, so they mean "never". */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Settles with whichever comes first: the work, an end signal, the caller's abort or the
 * deadline. Timers, listeners and subscriptions are removed however it ends, so a finished call
 * keeps nothing alive.
 */
export function raceCall<T>(work: Promise<T>, options: RaceOptions): Promise<T> {
  const { signal, timeoutMs } = options;
  if (signal?.aborted === true) {
    // Nobody waits for the work any more, but its failure must not go unhandled.
    work.catch(() => undefined);
    return Promise.reject(options.onAbort());
  }

  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribes: (() => void)[] = [];
    const onAbort = (): void => finish(() => reject(options.onAbort()));
    const finish = (settle: () => void): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
      settle();
    };

    if (timeoutMs !== undefined && timeoutMs <= MAX_TIMER_MS) {
      timer = setTimeout(() => finish(() => reject(options.onTimeout())), Math.max(0, timeoutMs));
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    for (const end of options.ends ?? []) {
      if (end !== undefined) unsubscribes.push(end.subscribe((error) => finish(() => reject(error))));
    }
    work.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}

/** An {@link EndSignal} that ends once, when told. */
export class EndOnce implements EndSignal {
  private error: AccelError | undefined;
  private readonly listeners = new Set<(error: AccelError) => void>();

  get ended(): AccelError | undefined {
    return this.error;
  }

  subscribe(listener: (error: AccelError) => void): () => void {
    if (this.error !== undefined) {
      listener(this.error);
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  end(error: AccelError): void {
    if (this.error !== undefined) return;
    this.error = error;
    for (const listener of [...this.listeners]) listener(error);
    this.listeners.clear();
  }
}
