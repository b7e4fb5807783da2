import { transferHandlers, type TransferHandler } from 'comlink';
import { fromWireError, toWireError, type WireError } from '../errors/errorWire';

interface Thrown {
  value: unknown;
}

let installed = false;

/**
 * Makes comlink carry errors whole: category, code, scope and the cause chain survive the
 * boundary and come back as the same class. comlink's own handler keeps only name, message and
 * stack. Installed once per realm, on both sides.
 */
export function installErrorWire(): void {
  if (installed) return;

  const original = transferHandlers.get('throw');
  if (original === undefined) throw new Error('comlink has no "throw" transfer handler');
  const handler: TransferHandler<Thrown, WireError> = {
    canHandle: (value): value is Thrown => original.canHandle(value),
    serialize: ({ value }) => [toWireError(value), []],
    deserialize: (wire) => {
      throw fromWireError(wire);
    },
  };
  transferHandlers.set('throw', handler as TransferHandler<unknown, unknown>);
  installed = true;
}
