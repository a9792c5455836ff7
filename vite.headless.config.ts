/**
 * `npm run headless` runs compiled JavaScript on plain Node, not TypeScript through a loader
 * (less memory, faster start): electron/headless.ts → dist-headless/headless.js, an ES module for
 * Node 20 with the runtime dependencies loaded from node_modules. Built by `npm run build`, and
 * by electron/headless.mjs when it is missing or older than the sources.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { pathAliases, runtimeDependencies } from './vite.config.js';

const repoRoot = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: repoRoot,
  publicDir: false,
  resolve: { alias: pathAliases },
  logLevel: 'warn',
  build: {
    ssr: path.join(repoRoot, 'electron/headless.ts'),
    outDir: path.join(repoRoot, 'dist-headless'),
    emptyOutDir: true,
    target: 'node20',
    minify: false, // readable stack traces in server logs
    sourcemap: true,
    rolldownOptions: {
      external: runtimeDependencies,
      output: { entryFileNames: 'headless.js', format: 'es' },
    },
  },
});
