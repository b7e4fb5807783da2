import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'vite';

const configFile = fileURLToPath(new URL('../vite.lib.config.ts', import.meta.url));

/**
 * Builds `dist/` (see vite.lib.config.ts): the hosts and onnxruntime-web's runtime files first
 * (that pass empties the folder), then the page's ES module and script-tag builds.
 */
export async function buildDist() {
  for (const mode of ['hosts', 'module', 'global']) {
    await build({ configFile, mode });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await buildDist();
