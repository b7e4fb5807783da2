import type {
  HostCapabilities,
  RealmProbe,
  WasmCapability,
  WebGpuCapability,
  WebNnCapability,
} from '../connections/protocol';
import type { Backend } from '../api/types';

/** The WebNN device types tried, in order. */
const WEBNN_DEVICE_TYPES = ['gpu', 'cpu', 'npu'] as const;

interface WebNnLike {
  createContext(options: { deviceType: string }): Promise<unknown>;
}

/**
 * Detects WebGPU, WebNN and WebAssembly once, inside the realm that will run the sessions.
 * Nothing here throws: a missing capability is reported with the reason.
 */
export async function detectCapabilities(
  backend: Backend,
  ortVersion: string,
): Promise<HostCapabilities> {
  const [webgpu, webnn, realm] = await Promise.all([detectWebGpu(), detectWebNn(), probeRealm()]);
  const wasm = detectWasm();
  const own = { webgpu, webnn, wasm }[backend];
  return Object.freeze({
    backend,
    available: own.available,
    reason: own.reason,
    webgpu,
    webnn,
    wasm,
    ortVersion,
    userAgent: navigator.userAgent,
    realm,
  });
}

/** What this realm can reach of the page; read, never assumed. */
async function probeRealm(): Promise<RealmProbe> {
  const isWindow = typeof window !== 'undefined' && globalThis === window;
  return {
    origin: globalThis.origin,
    kind: isWindow ? 'window' : 'worker',
    parentReachable: isWindow && window.parent !== window && readable(() => window.parent.document.title),
    topReachable: isWindow && window.top !== window && readable(() => window.top?.location.href),
    indexedDb: await probeIndexedDb(),
  };
}

function readable(read: () => unknown): boolean {
  try {
    read();
    return true;
  } catch {
    return false;
  }
}

function probeIndexedDb(): Promise<string> {
  return new Promise((resolve) => {
    try {
      const request = indexedDB.open('webaccel-probe');
      request.onsuccess = () => {
        request.result.close();
        indexedDB.deleteDatabase('webaccel-probe');
        resolve('available');
      };
      request.onerror = () => resolve(request.error?.name ?? 'error');
      setTimeout(() => resolve('no answer'), 2_000);
    } catch (error) {
      resolve(error instanceof Error ? error.name : String(error));
    }
  });
}

async function detectWebGpu(): Promise<WebGpuCapability> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (gpu === undefined) return { available: false, reason: 'navigator.gpu is not available' };

  try {
    const adapter = await gpu.requestAdapter();
    if (adapter === null) {
      return { available: false, reason: 'navigator.gpu.requestAdapter() returned no adapter' };
    }
    const info = adapter.info;
    return {
      available: true,
      vendor: info.vendor,
      architecture: info.architecture,
      description: info.description,
      shaderF16: adapter.features.has('shader-f16'),
      maxBufferSize: adapter.limits.maxBufferSize,
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    };
  } catch (error) {
    return { available: false, reason: `requestAdapter() failed: ${String(error)}` };
  }
}

async function detectWebNn(): Promise<WebNnCapability> {
  const ml = (navigator as Navigator & { ml?: WebNnLike }).ml;
  if (ml === undefined) {
    return { available: false, reason: 'navigator.ml is not available', deviceTypes: [] };
  }

  const deviceTypes: string[] = [];
  const reasons: string[] = [];
  for (const deviceType of WEBNN_DEVICE_TYPES) {
    try {
      await ml.createContext({ deviceType });
      deviceTypes.push(deviceType);
    } catch (error) {
      reasons.push(`${deviceType}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (deviceTypes.length > 0) return { available: true, deviceTypes };
  return { available: false, reason: `WebNN createContext failed (${reasons.join('; ')})`, deviceTypes };
}

function detectWasm(): WasmCapability {
  if (typeof WebAssembly !== 'object') {
    return { available: false, reason: 'WebAssembly is not available', threads: false, simd: false };
  }
  // The smallest module that uses a v128 instruction; it validates only where SIMD exists.
  const simdProbe = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253,
    15, 253, 98, 11,
  ]);
  return {
    available: true,
    threads: typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated === true,
    simd: WebAssembly.validate(simdProbe),
  };
}
