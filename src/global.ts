/**
 * The script-tag build's entry: everything `index.ts` exports, as the global `WebAccel`, and
 * `WebAccel.pool`, the page's default pool, created at first access (or at load, when
 * configured with `init`).
 */
import * as webaccel from './index';
import { getDefaultPool, initDefaultPoolIfAsked } from './api/defaultPool';
import type { ResourcePool } from './api/ResourcePool';

/** The global `WebAccel` of the script-tag build. */
export type WebAccelGlobal = typeof webaccel & { readonly pool: ResourcePool };

const pool: PropertyDescriptor = { enumerable: true, get: getDefaultPool };
const api = Object.freeze(Object.defineProperty({ ...webaccel }, 'pool', pool) as WebAccelGlobal);
(globalThis as { WebAccel?: WebAccelGlobal }).WebAccel = api;
initDefaultPoolIfAsked();
