import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HeadlessProcess } from './headless-process';

let dir: string;
let proc: HeadlessProcess | undefined;
afterEach(async () => {
  if (proc && proc.child.exitCode === null) proc.kill('SIGKILL');
  await fs.rm(dir, { recursive: true, force: true });
});

/** `npm start` (the launcher, after the build) on a machine where Electron's binary is missing. */
async function startWithoutElectron(): Promise<{ opened: string }> {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-launch-'));
  const bin = path.join(dir, 'bin');
  const opened = path.join(dir, 'opened.txt');
  await fs.mkdir(bin);
  await fs.mkdir(path.join(dir, 'no-electron'));
  // A stand-in for the desktop's "open this link in the browser", which records what it was given.
  await fs.writeFile(path.join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n`, { mode: 0o755 });
  proc = HeadlessProcess.start(
    [],
    {
      // The electron package's own switch: where it looks for the binary (an empty folder here).
      ELECTRON_OVERRIDE_DIST_PATH: path.join(dir, 'no-electron'),
      XDG_CONFIG_HOME: path.join(dir, 'config'),
      DISPLAY: ':99',
      PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`,
    },
    'electron/launch.ts',
  );
  return { opened };
}

describe('npm start where Electron cannot start', () => {
  it('says why in one line, then serves the same app in the browser and opens its link', async () => {
    const { opened } = await startWithoutElectron();
    const url = await proc!.waitForUiUrl();
    expect(proc!.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^Kocoro: there is no Electron binary at .*no-electron.*; opening Kocoro in your browser instead\.$/),
      `UI: ${url}`,
    ]);
    expect(proc!.stderr).not.toMatch(/^\s+at /m);

    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    await expect.poll(() => fs.readFile(opened, 'utf8').catch(() => ''), { timeout: 10_000 }).toBe(url);
    // The data dir is the desktop app's own (the same bots and agents).
    expect(await proc!.waitForLog('runtime.starting')).toMatchObject({ dataDir: path.join(dir, 'config', 'Kocoro Desktop') });

    proc!.kill('SIGTERM');
    expect(await proc!.exited).toEqual({ code: 0, signal: null });
    expect(proc!.lines().map((l) => l.event)).toContain('runtime.stopped');
  });
});
