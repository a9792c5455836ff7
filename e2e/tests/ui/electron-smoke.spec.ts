import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron as electron } from '@playwright/test';
import { expect, test } from '../../support/ui-fixtures';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The Electron binary is fetched lazily on first launch, which cannot happen on machines without
 * internet (CI here). Look for it without `require('electron')`, which would try to download it.
 */
function electronBinary(): string | undefined {
  const dir = path.join(ROOT, 'node_modules/electron');
  const pathFile = path.join(dir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const binary = path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : undefined;
}

test('the built desktop app opens its window on the Connectors page', async () => {
  const executablePath = electronBinary();
  const reason = 'Electron binary not installed (npm downloads it on first `npm start`; this machine cannot reach its download host)';
  if (!executablePath) console.log(`skipped: ${reason}`);
  test.skip(!executablePath, reason);
  const app = await electron.launch({ executablePath, args: [ROOT], env: { ...process.env, ELECTRON_ENABLE_LOGGING: '1' } });
  try {
    const window = await app.firstWindow();
    await expect(window.getByRole('region', { name: 'Feishu' })).toBeVisible();
    await expect(window.getByRole('region', { name: 'Lark' })).toBeVisible();
    // The sandboxed renderer gets the contract bridge and nothing of Node.
    expect(await window.evaluate(() => typeof (window as unknown as { kocoro?: unknown }).kocoro)).toBe('object');
    expect(await window.evaluate(() => typeof (globalThis as unknown as { require?: unknown }).require)).toBe('undefined');
  } finally {
    await app.close();
  }
});
