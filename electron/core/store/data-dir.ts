import os from 'node:os';
import path from 'node:path';

export const APP_DIR_NAME = 'Kocoro Desktop';

/**
 * The per-user data directory, the same one Electron's `app.getPath('userData')` gives the
 * desktop app, so headless and desktop share state on one machine.
 */
export function defaultDataDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  home = os.homedir(),
): string {
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', APP_DIR_NAME);
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), APP_DIR_NAME);
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), APP_DIR_NAME);
}
