import type { HostFault } from '../connections/protocol';
import type { Slot } from '../pool/Slot';

/** Key of a pool's test access. Not exported from the package. */
export const INTERNALS: unique symbol = Symbol('webaccel.internals');

/** What tests may reach inside a pool. */
export interface PoolInternals {
  slots(): Slot[];
  /** Arms a real fault inside a connection's host; the pool must allow fault injection. */
  injectFault(connectionId: string, fault: HostFault): Promise<void>;
}
