/**
 * The iframe handshake: the page sends `hello` with a fresh nonce and one end of a new
 * MessageChannel; the host answers `ready` with the same nonce on that port. From then on only
 * that port is trusted; the window's own message channel is never used again.
 */
export interface Hello {
  readonly webaccel: 'hello';
  readonly nonce: string;
}

/** The host's answer on the handed-over port. */
export interface Ready {
  readonly webaccel: 'ready';
  readonly nonce: string;
}

export function isHello(data: unknown): data is Hello {
  return isShaped(data, 'hello');
}

export function isReady(data: unknown): data is Ready {
  return isShaped(data, 'ready');
}

function isShaped(data: unknown, kind: string): boolean {
  if (typeof data !== 'object' || data === null) return false;
  const message = data as Record<string, unknown>;
  return message.webaccel === kind && typeof message.nonce === 'string' && message.nonce.length >= 16;
}
