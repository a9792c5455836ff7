import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLogger } from '@e2e/support/memory-logger';
import { BotStateFile } from './bot-state';
import { ConversationStore } from './conversation-store';
import { DedupeStore } from './dedupe';
import { DurableInbox } from './inbox';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-formats-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const read = (file: string) => fs.readFile(path.join(dir, file), 'utf8');
const entry = { messageId: 'om_1', chatId: 'oc_1', receivedAt: 1, event: { any: 'thing' }, attempts: 0 };

describe('every file a bot keeps says its format version, and one from a newer app is set aside, never overwritten', () => {
  it('state.json: read without a version (v1), written with one; a newer one set aside and the bot starts afresh', async () => {
    await fs.writeFile(path.join(dir, 'state.json'), JSON.stringify({ lastMessageAt: 5, botTurns: { oc_1: 2 } }));
    const state = await BotStateFile.open(path.join(dir, 'state.json'), new MemoryLogger());
    expect(state.current).toMatchObject({ lastMessageAt: 5, botTurns: { oc_1: 2 } });
    state.update({ lastMessageAt: 6 });
    await state.flush();
    expect(JSON.parse(await read('state.json'))).toMatchObject({ version: 1, lastMessageAt: 6 });

    const newer = JSON.stringify({ version: 99, lastMessageAt: 7, botTurns: {}, shape: 'unknown to us' });
    await fs.writeFile(path.join(dir, 'state.json'), newer);
    const logger = new MemoryLogger();
    const fresh = await BotStateFile.open(path.join(dir, 'state.json'), logger);
    expect(fresh.current).toEqual({ botTurns: {} });
    expect(await read('state.json.newer')).toBe(newer);
    expect(logger.records[0]).toMatchObject({ event: 'bot.state_unreadable', error: expect.stringMatching(/newer version of the app/) });
  });

  it('inbox entries: read without a version, written with one; a newer entry set aside as .newer, not dropped', async () => {
    const inbox = await DurableInbox.open(path.join(dir, 'inbox'), new MemoryLogger());
    await inbox.put(entry);
    const [name] = await fs.readdir(path.join(dir, 'inbox'));
    expect(JSON.parse(await read(`inbox/${name}`))).toMatchObject({ version: 1, messageId: 'om_1' });
    const { version: _v, ...unversioned } = JSON.parse(await read(`inbox/${name}`)) as Record<string, unknown>;
    await fs.writeFile(path.join(dir, 'inbox', name!), JSON.stringify(unversioned));
    expect(await inbox.list()).toEqual([entry]);

    await fs.writeFile(path.join(dir, 'inbox', name!), JSON.stringify({ ...unversioned, version: 99 }));
    const logger = new MemoryLogger();
    expect(await (await DurableInbox.open(path.join(dir, 'inbox'), logger)).list()).toEqual([]);
    expect(await fs.readdir(path.join(dir, 'inbox'))).toEqual([`${name}.newer`]);
    expect(logger.records[0]).toMatchObject({ event: 'inbox.corrupt_entry', error: expect.stringMatching(/newer version/) });
  });

  it('the dedupe log: old lines without a version line are read, the compacted log starts with one; a newer log is set aside', async () => {
    const now = Date.now();
    await fs.writeFile(path.join(dir, 'dedupe.jsonl'), `${JSON.stringify({ id: 'om_old', at: now })}\n`);
    const store = await DedupeStore.open(path.join(dir, 'dedupe.jsonl'));
    expect(await store.has('om_old')).toBe(true);
    expect((await read('dedupe.jsonl')).split('\n')[0]).toBe('{"version":1}');

    const newer = `{"version":99}\n${JSON.stringify({ id: 'om_x', at: now })}\n`;
    await fs.writeFile(path.join(dir, 'dedupe.jsonl'), newer);
    const again = await DedupeStore.open(path.join(dir, 'dedupe.jsonl'));
    expect(await again.has('om_x')).toBe(false);
    expect(await read('dedupe.jsonl.newer')).toBe(newer);
    expect(await read('dedupe.jsonl')).toBe('{"version":1}\n');
  });

  it('conversation files: an old file is read and rewritten with its version line; a new one starts with it; a newer one is set aside', async () => {
    const conversations = new ConversationStore(path.join(dir, 'conversations'), new MemoryLogger());
    await conversations.record('chat:oc_new', [{ role: 'user', text: 'hi', messageId: 'om_1' }]);
    const [first] = await fs.readdir(path.join(dir, 'conversations'));
    expect((await read(`conversations/${first}`)).split('\n')[0]).toBe('{"version":1}');

    const old = `${JSON.stringify({ t: 'turn', role: 'user', text: 'hello', at: 1, messageId: 'om_2' })}\n`;
    await fs.writeFile(path.join(dir, 'conversations', first!), old);
    const reopened = new ConversationStore(path.join(dir, 'conversations'), new MemoryLogger());
    expect(await reopened.history('chat:oc_new')).toEqual([{ role: 'user', text: 'hello' }]);
    expect(await read(`conversations/${first}`)).toBe(`{"version":1}\n${old}`);

    const newer = `{"version":99}\n${JSON.stringify({ t: 'turn', role: 'user', text: 'from the future', at: 2 })}\n`;
    await fs.writeFile(path.join(dir, 'conversations', first!), newer);
    const logger = new MemoryLogger();
    expect(await new ConversationStore(path.join(dir, 'conversations'), logger).history('chat:oc_new')).toEqual([]);
    expect(await read(`conversations/${first}.newer`)).toBe(newer);
    expect(logger.records[0]).toMatchObject({ event: 'conversation.newer_format', version: 99 });
  });
});
