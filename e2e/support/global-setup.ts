/**
 * Vitest global setup: the headless tests run the compiled core (dist-headless/, as `npm run
 * headless` does), built here from the current sources before any test starts, so parallel test
 * files never race to build it. The headless UI tests serve the built renderer, so it is built
 * once if `dist/index.html` is missing (never skip a test for want of it); an existing renderer
 * build is reused: run `npm run build` after changing the renderer.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export default async function setup(): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: path.join(ROOT, 'vite.headless.config.ts'), logLevel: 'warn' });
  if (existsSync(path.join(ROOT, 'dist', 'index.html'))) return;
  await build({ configFile: path.join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
}
