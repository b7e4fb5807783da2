import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_POOL_PARAMETERS, defaultPoolSettings, getDefaultPool } from '../../src/api/defaultPool';

describe('the default pool\'s settings', () => {
  it('are empty without a configuration or parameters', () => {
    expect(defaultPoolSettings(undefined, '')).toEqual({ options: {}, init: false });
  });

  it('take pool options and init from the page\'s configuration', () => {
    const config = { storage: 'memory', runTimeoutMs: 5_000, init: true };
    expect(defaultPoolSettings(config, '')).toEqual({
      options: { storage: 'memory', runTimeoutMs: 5_000 },
      init: true,
    });
  });

  it('let URL parameters override the configuration', () => {
    const config = { priority: ['webgpu', 'wasm'], lowMemory: false, init: true };
    const search = '?webaccel-backend=webnn,wasm&webaccel-low-memory=1&webaccel-init=0';
    expect(defaultPoolSettings(config, search)).toEqual({
      options: { priority: ['webnn', 'wasm'], lowMemory: true },
      init: false,
    });
    expect(defaultPoolSettings({}, '?webaccel-backend=wasm&webaccel-init').options.priority).toEqual(['wasm']);
    expect(defaultPoolSettings({}, '?webaccel-init').init).toBe(true);
  });

  it('name the parameters the README documents', () => {
    expect(Object.values(DEFAULT_POOL_PARAMETERS)).toEqual(['webaccel-init', 'webaccel-backend', 'webaccel-low-memory']);
  });

  it('reject a configuration that is no object, naming it', () => {
    expect(() => defaultPoolSettings('wasm', '')).toThrow(new TypeError('window.WEBACCEL_CONFIG must be an object of pool options, got string'));
    expect(() => defaultPoolSettings([], '')).toThrow(/WEBACCEL_CONFIG must be an object .* got an array/);
    expect(() => defaultPoolSettings({ init: 'yes' }, '')).toThrow(TypeError);
  });

  it('reject switch values that mean nothing, naming the parameter and the value', () => {
    expect(() => defaultPoolSettings({}, '?webaccel-low-memory=maybe')).toThrow(
      new RangeError('URL parameter webaccel-low-memory must be 1 or 0 (true or false), got "maybe"'),
    );
    expect(() => defaultPoolSettings({}, '?webaccel-backend=cuda')).toThrow(
      /^URL parameter webaccel-backend has unknown backend "cuda"/,
    );
    expect(() => defaultPoolSettings({}, '?webaccel-backend=wasm,wasm')).toThrow(RangeError);
  });
});

describe('getDefaultPool', () => {
  afterEach(() => {
    delete (globalThis as { WEBACCEL_CONFIG?: unknown }).WEBACCEL_CONFIG;
  });

  it('rejects pool options that cannot work, saying they came from the page, and creates nothing', () => {
    (globalThis as { WEBACCEL_CONFIG?: unknown }).WEBACCEL_CONFIG = { runTimeoutMs: -1 };
    expect(() => getDefaultPool()).toThrow(/^webaccel's default pool \(window.WEBACCEL_CONFIG and URL parameters\): options.runTimeoutMs must be a number above 0/);

    (globalThis as { WEBACCEL_CONFIG?: unknown }).WEBACCEL_CONFIG = { lowMemroy: true };
    expect(() => getDefaultPool()).toThrow(TypeError);
    expect(() => getDefaultPool()).toThrow(/unknown option "lowMemroy"; did you mean lowMemory\?/);
  });
});
