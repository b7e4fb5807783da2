import { toWireError } from '../errors/errorWire';
import type { HostEvent } from '../connections/hostEvents';

/**
 * Browsers do not forward a worker's unhandled promise rejections to the page, and an uncaught
 * error reaches it without its category. Both are caught here, kept from the console, and posted
 * to the page as host events.
 */
export function reportUnhandled(scope: EventTarget, post: (event: HostEvent) => void): void {
  scope.addEventListener('unhandledrejection', (event) => {
    const { reason } = event as PromiseRejectionEvent;
    event.preventDefault();
    post({ webaccel: 'host-event', type: 'unhandled-rejection', error: toWireError(reason) });
  });
  scope.addEventListener('error', (event) => {
    const { error, message } = event as ErrorEvent;
    event.preventDefault();
    post({ webaccel: 'host-event', type: 'uncaught-error', error: toWireError(error ?? message) });
  });
}
