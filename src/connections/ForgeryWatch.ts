/**
 * Counts messages in webaccel's format that reach the page's own window. No host ever posts
 * there: a host answers its handshake and speaks afterwards only on the MessagePort it was
 * handed, so each such message was forged, by another frame or by a host frame navigated to
 * other content. The pool never acts on them; it counts them so that they can be seen.
 */
export class ForgeryWatch {
  private seen = 0;

  constructor(private readonly target: Window) {
    target.addEventListener('message', this.onMessage);
  }

  /** Forged messages seen so far. */
  get count(): number {
    return this.seen;
  }

  dispose(): void {
    this.target.removeEventListener('message', this.onMessage);
  }

  // Other code of the page may use window messages for its own ends; only ours are counted.
  private readonly onMessage = (event: MessageEvent): void => {
    const { data } = event;
    if (typeof data === 'object' && data !== null && Object.hasOwn(data, 'webaccel')) this.seen += 1;
  };
}
