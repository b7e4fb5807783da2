import { describe, expect, it } from 'vitest';
import { AccelError, classify, isAccelError } from '../../src/index';

const cases: [string, unknown, string, string][] = [
  ['garbage model bytes', new Error("Can't create a session. ERROR_CODE: 7, ERROR_MESSAGE: Failed to load model because protobuf parsing failed."), 'MODEL_INCOMPATIBLE', 'model'],
  ['a C++ allocation failure', new Error('std::bad_alloc'), 'OUT_OF_MEMORY', 'backend'],
  ['a WebAssembly memory RangeError', new RangeError('Array buffer allocation failed'), 'OUT_OF_MEMORY', 'backend'],
  ['wrong dimensions', new Error('Got invalid dimensions for input: x for the following indices index: 1 Got: 4 Expected: 3'), 'INVALID_INPUT', 'caller'],
  ['a wrong data type', new Error('Unexpected input data type. Actual: (tensor(int32)) , expected: (tensor(float))'), 'INVALID_INPUT', 'caller'],
  ['an input too small for a kernel', new Error("Non-zero status code returned while running Conv node. Name:'Conv_3' Status Message: Invalid input shape: {100}"), 'INVALID_INPUT', 'caller'],
  ['a missing feed', new Error("input 'x' is missing in 'feeds'."), 'INVALID_INPUT', 'caller'],
  ['a feed the browser cannot clone', new DOMException("Failed to execute 'postMessage' on 'Worker': () => 0 could not be cloned.", 'DataCloneError'), 'INVALID_INPUT', 'caller'],
  ['a missing kernel', new Error('Failed to find kernel for GridSample(16) (node:GridSample_0)'), 'UNSUPPORTED_OPERATION', 'model-on-backend'],
  ['no implementation', new Error('Could not find an implementation for ConvInteger(10) node with name'), 'UNSUPPORTED_OPERATION', 'model-on-backend'],
  ['a shader beyond the WebGPU limits', new Error('failed to call OrtRun(). ERROR_CODE: 1, ERROR_MESSAGE: shader_helper.cc:354 numbers_storage_buffers_ <= limits_.maxStorageBuffersPerShaderStage was false. Too many storage buffers in shader. Current: 11, Max is 10'), 'UNSUPPORTED_OPERATION', 'model-on-backend'],
  ['a lost WebGPU device', new Error("Failed to execute 'mapAsync' on 'GPUBuffer': Device is lost"), 'BROWSER_CRASH', 'backend'],
  ['no backend', new Error('no available backend found. ERR: [webgpu] backend not found.'), 'BROWSER_CAPABILITY', 'environment'],
  ['WebNN refusing the platform', Object.assign(new Error('WebNN is not supported on this platform.'), { name: 'NotSupportedError' }), 'BROWSER_CAPABILITY', 'environment'],
];

describe('classify', () => {
  for (const [what, error, category, scope] of cases) {
    it(`reads ${what} as ${category}`, () => {
      const classified = classify(error, { phase: 'run', backend: 'wasm' });

      expect(classified.category).toBe(category);
      expect(classified.scope).toBe(scope);
      expect(classified.cause).toBe(error);
      expect(classified.backend).toBe('wasm');
    });
  }

  it('passes an AccelError through unchanged', () => {
    const error = new AccelError('late', { category: 'TIMEOUT' });

    expect(classify(error, { phase: 'run' })).toBe(error);
  });

  it('falls back by phase for unknown messages', () => {
    expect(classify(new Error('weird'), { phase: 'load' }).category).toBe('MODEL_INCOMPATIBLE');
    expect(classify(new Error('weird'), { phase: 'load' }).scope).toBe('model-on-backend');
    expect(classify(new Error('weird'), { phase: 'run' }).category).toBe('CONNECTION');
    expect(classify('a string', { phase: 'message' }).category).toBe('WEBSOCKET');
  });

  it('makes every result recognisable with isAccelError', () => {
    for (const [, error] of cases) expect(isAccelError(classify(error, { phase: 'run' }))).toBe(true);
    expect(isAccelError(new Error('plain'))).toBe(false);
    expect(isAccelError(null)).toBe(false);
  });
});
