/**
 * Where the hosts come from in the prebuilt files of `dist/`, when the pool's options name none:
 * beside the script that loaded webaccel, wherever that folder is served. It stands in for
 * `bundledHosts.ts` there (see `vite.lib.config.ts`).
 *
 * - `host/worker.js`: the host worker;
 * - `host/iframe.html`: the sandboxed iframe host page and its script;
 * - `ort/`: onnxruntime-web's `.mjs` and `.wasm` files, which hosts load, never the page.
 */

// `document.currentScript` is set only while a classic script runs its first turn, so the
// script-tag build must read it now, as it loads; a module script has none and knows its own URL
// (the script-tag build has no `import.meta`, and is built with `import.meta.url` undefined).
const loadingScript = typeof document === 'undefined' ? null : document.currentScript;
const entryUrl: string | undefined =
  loadingScript instanceof HTMLScriptElement && loadingScript.src !== ''
    ? loadingScript.src
    : import.meta.url;

function besideEntry(path: string): URL {
  if (entryUrl === undefined) {
    throw new TypeError(
      'webaccel cannot tell where its script was loaded from (it ran without a src of its own); ' +
        'set the pool options hostWorkerUrl, hostIframeUrl and wasmPaths',
    );
  }
  return new URL(path, entryUrl);
}

/**
 * Starts a host worker from `host/worker.js` beside the entry script. Browsers start workers
 * only from the page's own origin, so when `dist/` is served from another one (a CDN) the
 * worker is a same-origin module of one line that imports the host from there; that server
 * must then allow CORS, and the page's CSP must allow `blob:` workers.
 */
export function startHostWorker(name: string): Worker {
  const url = besideEntry('host/worker.js');
  if (url.origin === globalThis.location?.origin) return new Worker(url, { type: 'module', name });

  // One shim for the page, kept: every later worker starts from the same blob.
  shimUrl ??= URL.createObjectURL(
    new Blob([`import ${JSON.stringify(url.href)};`], { type: 'text/javascript' }),
  );
  return new Worker(shimUrl, { type: 'module', name });
}

let shimUrl: string | undefined;

/** `host/iframe.html` beside the entry script. */
export function hostIframeUrl(): string {
  return besideEntry('host/iframe.html').href;
}

/** `ort/` beside the entry script: onnxruntime-web's `.mjs` and `.wasm` files. */
export function runtimeWasmPaths(): string | undefined {
  return besideEntry('ort/').href;
}
