import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';

/** Debian's Chromium unless the machine says otherwise; no test tool downloads a browser. */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * WebGPU needs `--enable-unsafe-webgpu` (SwiftShader when no GPU); the WebNN flag makes
 * `navigator.ml` appear so its capability failure is real; the rest keep a headless Chromium
 * from reaching for hosts a closed network cannot reach.
 */
export const chromiumArgs = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=WebMachineLearningNeuralNetwork',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

export default defineConfig({
  server: { cors: true },
  preview: { cors: true },
  optimizeDeps: {
    // Found inside a worker mid-run, these would make Vite reload the page under test.
    include: [
      'comlink',
      'mitt',
      'onnxruntime-common',
      'onnxruntime-web',
      'onnxruntime-web/wasm',
      'onnxruntime-web/webgpu',
    ],
  },
  worker: { format: 'es' },
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({ launchOptions: { executablePath: chromiumPath, args: chromiumArgs } }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
