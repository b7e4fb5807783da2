import { AccelError } from '../errors/AccelError';
import { ErrorCategory } from '../errors/ErrorCategory';
import { startHostWorker } from './bundledHosts';
import { isHostEvent } from './hostEvents';
import type { Transport, TransportListener } from './Transport';

/** A dedicated module worker running the host. */
export class WorkerTransport implements Transport {
  readonly kind = 'worker' as const;
  readonly endpoint: Worker;
  private listener: TransportListener | undefined;
  private started = false;

  /**
   * @param name - shown in the browser's developer tools.
   * @param url - where the host script is served; by default the bundler's copy of it, or the
   *   one beside the prebuilt script.
   */
  constructor(name: string, url?: string | URL) {
    this.endpoint =
      url === undefined ? startHostWorker(name) : new Worker(url, { type: 'module', name });
    this.endpoint.addEventListener('error', this.onError);
    this.endpoint.addEventListener('messageerror', this.onMessageError);
    this.endpoint.addEventListener('message', this.onMessage);
  }

  get realm(): Worker {
    return this.endpoint;
  }

  listen(listener: TransportListener): void {
    this.listener = listener;
  }

  /** Marks the host as running: later `error` events are the host's, not a failed start. */
  markStarted(): void {
    this.started = true;
  }

  terminate(): void {
    this.endpoint.removeEventListener('error', this.onError);
    this.endpoint.removeEventListener('messageerror', this.onMessageError);
    this.endpoint.removeEventListener('message', this.onMessage);
    this.endpoint.terminate();
  }

  // An `error` event before the host answered means the script failed to load or evaluate (a
  // 404 arrives as a bare Event). Afterwards the host forwards its own errors as host events.
  private readonly onError = (event: Event): void => {
    if (this.started) return;
    event.preventDefault();
    const detail =
      event instanceof ErrorEvent && event.message !== ''
        ? event.message
        : 'the script could not be fetched or was blocked (see hostWorkerUrl)';
    this.listener?.onFatal(
      new AccelError(`The host worker failed to start: ${detail}`, {
        category: ErrorCategory.INITIALIZATION,
        code: 'START_FAILED',
      }),
    );
  };

  private readonly onMessageError = (): void => {
    this.listener?.onFatal(
      new AccelError('A message from the worker could not be deserialised', {
        category: ErrorCategory.WEBSOCKET,
        code: 'CONNECTION_LOST',
      }),
    );
  };

  private readonly onMessage = (event: MessageEvent): void => {
    if (isHostEvent(event.data)) this.listener?.onHostEvent(event.data);
  };
}
