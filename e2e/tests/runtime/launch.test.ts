import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HeadlessProcess, tradeSignInLink } from '../../support/headless-process';

let dir: string;
let proc: HeadlessProcess | undefined;
afterEach(async () => {
  if (proc && proc.child.exitCode === null) proc.kill('SIGKILL');
  await fs.rm(dir, { recursive: true, force: true });
});

/** `npm start` (the launcher, after the build) on a machine where Electron's binary is missing. */
async function startWithoutElectron(): Promise<{ opened: string; release: string }> {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-launch-'));
  const bin = path.join(dir, 'bin');
  const opened = path.join(dir, 'opened.txt');
  const release = path.join(dir, 'release');
  await fs.mkdir(bin);
  await fs.mkdir(path.join(dir, 'no-electron'));
  // A stand-in for the desktop's "open this in the browser": records its whole argv, one per line,
  // and stays (as a real opener does a moment) until released, so its command line can be seen.
  const script = [
    '#!/bin/sh',
    `printf '%s\\n' "$@" > '${opened}.part' && mv '${opened}.part' '${opened}'`,
    'i=0',
    `while [ -d '${dir}' ] && [ ! -e '${release}' ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done`,
    '',
  ].join('\n');
  await fs.writeFile(path.join(bin, 'xdg-open'), script, { mode: 0o755 });
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
  return { opened, release };
}

/**
 * Every command line this test can see, collected while `npm start` runs: what any local user
 * reads with `ps`. Polled, so short-lived processes (the opener) are caught too.
 */
function watchCommandLines(): { seen: Set<string>; stop: () => void } {
  const seen = new Set<string>();
  let stopped = false;
  const poll = async (): Promise<void> => {
    while (!stopped) {
      for (const pid of await fs.readdir('/proc').catch(() => [])) {
        if (!/^\d+$/.test(pid)) continue;
        const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
        if (cmdline) seen.add(cmdline.replaceAll('\0', ' '));
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  void poll();
  return { seen, stop: () => (stopped = true) };
}

describe('npm start where Electron cannot start', () => {
  it('says why in one line, then serves the same app in the browser and opens its link', async () => {
    await startWithoutElectron();
    const url = await proc!.waitForUiUrl();
    expect(proc!.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^Kocoro: there is no Electron binary at .*no-electron.*; opening Kocoro in your browser instead\.$/),
      `UI: ${url}`,
    ]);
    expect(proc!.stderr).not.toMatch(/^\s+at /m);

    const page = await fetch(new URL(url).origin);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    // The data dir is the desktop app's own (the same bots and agents).
    expect(await proc!.waitForLog('runtime.starting')).toMatchObject({ dataDir: path.join(dir, 'config', 'Kocoro Desktop') });

    proc!.kill('SIGTERM');
    expect(await proc!.exited).toEqual({ code: 0, signal: null });
    expect(proc!.lines().map((l) => l.event)).toContain('runtime.stopped');
  });

  it.skipIf(process.platform !== 'linux')(
    'hands the browser a private file, never the link: no command line holds the code or the token, and the link works once',
    async () => {
      const commandLines = watchCommandLines();
      try {
        const { opened, release } = await startWithoutElectron();
        const printed = await proc!.waitForUiUrl();
        await expect.poll(() => fs.readFile(opened, 'utf8').catch(() => ''), { timeout: 10_000 }).not.toBe('');
        const argv = (await fs.readFile(opened, 'utf8')).trimEnd().split('\n');

        // One argument: the path of a page only this user can read, in a folder only this user can open.
        expect(argv).toHaveLength(1);
        const file = argv[0]!;
        expect(path.isAbsolute(file)).toBe(true);
        expect(file).toMatch(/\.html$/);
        const [fileStat, dirStat] = await Promise.all([fs.stat(file), fs.stat(path.dirname(file))]);
        expect(fileStat.mode & 0o777).toBe(0o600);
        expect(dirStat.mode & 0o777).toBe(0o700);
        expect(fileStat.uid).toBe(process.getuid!());

        // The page forwards to the printed one-time link.
        const html = await fs.readFile(file, 'utf8');
        const forwarded = /location\.replace\("([^"]+)"\)/.exec(html)?.[1];
        expect(forwarded).toBe(printed);
        expect(html).toContain(`<meta http-equiv="refresh" content="0;url=${printed}">`);
        const code = /#code=([A-Za-z0-9_-]{43})$/.exec(printed)![1]!;
        expect(file).not.toContain(code);
        // The opener's command line, as `ps` shows it: the file's path alone.
        await expect.poll(() => [...commandLines.seen].some((c) => c.includes(`xdg-open ${file}`)), { timeout: 10_000 }).toBe(true);
        await fs.writeFile(release, '');

        // It works exactly once: the browser's trade gets the token, a second one is refused.
        const first = await tradeSignInLink(forwarded!);
        expect(first.status).toBe(200);
        const token = first.token!;
        expect((await tradeSignInLink(forwarded!)).status).toBe(401);
        // Once used, the page is removed with its folder.
        await expect
          .poll(
            () =>
              fs.stat(path.dirname(file)).then(
                () => 'there',
                () => 'gone',
              ),
            { timeout: 10_000 },
          )
          .toBe('gone');

        commandLines.stop();
        const ours = [...commandLines.seen].filter((c) => c.includes('launch.ts') || c.includes('run-headless') || c.includes(dir));
        expect(ours.some((c) => c.includes('launch.ts'))).toBe(true);
        expect(ours.some((c) => c.includes('run-headless.mjs --ui 0'))).toBe(true);
        for (const cmdline of commandLines.seen) {
          expect(cmdline).not.toContain(code);
          expect(cmdline).not.toContain(token);
        }
        expect(proc!.stdout + proc!.stderr).not.toContain(token);

        proc!.kill('SIGTERM');
        expect((await proc!.exited).code).toBe(0);
      } finally {
        commandLines.stop();
      }
    },
  );
});
