/**
 * The host inside a sandboxed iframe connection: it waits for the page's handshake, then speaks
 * the same contract as a worker host, only over the MessagePort it was handed.
 */
import { expose, transfer } from 'comlink';
import { installErrorWire } from '../connections/comlinkErrors';
import { isHello } from '../connections/handshake';
import type { HostEvent } from '../connections/hostEvents';
import { Host } from './Host';
import { HostChannel } from './HostChannel';
import { reportUnhandled } from './reportUnhandled';

installErrorWire();

window.addEventListener('message', function onHello(event: MessageEvent) {
  const port = event.ports[0];
  // Only the embedding page, only once, only with a port: anything else is not ours to answer.
  if (event.source !== window.parent || !isHello(event.data) || port === undefined) return;
  window.removeEventListener('message', onHello);

  const channel = new HostChannel(port);
  const post = (hostEvent: HostEvent): void => channel.postRaw(hostEvent);
  reportUnhandled(window, post);
  expose(new Host(transfer, post, channel), channel);
  port.postMessage({ webaccel: 'ready', nonce: event.data.nonce });
});
