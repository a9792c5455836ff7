import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { LOCK_FILE } from '../store/data-dir-lock';
import { FileVault } from '../store/file-vault';
import { bootKocoro, type RunningKocoro } from './boot';

let dir: string;
let kocoro: RunningKocoro | undefined;
afterEach(async () => {
  await kocoro?.stop('test');
  kocoro = undefined;
  await fs.rm(dir, { recursive: true, force: true });
});

async function boot(lines: string[], existing?: string): Promise<RunningKocoro> {
  dir = existing ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-boot-')));
  kocoro = await bootKocoro({
    mode: 'headless',
    version: '0.0.0-test',
    dataDir: dir,
    writeLog: (line) => lines.push(line),
    openVault: (logger) => FileVault.open(path.join(dir, 'secrets.json'), { logger }),
  });
  return kocoro;
}

const events = (lines: string[]) => lines.map((l) => (JSON.parse(l) as { event: string }).event);

describe('start-up and shutdown shared by the desktop app and headless', () => {
  it('logs an unhandled rejection instead of dying, until it is stopped', async () => {
    const lines: string[] = [];
    const k = await boot(lines);
    const before = process.listenerCount('unhandledRejection');
    process.emit('unhandledRejection', new Error('a library bug'), Promise.resolve());
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toContainEqual(
      expect.objectContaining({ event: 'runtime.unhandled_rejection', error: 'a library bug' }),
    );
    await k.stop('test');
    expect(process.listenerCount('unhandledRejection')).toBe(before - 1);
  });

  it('stops once, closing what was registered before the bots, and says so in the log', async () => {
    const lines: string[] = [];
    const k = await boot(lines);
    const order: string[] = [];
    k.onStop(async () => {
      order.push(
        `ui closed after ${events(lines)
          .filter((e) => e.startsWith('runtime.'))
          .join(',')}`,
      );
    });
    const [first, second] = await Promise.all([k.stop('SIGTERM'), k.stop('SIGINT')]);
    expect(first).toEqual({ finished: true });
    expect(second).toBe(first);
    expect(order).toEqual(['ui closed after runtime.stopping']);
    expect(events(lines).filter((e) => e === 'runtime.stopping' || e === 'runtime.stopped')).toEqual([
      'runtime.stopping',
      'runtime.stopped',
    ]);
    expect(JSON.parse(lines.find((l) => l.includes('runtime.stopping'))!)).toMatchObject({ signal: 'SIGTERM' });
  });

  it.skipIf(process.platform === 'win32')('makes a data folder that already existed private: folders 0700, files 0600', async () => {
    const existing = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-boot-'));
    const conversations = path.join(existing, 'bots', 'team-bot', 'conversations');
    await fs.mkdir(conversations, { recursive: true, mode: 0o755 });
    await fs.writeFile(path.join(conversations, 'chat.jsonl'), '{}\n', { mode: 0o644 });
    await fs.chmod(existing, 0o755);
    await boot([], existing);
    const mode = async (p: string) => (await fs.stat(p)).mode & 0o777;
    expect(await mode(existing)).toBe(0o700);
    expect(await mode(conversations)).toBe(0o700);
    expect(await mode(path.join(conversations, 'chat.jsonl'))).toBe(0o600);
  });

  it('refuses a data folder another running Kocoro holds, naming it and its pid, and changes nothing', async () => {
    await boot([]);
    const lines: string[] = [];
    const before = await fs.readdir(dir);
    await expect(
      bootKocoro({
        mode: 'headless',
        version: '0',
        dataDir: dir,
        writeLog: (l) => lines.push(l),
        openVault: (logger) => FileVault.open(path.join(dir, 'secrets.json'), { logger }),
      }),
    ).rejects.toThrow(`another Kocoro is using ${dir} (pid ${process.pid})`);
    expect(await fs.readdir(dir)).toEqual(before);
    expect(lines).toEqual([]);
  });

  it('takes over the lock of a Kocoro that no longer runs (a crash, kill -9)', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-boot-'));
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await fs.writeFile(path.join(dir, LOCK_FILE), JSON.stringify({ pid: Number(dead.stdout) }));
    const k = await boot([], dir);
    expect(JSON.parse(await fs.readFile(path.join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    await k.stop('test');
    await expect(fs.stat(path.join(dir, LOCK_FILE))).rejects.toThrow();
  });
});
