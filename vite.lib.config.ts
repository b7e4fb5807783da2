import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig, type Plugin, type UserConfig } from 'vite';

/**
 * The prebuilt files in `dist/`, made by `npm run build` (scripts/build.mjs) in three passes,
 * one per `--mode`:
 *
 * - `hosts`: `host/worker.js`, `host/iframe.html` with `host/iframe.js`, their shared chunks, and
 *   onnxruntime-web's `.mjs` and `.wasm` files copied to `ort/`;
 * - `module`: `webaccel.js`, the ES module build of `src/index.ts`;
 * - `global`: `webaccel.iife.js`, the script-tag build that defines `WebAccel`.
 *
 * The page's builds find the others beside themselves at run time (`builtHosts.ts`), so the
 * folder works wherever it is served. The repository's own tests and demo use the source
 * through `vite.config.ts` instead.
 */
const root = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(root, 'dist');
const require = createRequire(import.meta.url);

/** What the three onnxruntime-web builds the hosts import (see loadRuntime.ts) load at run time. */
const RUNTIME_FILES = ['', '.asyncify', '.jsep'].flatMap((variant) =>
  ['.mjs', '.wasm'].map((extension) => `ort-wasm-simd-threaded${variant}${extension}`),
);

/**
 * Copied as files, never bundled: the hosts load them by URL (`wasmPaths`), and a `.wasm` that
 * Vite's library mode sees referenced is inlined as base64, a third larger, into JavaScript.
 */
function copyRuntime(): Plugin {
  return {
    name: 'webaccel:copy-onnxruntime',
    apply: 'build',
    async writeBundle() {
      await mkdir(resolve(outDir, 'ort'), { recursive: true });
      for (const file of RUNTIME_FILES) {
        await copyFile(require.resolve(`onnxruntime-web/${file}`), resolve(outDir, 'ort', file));
      }
    },
  };
}

const common: UserConfig = {
  root,
  publicDir: false,
  logLevel: 'warn',
  build: { outDir, target: 'es2022', sourcemap: true, minify: true, reportCompressedSize: false },
};

/**
 * Hosts import the builds of onnxruntime-web that load their runtime by URL (the condition
 * onnxruntime-web names for it), not the ones that embed a copy of it and reference the `.wasm`
 * for the bundler.
 */
const hosts: UserConfig = {
  ...common,
  root: resolve(root, 'src'),
  base: './',
  resolve: { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] },
  plugins: [copyRuntime()],
  build: {
    ...common.build,
    emptyOutDir: true,
    // No preload helper: it would reach for `document` inside the worker.
    modulePreload: false,
    rolldownOptions: {
      input: {
        worker: resolve(root, 'src/host/worker.ts'),
        iframe: resolve(root, 'src/host/iframe.html'),
      },
      output: {
        entryFileNames: 'host/[name].js',
        chunkFileNames: 'host/chunks/[name]-[hash].js',
        assetFileNames: 'host/assets/[name]-[hash][extname]',
      },
    },
  },
};

/** The page's part: the coordinator, with the hosts' locations taken from beside itself. */
function page(entry: string, format: 'es' | 'iife', fileName: string): UserConfig {
  return {
    ...common,
    // A classic script has no `import.meta`; builtHosts.ts reads document.currentScript there.
    define: format === 'iife' ? { 'import.meta.url': 'undefined' } : {},
    resolve: {
      alias: [
        { find: /^.*\/bundledHosts$/, replacement: resolve(root, 'src/connections/builtHosts.ts') },
      ],
    },
    build: {
      ...common.build,
      emptyOutDir: false,
      lib: {
        entry: resolve(root, entry),
        formats: [format],
        name: 'WebAccel',
        fileName: () => fileName,
      },
      // Library mode keeps an ES build's whitespace for the bundler that minifies it later; this
      // one is loaded by URL as it is (bundlers import the source), so it is minified in full.
      rolldownOptions: { output: { minify: true } },
    },
  };
}

const MODES: Record<string, UserConfig> = {
  hosts,
  module: page('src/index.ts', 'es', 'webaccel.js'),
  global: page('src/global.ts', 'iife', 'webaccel.iife.js'),
};

export default defineConfig(({ mode }) => {
  const config = MODES[mode];
  if (config === undefined) {
    const modes = Object.keys(MODES).join(', ');
    throw new RangeError(`vite.lib.config.ts builds one of ${modes} (--mode), got ${mode}`);
  }
  return config;
});
