/**
 * Reports an error thrown by code that is not ours to handle (an event listener), the way the
 * platform reports a DOM listener's error: the page's `error` event, not a broken pool.
 */
export function report(error: unknown): void {
  if (typeof globalThis.reportError === 'function') globalThis.reportError(error);
}
