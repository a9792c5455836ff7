import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLogger } from '@e2e/support/memory-logger';
import { DedupeStore } from './dedupe';
import { DurableInbox } from './inbox';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-store-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('DedupeStore', () => {
  it('remembers ids across a reopen', async () => {
    const file = path.join(dir, 'dedupe.jsonl');
    const a = await DedupeStore.open(file);
    await a.add('om_1');
    expect(await a.has('om_1')).toBe(true);
    const b = await DedupeStore.open(file);
    expect(await b.has('om_1')).toBe(true);
    expect(await b.has('om_2')).toBe(false);
  });

  it('records a burst of ids added at once, every one durable when its promise resolves', async () => {
    const file = path.join(dir, 'dedupe.jsonl');
    const a = await DedupeStore.open(file);
    const ids = Array.from({ length: 200 }, (_, i) => `om_${i}`);
    await Promise.all(ids.map((id) => a.add(id)));
    // After the log's version line (store/versioned-log.ts), one line per id.
    const [header, ...lines] = (await fs.readFile(file, 'utf8')).trim().split('\n');
    expect(header).toBe('{"version":1}');
    expect(lines).toHaveLength(200);
    const b = await DedupeStore.open(file);
    expect((await Promise.all(ids.map((id) => b.has(id)))).every(Boolean)).toBe(true);
  });

  it('fails only the ids of a write that failed; later ones are written', async () => {
    const file = path.join(dir, 'sub', 'dedupe.jsonl');
    const a = await DedupeStore.open(file);
    await fs.rm(path.dirname(file), { recursive: true });
    await expect(a.add('lost')).rejects.toThrow(/ENOENT/);
    await fs.mkdir(path.dirname(file));
    await a.add('kept');
    expect(await fs.readFile(file, 'utf8')).toContain('"kept"');
  });

  it('forgets ids older than the ttl and compacts them away', async () => {
    const file = path.join(dir, 'dedupe.jsonl');
    let now = 1_000_000;
    const a = await DedupeStore.open(file, 1000, () => now);
    await a.add('old');
    now += 600;
    await a.add('new');
    now += 600;
    expect(await a.has('old')).toBe(false);
    const b = await DedupeStore.open(file, 1000, () => now);
    expect(await b.has('new')).toBe(true);
    expect(await fs.readFile(file, 'utf8')).not.toContain('old');
  });

  it('survives a torn last line left by a crash', async () => {
    const file = path.join(dir, 'dedupe.jsonl');
    await fs.writeFile(file, `${JSON.stringify({ id: 'om_ok', at: Date.now() })}\n{"id":"om_to`);
    const store = await DedupeStore.open(file);
    expect(await store.has('om_ok')).toBe(true);
  });
});

describe('DurableInbox', () => {
  it('keeps entries on disk until removed, oldest first, and is idempotent per message', async () => {
    const inbox = await DurableInbox.open(path.join(dir, 'inbox'), new MemoryLogger());
    await inbox.put({ messageId: 'om_b', chatId: 'oc', receivedAt: 2, event: { x: 2 }, attempts: 0 });
    await inbox.put({ messageId: 'om_a', chatId: 'oc', receivedAt: 1, event: { x: 1 }, attempts: 0 });
    await inbox.put({ messageId: 'om_a', chatId: 'oc', receivedAt: 1, event: { x: 1 }, attempts: 1 });
    const reopened = await DurableInbox.open(path.join(dir, 'inbox'), new MemoryLogger());
    const list = await reopened.list();
    expect(list.map((e) => [e.messageId, e.attempts])).toEqual([
      ['om_a', 1],
      ['om_b', 0],
    ]);
    await reopened.remove({ messageId: 'om_a', chatId: 'oc' });
    expect((await reopened.list()).map((e) => e.messageId)).toEqual(['om_b']);
  });

  it('sets aside an unreadable entry with an error log instead of crashing or deleting it', async () => {
    const logger = new MemoryLogger();
    const inboxDir = path.join(dir, 'inbox');
    const inbox = await DurableInbox.open(inboxDir, logger);
    await fs.writeFile(path.join(inboxDir, 'broken.json'), '{not json');
    expect(await inbox.list()).toEqual([]);
    expect(await fs.readdir(inboxDir)).toContain('broken.json.corrupt');
    expect(logger.records.some((r) => r.event === 'inbox.corrupt_entry')).toBe(true);
  });
});
