import { isWireError, type WireError } from '../errors/errorWire';
import { hasPrototypeKey } from '../util/prototypeKeys';

/** The kinds of {@link HostEvent}. */
export type HostEventType = 'unhandled-rejection' | 'uncaught-error' | 'device-lost' | 'gpu-error';

const TYPES: readonly string[] = ['unhandled-rejection', 'uncaught-error', 'device-lost', 'gpu-error'];

/** Something a host tells the page without being asked, beside the RPC traffic. */
export interface HostEvent {
  readonly webaccel: 'host-event';
  readonly type: HostEventType;
  readonly error: WireError;
}

/**
 * Whether a message on a connection's channel is a well-formed {@link HostEvent}, its error
 * included. One carrying a prototype key is not: the guard drops and counts it.
 */
export function isHostEvent(data: unknown): data is HostEvent {
  if (typeof data !== 'object' || data === null || hasPrototypeKey(data)) return false;
  const event = data as Record<string, unknown>;
  return (
    event.webaccel === 'host-event' &&
    typeof event.type === 'string' &&
    TYPES.includes(event.type) &&
    isWireError(event.error)
  );
}
