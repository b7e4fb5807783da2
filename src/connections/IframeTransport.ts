import { AccelError } from '../errors/AccelError';
import { ErrorCategory } from '../errors/ErrorCategory';
import { hostIframeUrl } from './bundledHosts';
import { isReady } from './handshake';
import { isHostEvent } from './hostEvents';
import type { Transport, TransportListener } from './Transport';

/**
 * A sandboxed iframe (`allow-scripts` only: an opaque origin that cannot reach the page) running
 * the host, reached only through a MessagePort handed over in a handshake with a nonce. Served
 * from another site, Chromium runs it in its own renderer process: a crash there leaves the page
 * alive, and the silence is caught by the connection's heartbeat.
 */
export class IframeTransport implements Transport {
  readonly kind = 'iframe' as const;
  readonly endpoint: MessagePort;
  readonly realm: HTMLIFrameElement;
  private listener: TransportListener | undefined;
  private readonly nonce = crypto.randomUUID();
  private readied = false;

  /**
   * @param name - the frame's name, shown in the browser's developer tools.
   * @param url - where the host page is served; by default the bundler's copy of it, or the one
   *   beside the prebuilt script.
   */
  constructor(name: string, url?: string | URL) {
    const channel = new MessageChannel();
    this.endpoint = channel.port1;
    this.endpoint.addEventListener('message', this.onMessage);
    this.endpoint.start();

    this.realm = document.createElement('iframe');
    this.realm.name = name;
    this.realm.setAttribute('sandbox', 'allow-scripts');
    this.realm.setAttribute('aria-hidden', 'true');
    this.realm.style.display = 'none';
    this.realm.src = String(url ?? hostIframeUrl());
    this.realm.addEventListener('load', () => this.hello(channel.port2), { once: true });
    document.body.append(this.realm);
  }

  listen(listener: TransportListener): void {
    this.listener = listener;
  }

  terminate(): void {
    this.endpoint.removeEventListener('message', this.onMessage);
    this.endpoint.close();
    this.realm.remove();
  }

  private hello(port: MessagePort): void {
    const target = this.realm.contentWindow;
    if (target === null) {
      this.listener?.onFatal(
        new AccelError('The host iframe has no window', { category: ErrorCategory.INITIALIZATION, code: 'START_FAILED' }),
      );
      return;
    }
    // The frame's origin is opaque, so no target origin can be named; the nonce and the port
    // (which only this page and that frame hold) are what make the channel trusted.
    target.postMessage({ webaccel: 'hello', nonce: this.nonce }, '*', [port]);
  }

  private readonly onMessage = (event: MessageEvent): void => {
    const { data } = event;
    if (isHostEvent(data)) {
      this.listener?.onHostEvent(data);
    } else if (isReady(data) && !this.readied) {
      this.readied = true;
      // The handshake's answer is this transport's alone: the guard that listens after it on the
      // same port counts every later `ready` as a replay.
      event.stopImmediatePropagation();
      if (data.nonce === this.nonce) return;
      this.listener?.onFatal(
        new AccelError('The host iframe answered the handshake with another nonce', {
          category: ErrorCategory.WEBSOCKET,
          code: 'START_FAILED',
        }),
      );
    }
  };
}
