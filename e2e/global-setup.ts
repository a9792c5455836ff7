/**
 * Vitest global setup: the headless UI tests serve the built renderer, so build it once if
 * `dist/index.html` is missing (never skip a test for want of it). An existing build is reused:
 * run `npm run build` after changing the renderer.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export default async function setup(): Promise<void> {
  if (existsSync(path.join(ROOT, 'dist', 'index.html'))) return;
  const { build } = await import('vite');
  await build({ configFile: path.join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
}
