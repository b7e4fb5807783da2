import { isWireError, type WireError } from '../errors/errorWire';

/** Something a host tells the page without being asked, beside the RPC traffic. */
export interface HostEvent {
  readonly webaccel: 'host-event';
  readonly type: 'unhandled-rejection' | 'uncaught-error';
  readonly error: WireError;
}

/** Whether a message on a connection's channel is a well-formed {@link HostEvent}. */
export function isHostEvent(data: unknown): data is HostEvent {
  if (typeof data !== 'object' || data === null) return false;
  const event = data as Record<string, unknown>;
  return (
    event.webaccel === 'host-event' &&
    (event.type === 'unhandled-rejection' || event.type === 'uncaught-error') &&
    isWireError(event.error)
  );
}
