import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { APP_DIR_NAME, defaultDataDir } from './data-dir';

describe('defaultDataDir', () => {
  it('is where Electron keeps the desktop app data on each OS', () => {
    expect(defaultDataDir('darwin', {}, '/Users/ann')).toBe('/Users/ann/Library/Application Support/Kocoro Desktop');
    expect(defaultDataDir('linux', {}, '/home/ann')).toBe('/home/ann/.config/Kocoro Desktop');
    expect(defaultDataDir('linux', { XDG_CONFIG_HOME: '/cfg' }, '/home/ann')).toBe('/cfg/Kocoro Desktop');
    expect(defaultDataDir('win32', { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }, 'C:\\Users\\ann')).toMatch(
      /Roaming[\\/]Kocoro Desktop$/,
    );
  });

  it('matches the app name Electron derives userData from (package.json productName)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { productName?: string };
    expect(pkg.productName).toBe(APP_DIR_NAME);
  });
});
