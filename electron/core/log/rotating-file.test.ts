import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openRotatingLog } from './rotating-file';

let dir: string;
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('the desktop log file', () => {
  it('rotates by size while the app runs, so it never grows without bound, keeping the newest lines', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-log-'));
    const file = path.join(dir, 'logs', 'kocoro.log');
    const log = openRotatingLog(file, 1000);
    const line = (i: number) => `${JSON.stringify({ i, pad: 'x'.repeat(80) })}\n`;
    for (let i = 0; i < 100; i++) log.write(line(i));
    log.close();
    const current = await fs.readFile(file, 'utf8');
    const previous = await fs.readFile(`${file}.1`, 'utf8');
    expect(Buffer.byteLength(current)).toBeLessThanOrEqual(1000);
    expect(Buffer.byteLength(previous)).toBeLessThanOrEqual(1000);
    expect(current.endsWith(line(99))).toBe(true);
    // The two files hold the newest lines in order, none torn.
    const lines = (previous + current)
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { i: number }).i);
    expect(lines).toEqual(Array.from({ length: lines.length }, (_, k) => 100 - lines.length + k));
    if (process.platform !== 'win32') expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
  });

  it('continues the existing file after a restart, rotating when it is already full', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-log-'));
    const file = path.join(dir, 'kocoro.log');
    await fs.writeFile(file, 'y'.repeat(990) + '\n');
    const log = openRotatingLog(file, 1000);
    log.write('{"after":"restart"}\n');
    log.close();
    expect(await fs.readFile(file, 'utf8')).toBe('{"after":"restart"}\n');
    expect((await fs.readFile(`${file}.1`, 'utf8')).length).toBe(991);
  });
});
