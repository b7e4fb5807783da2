import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { chromiumArgs, chromiumPath } from './scripts/chromium.mjs';
import { peerCommands } from './test/browser/peerCommands.ts';
import { frameCommands } from './test/browser/frameCommands.ts';


export default defineConfig({
  // Unknown paths answer 404, not the index page: a missing model must look missing.
  appType: 'mpa',
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
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          setupFiles: ['test/browser/setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({ launchOptions: { executablePath: chromiumPath, args: chromiumArgs } }),
            instances: [{ browser: 'chromium' }],
            // Bound to the IPv4 loopback by name: 'localhost' may resolve to ::1 alone, and the
            // iframe tests serve their hosts from the other name of this same server, another
            // site (Chromium resolves 'localhost' to both loopbacks itself).
            api: { host: '127.0.0.1' },
            commands: { ...peerCommands, ...frameCommands },
          },
        },
      },
      {
        extends: true,
        test: {
          // Builds dist/ and loads it, unbundled, into plain pages; it starts Chromium itself.
          name: 'dist',
          include: ['test/dist/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 3 },
        },
      },
      {
        extends: true,
        test: {
          // The same Chromium without --enable-unsafe-webgpu: requestAdapter() returns null, a
          // browser with no WebGPU adapter, for real.
          name: 'no-webgpu',
          include: ['test/no-webgpu/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 2 },
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                executablePath: chromiumPath,
                args: chromiumArgs.filter((arg) => arg !== '--enable-unsafe-webgpu'),
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
