import type { Backend } from '../api/types';

/** The onnxruntime-web module a host runs sessions with. */
export type OrtRuntime = typeof import('onnxruntime-web');

/**
 * Imports the onnxruntime-web build that carries the backend, and nothing more: the WebAssembly
 * build for `wasm`, the native WebGPU build for `webgpu` (it rejects cleanly after a device loss,
 * where the older JSEP build's next run never settles), and the default build for `webnn`.
 */
export async function loadRuntime(backend: Backend): Promise<OrtRuntime> {
  switch (backend) {
    case 'wasm':
      return import('onnxruntime-web/wasm');
    case 'webgpu':
      return import('onnxruntime-web/webgpu');
    case 'webnn':
      return import('onnxruntime-web');
  }
}
