import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLogger } from '@e2e/support/memory-logger';
import { APP_STORE_FORMAT, AppStore } from './app-store';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-store-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const bot = { id: 'feishu-a1b2c3d4', platform: 'feishu' as const, appId: 'cli_a1b2c3d4e5f60718', agentId: 'echo' };

describe('AppStore', () => {
  it('persists agents, bots and settings in <dataDir>/kocoro.json and reads them back', async () => {
    const logger = new MemoryLogger();
    const store = await AppStore.open({ dataDir: dir, logger });
    expect(store.settings()).toEqual({ language: 'system' });
    store.putAgent({ id: 'echo', name: 'Echo', provider: { type: 'echo' } });
    store.putBot(bot);
    store.putBot({ ...bot, displayName: 'Team Bot' });
    store.updateSettings({ language: 'zh-CN' });

    const again = await AppStore.open({ dataDir: dir, logger });
    expect(again.file).toBe(path.join(dir, 'kocoro.json'));
    expect(again.agents()).toEqual([{ id: 'echo', name: 'Echo', provider: { type: 'echo' } }]);
    expect(again.bots()).toEqual([{ ...bot, displayName: 'Team Bot' }]);
    expect(again.settings()).toEqual({ language: 'zh-CN' });
    again.removeBot(bot.id);
    expect((await AppStore.open({ dataDir: dir, logger })).bots()).toEqual([]);
    expect(logger.records).toEqual([]);
  });

  it('keeps the public URL and a webhook bot’s receive mode, and drops the URL when it is removed', async () => {
    const logger = new MemoryLogger();
    const store = await AppStore.open({ dataDir: dir, logger });
    store.putBot({ ...bot, receive: 'webhook' });
    store.updateSettings({ publicUrl: 'https://bots.example.com' });
    const again = await AppStore.open({ dataDir: dir, logger });
    expect(again.bots()).toEqual([{ ...bot, receive: 'webhook' }]);
    expect(again.settings()).toEqual({ language: 'system', publicUrl: 'https://bots.example.com' });
    again.updateSettings({ publicUrl: undefined });
    expect(again.settings()).toEqual({ language: 'system' });
    expect(await fs.readFile(path.join(dir, 'kocoro.json'), 'utf8')).not.toContain('publicUrl');
    expect(logger.records).toEqual([]);
  });

  it('keeps an invalid file as a backup, starts empty and names the field in the error', async () => {
    const file = path.join(dir, 'kocoro.json');
    const content = JSON.stringify({ bots: [{ ...bot, appId: 'cli_123' }], settings: { language: 'fr' } });
    await fs.writeFile(file, content);
    const logger = new MemoryLogger();
    const store = await AppStore.open({ dataDir: dir, logger });
    expect(store.bots()).toEqual([]);
    expect(store.settings()).toEqual({ language: 'system' });
    expect(await fs.readFile(`${file}.invalid`, 'utf8')).toBe(content);
    const [record] = logger.records;
    expect(record).toMatchObject({ level: 'error', event: 'store.invalid', backup: `${file}.invalid` });
    expect(record!.error).toMatch(/bots\[0\]\.appId: must look like cli_/);
    expect(record!.error).toMatch(/settings\.language/);

    // The app goes on working with a fresh file.
    store.putBot(bot);
    expect((await AppStore.open({ dataDir: dir, logger })).bots()).toEqual([bot]);
  });

  it('reads a hand-edited kocoro.json saved with a UTF-8 byte-order mark, not setting it aside', async () => {
    const file = path.join(dir, 'kocoro.json');
    await fs.writeFile(file, `\uFEFF${JSON.stringify({ bots: [bot] })}`);
    const logger = new MemoryLogger();
    expect((await AppStore.open({ dataDir: dir, logger })).bots()).toEqual([bot]);
    expect(logger.records).toEqual([]);
  });

  it('keeps a file that is not JSON at all as a backup too', async () => {
    const file = path.join(dir, 'kocoro.json');
    await fs.writeFile(file, '{"bots": [');
    const logger = new MemoryLogger();
    const store = await AppStore.open({ dataDir: dir, logger });
    expect(store.agents()).toEqual([]);
    expect(await fs.readFile(`${file}.invalid`, 'utf8')).toBe('{"bots": [');
    expect(logger.records[0]).toMatchObject({ event: 'store.invalid', error: expect.stringMatching(/not valid JSON/) });
  });

  it('reads a kocoro.json without a version as version 1 and writes it back saying so, all of it kept', async () => {
    const file = path.join(dir, 'kocoro.json');
    const agent = { id: 'echo', name: 'Echo', provider: { type: 'echo' as const } };
    await fs.writeFile(file, JSON.stringify({ agents: [agent], bots: [bot], settings: { language: 'en' } }));
    const logger = new MemoryLogger();
    const store = await AppStore.open({ dataDir: dir, logger });
    expect(store.bots()).toEqual([bot]);
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toEqual({ version: 1, agents: [agent], bots: [bot], settings: { language: 'en' } });
    expect(logger.records).toEqual([]);
    // Every later write says its version too.
    store.removeBot(bot.id);
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toMatchObject({ version: APP_STORE_FORMAT.version, bots: [] });
  });

  it('leaves a file already of the newest version as it is when it only reads it', async () => {
    const file = path.join(dir, 'kocoro.json');
    const text = JSON.stringify({ version: APP_STORE_FORMAT.version, bots: [bot] });
    await fs.writeFile(file, text);
    expect((await AppStore.open({ dataDir: dir, logger: new MemoryLogger() })).bots()).toEqual([bot]);
    expect(await fs.readFile(file, 'utf8')).toBe(text);
  });

  it('sets aside a file a newer version of the app wrote, saying so, and never overwrites it', async () => {
    const file = path.join(dir, 'kocoro.json');
    const newer = JSON.stringify({ version: APP_STORE_FORMAT.version + 1, bots: [{ ...bot, somethingNew: true }] });
    await fs.writeFile(file, newer);
    const logger = new MemoryLogger();
    const store = await AppStore.open({ dataDir: dir, logger });
    expect(store.bots()).toEqual([]);
    expect(logger.records).toEqual([
      expect.objectContaining({
        level: 'error',
        event: 'store.invalid',
        backup: `${file}.newer`,
        error: `version: ${APP_STORE_FORMAT.version + 1} was written by a newer version of the app (this one reads up to ${APP_STORE_FORMAT.version})`,
        hint: expect.stringMatching(/newer version of the app/),
      }),
    ]);

    // The app goes on with a fresh file; the backup stays as it was, also when it happens again.
    store.putBot(bot);
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toMatchObject({ version: APP_STORE_FORMAT.version, bots: [bot] });
    await fs.writeFile(file, newer);
    await AppStore.open({ dataDir: dir, logger });
    expect(await fs.readFile(`${file}.newer`, 'utf8')).toBe(newer);
    expect(await fs.readFile(`${file}.newer-2`, 'utf8')).toBe(newer);
  });

  it('refuses to write a record that would make the file unreadable next time', async () => {
    const store = await AppStore.open({ dataDir: dir, logger: new MemoryLogger() });
    expect(() => store.putBot({ ...bot, id: 'Not An Id' })).toThrow();
    expect(store.bots()).toEqual([]);
  });
});
