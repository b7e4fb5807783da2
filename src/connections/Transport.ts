import type { Endpoint } from 'comlink';
import type { ConnectionKind } from '../api/types';
import type { AccelError } from '../errors/AccelError';
import type { HostEvent } from './hostEvents';

/** What a transport reports besides RPC replies. */
export interface TransportListener {
  /** The realm died or can no longer be reached; the connection must end. */
  onFatal(error: AccelError): void;
  /** The host reported something without being asked. */
  onHostEvent(event: HostEvent): void;
}

/**
 * One way of reaching a host: a dedicated worker, or a sandboxed iframe's port. A connection owns
 * one transport for its whole life and never reuses it after `terminate()`.
 */
export interface Transport {
  readonly kind: ConnectionKind;
  /** The endpoint comlink speaks over: the worker, or the iframe's handed-over port. */
  readonly endpoint: Endpoint & { start?: () => void };
  listen(listener: TransportListener): void;
  /** Told once the host has answered its start: later realm errors are the host's own. */
  markStarted?(): void;
  /** Ends the realm at once; in-flight work there is abandoned. */
  terminate(): void;
  /** Test access to the realm, to kill it from outside as a crash would. */
  readonly realm: Worker | HTMLIFrameElement;
}
