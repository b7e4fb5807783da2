import { report } from '../util/report';
import mitt, { type Emitter, type EventType, type Handler, type WildcardHandler } from 'mitt';

/**
 * A mitt emitter whose listeners cannot break the pool: a listener that throws is reported the
 * way a DOM event listener's error is (`reportError`), and the other listeners and the pool's own
 * work go on.
 */
export function createEmitter<Events extends Record<EventType, unknown>>(): Emitter<Events> {
  const emitter = mitt<Events>();
  emitter.emit = <Key extends keyof Events>(type: Key, event?: Events[Key]): void => {
    const handlers = [...((emitter.all.get(type) ?? []) as Handler<Events[Key]>[])];
    for (const handler of handlers) guarded(() => handler(event as Events[Key]));
    const wildcards = [...((emitter.all.get('*') ?? []) as WildcardHandler<Events>[])];
    for (const handler of wildcards) guarded(() => handler(type, event as Events[Key]));
  };
  return emitter;
}

function guarded(call: () => void): void {
  try {
    call();
  } catch (error) {
    report(error);
  }
}
