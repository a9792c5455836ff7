import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileVault } from '../store/file-vault';
import { bootKocoro, type RunningKocoro } from './boot';

let dir: string;
let kocoro: RunningKocoro | undefined;
afterEach(async () => {
  await kocoro?.stop('test');
  kocoro = undefined;
  await fs.rm(dir, { recursive: true, force: true });
});

async function boot(lines: string[]): Promise<RunningKocoro> {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-boot-'));
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
});
