import type { Endpoint } from 'comlink';
import { isHostEvent } from './hostEvents';
import { AccelError } from '../errors/AccelError';
import { ErrorCategory } from '../errors/ErrorCategory';
import { toWireError } from '../errors/errorWire';
import { hasPrototypeKey } from '../util/prototypeKeys';

/** Why an incoming message was dropped. */
export type DropReason = 'not-an-object' | 'unknown-id' | 'bad-type' | 'forbidden-key' | 'oversized';

const REPLY_TYPES: readonly string[] = ['RAW', 'HANDLER'];

type Listener = EventListenerOrEventListenerObject;

/**
 * Stands between comlink and a connection's channel. Only a reply to a request this side sent,
 * and still waits for, reaches comlink: `null`, strings, unknown types, unknown or repeated ids
 * and objects carrying prototype keys are dropped and counted. A reply larger than the limit is
 * dropped too, and its call is answered with `MESSAGE_TOO_LARGE` at once instead of left to its
 * deadline. Host events pass to their own listener and are not comlink's business; an iframe's
 * handshake answer never gets here (its transport consumes it), so a `ready` that does is a
 * replay or a forgery, dropped and counted like any other stranger.
 */
export class GuardedEndpoint implements Endpoint {
  private readonly awaiting = new Set<string>();
  private readonly wrapped = new Map<Listener, EventListener>();
  readonly dropped: Record<DropReason, number> = {
    'not-an-object': 0,
    'unknown-id': 0,
    'bad-type': 0,
    'forbidden-key': 0,
    oversized: 0,
  };

  constructor(
    private readonly inner: Endpoint,
    /** The largest reply accepted, in bytes of typed-array and string data. */
    private readonly maxBytes = Infinity,
  ) {}

  /** Messages dropped so far, all reasons together. */
  get droppedTotal(): number {
    return Object.values(this.dropped).reduce((sum, n) => sum + n, 0);
  }

  /** Starts a MessagePort endpoint; comlink calls it before it sends. */
  start(): void {
    (this.inner as { start?: () => void }).start?.();
  }

  postMessage(message: unknown, transfer?: Transferable[]): void {
    const id = (message as { id?: unknown } | null)?.id;
    if (typeof id === 'string') this.awaiting.add(id);
    this.inner.postMessage(message, transfer);
  }

  addEventListener(type: string, listener: Listener, options?: object): void {
    if (type !== 'message') {
      this.inner.addEventListener(type, listener, options);
      return;
    }
    const guarded = (event: Event): void => {
      const data = (event as MessageEvent).data;
      if (!this.admit(data)) return;
      const delivered = this.oversized(data) ? new MessageEvent('message', { data: tooLargeReply(data) }) : event;
      if (typeof listener === 'function') listener(delivered);
      else listener.handleEvent(delivered);
    };
    this.wrapped.set(listener, guarded);
    this.inner.addEventListener(type, guarded, options);
  }

  removeEventListener(type: string, listener: Listener, options?: object): void {
    const guarded = this.wrapped.get(listener) ?? listener;
    this.wrapped.delete(listener);
    this.inner.removeEventListener(type, guarded, options);
  }

  private admit(data: unknown): boolean {
    if (isHostEvent(data)) return false;
    const reason = this.rejection(data);
    if (reason === undefined) {
      this.awaiting.delete((data as { id: string }).id);
      return true;
    }
    this.dropped[reason] += 1;
    return false;
  }

  /** A reply over the limit: counted as dropped, and its call answered with an error instead. */
  private oversized(data: unknown): boolean {
    if (this.maxBytes === Infinity || payloadBytes(data, 0) <= this.maxBytes) return false;
    this.dropped.oversized += 1;
    return true;
  }

  private rejection(data: unknown): DropReason | undefined {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'not-an-object';
    if (hasPrototypeKey(data)) return 'forbidden-key';
    const { id, type } = data as { id?: unknown; type?: unknown };
    if (typeof id !== 'string' || !this.awaiting.has(id)) return 'unknown-id';
    if (typeof type !== 'string' || !REPLY_TYPES.includes(type)) return 'bad-type';
    return undefined;
  }
}

/** Bytes of typed-array, buffer and string data in a message, a few levels deep. */
function payloadBytes(value: unknown, depth: number): number {
  if (typeof value === 'string') return value.length * 2;
  if (value instanceof ArrayBuffer) return value.byteLength;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (typeof value !== 'object' || value === null || depth > 6) return 0;
  let total = 0;
  for (const child of Object.values(value)) total += payloadBytes(child, depth + 1);
  return total;
}

/** comlink's shape of a thrown reply, carrying our error through the error wire. */
function tooLargeReply(data: unknown): unknown {
  const error = new AccelError('A reply from the connection was larger than options.maxMessageMb allows', {
    category: ErrorCategory.RESOURCE,
    code: 'MESSAGE_TOO_LARGE',
    scope: 'caller',
    retryable: false,
  });
  return { id: (data as { id: string }).id, type: 'HANDLER', name: 'throw', value: toWireError(error) };
}
