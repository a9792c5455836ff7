/**
 * `npm start`: the desktop app. Where Electron cannot start (its binary is missing and cannot be
 * downloaded, as on a machine without internet access), one line says why and the same app runs
 * in the browser instead: `npm run headless -- --ui 0`, whose one-time sign-in link is printed
 * and, where a desktop browser exists, opened through a private file (forwarding-page.ts), never
 * on the opener's command line.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ForwardingPage, writeForwardingPage } from './forwarding-page';
import { errorMessage } from './core/log/error-message';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

type ElectronBinary = { ok: true; path: string } | { ok: false; why: string };

/**
 * The Electron executable, downloaded by the `electron` package on first use. Asked in a child
 * process: the package's own failure is a stack trace, which the person starting the app should
 * not have to read.
 */
function findElectron(): ElectronBinary {
  const probe = spawnSync(process.execPath, ['-e', "process.stdout.write(String(require('electron')))"], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: process.env,
  });
  if (probe.status !== 0) {
    const cause = /^\w*Error: (.+)$/m.exec(probe.stderr ?? '')?.[1] ?? 'the download failed';
    return { ok: false, why: `the Electron binary is not installed and could not be downloaded (${cause})` };
  }
  const binary = probe.stdout.trim().split('\n').pop() ?? '';
  if (!binary || !existsSync(binary)) return { ok: false, why: `there is no Electron binary at ${binary || 'its expected place'}` };
  return { ok: true, path: binary };
}

/** Runs `command` until it exits, passing Ctrl-C and SIGTERM on; resolves with its exit code. */
function run(child: ChildProcess): Promise<number> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

function startElectron(binary: string): Promise<number | 'unstartable'> {
  const child = spawn(binary, [REPO_ROOT], { stdio: 'inherit', env: process.env });
  return new Promise((resolve) => {
    child.once('error', () => resolve('unstartable'));
    child.once('spawn', () => void run(child).then(resolve));
  });
}

/** The OS's way to open a file in the default browser, where there is one. */
export function browserOpener(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): { command: string; args: string[] } | undefined {
  if (platform === 'darwin') return { command: 'open', args: [] };
  if (platform === 'win32') return { command: 'explorer.exe', args: [] };
  // A server (no display) has no browser to open; the printed link is for an SSH tunnel then.
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined;
  const onPath = (env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      accessSync(path.join(dir, 'xdg-open'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  return onPath ? { command: 'xdg-open', args: [] } : undefined;
}

/**
 * A browser reads a local file within seconds of being asked (a minute for a cold start on a slow
 * machine); a page still there after that has been missed, and only keeps a live code on disk.
 */
const PAGE_LIFETIME_MS = 2 * 60_000;

/**
 * Opens `link` in the default browser through a private forwarding page; the page is removed once
 * a sign-in happens (`signedIn`), after its lifetime, or when Kocoro stops.
 */
async function openInBrowser(link: string, signedIn: Promise<void>): Promise<ForwardingPage | undefined> {
  const opener = browserOpener(process.platform, process.env);
  if (!opener) return undefined;
  const page = await writeForwardingPage(link);
  const timer = setTimeout(() => void page.remove(), PAGE_LIFETIME_MS);
  timer.unref();
  void signedIn.then(() => page.remove());
  const child = spawn(opener.command, [...opener.args, page.file], { stdio: 'ignore', detached: true });
  child.on('error', () => void page.remove());
  child.unref();
  return page;
}

/** Resolves at the first `ui.signed_in` line of the JSON log, passing every line through to our stdout. */
function watchLog(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    let pending = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      process.stdout.write(chunk);
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        try {
          if ((JSON.parse(line) as { event?: unknown }).event === 'ui.signed_in') resolve();
        } catch {
          // not a log line: nothing to look for
        }
      }
    });
  });
}

/** The same app in the browser: headless with its UI on a free loopback port. */
async function startInBrowser(): Promise<number> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'electron/run-headless.mjs'), '--ui', '0'], {
    cwd: REPO_ROOT,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const signedIn = watchLog(child);
  let page: Promise<ForwardingPage | undefined> | undefined;
  let pending = '';
  // The link is printed on stderr (the JSON log on stdout never carries one).
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    process.stderr.write(chunk);
    if (page) return;
    pending += chunk;
    const link = /^UI: (http:\/\/\S+)$/m.exec(pending)?.[1];
    if (link) page = openInBrowser(link, signedIn).catch(() => undefined);
  });
  const code = await run(child);
  await (await page)?.remove();
  return code;
}

async function main(): Promise<number> {
  const electron = findElectron();
  if (electron.ok) {
    const code = await startElectron(electron.path);
    if (code !== 'unstartable') return code;
  }
  const why = electron.ok ? `Electron at ${electron.path} could not be started` : electron.why;
  process.stderr.write(`Kocoro: ${why}; opening Kocoro in your browser instead.\n`);
  return startInBrowser();
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`Kocoro could not start: ${errorMessage(err)}\n`);
    process.exit(1);
  },
);
