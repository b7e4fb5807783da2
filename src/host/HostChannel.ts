import type { Endpoint } from 'comlink';

/**
 * The host's side of its channel, as comlink's endpoint. It remembers the last reply sent
 * without transfers, so that a test can replay it: a repeated reply must be dropped by the page.
 */
export class HostChannel implements Endpoint {
  private lastReply: unknown;

  constructor(private readonly inner: Endpoint) {}

  /** Starts a MessagePort endpoint; comlink's expose calls it. */
  start(): void {
    (this.inner as { start?: () => void }).start?.();
  }

  postMessage(message: unknown, transfer?: Transferable[]): void {
    if (transfer === undefined || transfer.length === 0) this.lastReply = message;
    this.inner.postMessage(message, transfer);
  }

  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: object): void {
    this.inner.addEventListener(type, listener, options);
  }

  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: object): void {
    this.inner.removeEventListener(type, listener, options);
  }

  /** Posts raw data, past comlink. */
  postRaw(message: unknown): void {
    this.inner.postMessage(message);
  }

  /** Sends the last reply again. */
  replayLastReply(): void {
    if (this.lastReply !== undefined) this.inner.postMessage(this.lastReply);
  }
}
