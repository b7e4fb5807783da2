import type { Connection } from '../connections/Connection';

/** Key of a pool's test access. Not exported from the package. */
export const INTERNALS: unique symbol = Symbol('webaccel.internals');

/** What tests may reach inside a pool. */
export interface PoolInternals {
  connections(): Connection[];
}
