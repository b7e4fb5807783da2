import { createResourcePool } from './createResourcePool';
import { validatePriority, type PoolOptions } from './options';
import type { ResourcePool } from './ResourcePool';
import type { Backend } from './types';

/**
 * The page's configuration of the default pool, set as `window.WEBACCEL_CONFIG` before the
 * script loads: any {@link PoolOptions}, and `init`.
 */
export interface DefaultPoolConfig extends PoolOptions {
  /**
   * Create the default pool as soon as the script-tag build loads, rather than at the first
   * `WebAccel.pool`: a bad configuration then fails at load, and history is read before the
   * first model is asked for. Module imports never create it on their own.
   * @defaultValue false
   */
  init?: boolean;
}

/**
 * URL query parameters that configure the default pool, in place of the environment switches of
 * the WebNN/WebGPU resource pool webaccel grew from: they override `window.WEBACCEL_CONFIG`, so
 * a page can be tried another way without editing it.
 */
export const DEFAULT_POOL_PARAMETERS = Object.freeze({
  /** `1` creates the default pool when the script loads (formerly `INIT_WEB_RESOURCE_POOL`). */
  init: 'webaccel-init',
  /**
   * A backend, or a comma-separated list in order, made the pool's `priority`: the backends
   * models without a `priority` of their own are loaded on (formerly `FORCE_WEB_RESOURCE_POOL`).
   */
  backend: 'webaccel-backend',
  /** `1` turns on `lowMemory` (formerly `RESOURCE_POOL_LOW_MEMORY`). */
  lowMemory: 'webaccel-low-memory',
});

/** What the default pool is made from: the pool options, and whether to create it at load. */
export interface DefaultPoolSettings {
  readonly options: PoolOptions;
  readonly init: boolean;
}

const CONFIG_NAME = 'window.WEBACCEL_CONFIG';

let defaultPool: ResourcePool | undefined;

/**
 * The page's default pool, created at the first call from `window.WEBACCEL_CONFIG` and the
 * page's URL parameters ({@link DEFAULT_POOL_PARAMETERS}); every later call returns the same
 * pool. Importing webaccel creates nothing. Throws a `TypeError` or `RangeError` naming the
 * setting when the configuration cannot work, and then creates no pool.
 */
export function getDefaultPool(): ResourcePool {
  defaultPool ??= createNamed(readDefaultPoolSettings().options);
  return defaultPool;
}

/**
 * Creates the default pool now if the configuration asks for it (`init`); otherwise reads
 * nothing more, so that a bad setting fails at first use as it would without `init`.
 */
export function initDefaultPoolIfAsked(): void {
  const { config, search } = pageSettings();
  if (readInit(readConfig(config), new URLSearchParams(search))) getDefaultPool();
}

/** Reads the page's configuration and URL parameters as they are now. */
export function readDefaultPoolSettings(): DefaultPoolSettings {
  const { config, search } = pageSettings();
  return defaultPoolSettings(config, search);
}

/**
 * Combines a `WEBACCEL_CONFIG` value and a URL query string into the default pool's settings,
 * the parameters winning. Rejects values that cannot work, naming where they came from; the pool
 * options themselves are checked when the pool is created.
 */
export function defaultPoolSettings(config: unknown, search: string): DefaultPoolSettings {
  const params = new URLSearchParams(search);
  const { init, ...options } = readConfig(config);
  const initNow = readInit({ init }, params);

  const lowMemory = readSwitch(params, DEFAULT_POOL_PARAMETERS.lowMemory);
  const priority = readBackends(params);
  if (lowMemory !== undefined) options.lowMemory = lowMemory;
  if (priority !== undefined) options.priority = priority;
  return { options, init: initNow };
}

function pageSettings(): { config: unknown; search: string } {
  const config = (globalThis as { WEBACCEL_CONFIG?: unknown }).WEBACCEL_CONFIG;
  return { config, search: globalThis.location?.search ?? '' };
}

function readInit({ init }: DefaultPoolConfig, params: URLSearchParams): boolean {
  if (init !== undefined && typeof init !== 'boolean') {
    throw new TypeError(`${CONFIG_NAME}.init must be true or false, got ${JSON.stringify(init)}`);
  }
  return readSwitch(params, DEFAULT_POOL_PARAMETERS.init) ?? init ?? false;
}

function readConfig(config: unknown): DefaultPoolConfig {
  if (config === undefined) return {};
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    const got = config === null ? 'null' : Array.isArray(config) ? 'an array' : typeof config;
    throw new TypeError(`${CONFIG_NAME} must be an object of pool options, got ${got}`);
  }
  return { ...(config as DefaultPoolConfig) };
}

function readSwitch(params: URLSearchParams, name: string): boolean | undefined {
  const value = params.get(name);
  if (value === null) return undefined;
  if (value === '' || value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new RangeError(
    `URL parameter ${name} must be 1 or 0 (true or false), got ${JSON.stringify(value)}`,
  );
}

function readBackends(params: URLSearchParams): Backend[] | undefined {
  const name = DEFAULT_POOL_PARAMETERS.backend;
  const value = params.get(name);
  if (value === null) return undefined;
  const backends = value.split(',').map((backend) => backend.trim());
  validatePriority(backends, `URL parameter ${name}`);
  return backends;
}

/** Pool option errors say `createResourcePool`; here the options came from the page. */
function createNamed(options: PoolOptions): ResourcePool {
  try {
    return createResourcePool(options);
  } catch (error) {
    const where = `webaccel's default pool (${CONFIG_NAME} and URL parameters)`;
    const message = `${where}: ${(error as Error).message}`;
    if (error instanceof RangeError) throw new RangeError(message, { cause: error });
    if (error instanceof TypeError) throw new TypeError(message, { cause: error });
    throw error;
  }
}
