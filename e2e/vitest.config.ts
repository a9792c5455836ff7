import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { pathAliases } from '../vite.config.js';

// Lives in e2e/ to keep the top level to the project's agreed files; paths are from the repo root.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  resolve: { alias: pathAliases },
  test: {
    include: ['electron/**/*.test.ts', 'shared/**/*.test.ts', 'e2e/**/*.test.ts', 'renderer/**/*.test.ts'],
    // Builds dist/ once when it is missing: the headless UI tests serve it.
    globalSetup: ['e2e/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
