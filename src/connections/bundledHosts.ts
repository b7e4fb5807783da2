/**
 * Where the hosts come from when the pool's options name none, for apps that bundle webaccel
 * from source: the bundler's own copies. Vite and webpack recognise
 * `new Worker(new URL(…, import.meta.url))` only when written out literally, so it stays here in
 * full. The prebuilt files in `dist/` are made with this module replaced by `builtHosts.ts`.
 */

/** Starts a host worker from the bundler's copy of `src/host/worker.ts`. */
export function startHostWorker(name: string): Worker {
  return new Worker(new URL('../host/worker.ts', import.meta.url), { type: 'module', name });
}

/** The bundler's copy of the iframe host page. */
export function hostIframeUrl(): string {
  return new URL('../host/iframe.html', import.meta.url).href;
}

/** No prefix: the bundler serves onnxruntime-web's files where the runtime looks for them. */
export function runtimeWasmPaths(): string | undefined {
  return undefined;
}
