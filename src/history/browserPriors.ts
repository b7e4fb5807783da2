import type { Backend, ModelType } from '../api/types';

/**
 * Where each browser is expected to do best, before anything is measured: Firefox's compute
 * shaders for audio, Edge's WebNN for text, Chrome's WebGPU for vision. Measurements override
 * these.
 */
const PRIORS: Readonly<Record<string, Partial<Record<ModelType, Backend>>>> = {
  Firefox: { audio: 'webgpu' },
  Edge: { text: 'webnn' },
  Chrome: { vision: 'webgpu' },
};

/** The backend this browser is expected to run a model type best on, if there is one. */
export function browserPrior(browser: string, type: ModelType): Backend | undefined {
  return PRIORS[browser]?.[type];
}
