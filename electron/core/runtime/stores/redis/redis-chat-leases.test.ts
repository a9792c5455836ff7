/** Chat leases in Redis (bot-store.ts `ChatLeases`): one process per chat, in order, fenced writes, takeover. */
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryLogger } from '@e2e/support/memory-logger';
import { redisForFile } from '@e2e/support/redis-fixture';
import { ChatLeaseLost, type ChatLease } from '../bot-store';
import type { InboxEntry } from '../inbox';
import { fenceCalls } from '../../answer/fenced-api';
import { LEASE_MS } from './redis-chat-leases';
import { openRedisBotStore, type RedisBotStore } from './redis-bot-store';

const redis = redisForFile();
const opened: RedisBotStore[] = [];
let app: string;
let apps = 0;

beforeEach(() => {
  app = `cli_lease_${++apps}_${Math.random().toString(36).slice(2, 8)}`;
});
afterEach(async () => {
  vi.restoreAllMocks();
  for (const store of opened.splice(0)) await store.close();
});

/** One process's view of the app's store (`replicaId` names it in its leases). */
async function replica(replicaId: string): Promise<RedisBotStore & { leases: NonNullable<RedisBotStore['leases']> }> {
  const store = await openRedisBotStore(redis.connections, { appId: app, logger: new MemoryLogger(), replicaId });
  opened.push(store);
  if (!store.leases) throw new Error('the Redis store has chat leases');
  return store as RedisBotStore & { leases: NonNullable<RedisBotStore['leases']> };
}

function message(id: string, chatId: string, sentAt: number, extra: Partial<InboxEntry> = {}): InboxEntry {
  return {
    messageId: id,
    chatId,
    receivedAt: 1_000_000 - sentAt,
    event: { message: { message_id: id, chat_id: chatId, create_time: String(sentAt) } },
    attempts: 0,
    ...extra,
  };
}

async function claimed(store: { leases: NonNullable<RedisBotStore['leases']> }, chatId: string): Promise<ChatLease> {
  const lease = await store.leases.claim(chatId);
  if (!lease) throw new Error(`chat ${chatId} could not be claimed`);
  return lease;
}

describe('chat leases in Redis', () => {
  it('gives a chat with waiting messages to one process at a time, and to another once let go', async () => {
    const a = await replica('a');
    const b = await replica('b');
    expect(await a.leases.claim('oc_1')).toBeUndefined(); // nothing waits in it
    await a.inbox.put(message('om_1', 'oc_1', 100));
    const lease = await claimed(a, 'oc_1');
    expect(await b.leases.claim('oc_1')).toBeUndefined();
    expect(await redis.admin.get(`kocoro:{${app}}:lease:oc_1`)).toMatch(/^a\/\d+$/);
    await lease.release();
    expect((await claimed(b, 'oc_1')).valid()).toBe(true);
  });

  it('serves a chat’s waiting messages in the order they were sent, whatever order they were stored in, held ones left out', async () => {
    const a = await replica('a');
    const b = await replica('b');
    await b.inbox.put(message('om_3', 'oc_1', 300));
    await a.inbox.put(message('om_1', 'oc_1', 100));
    await b.inbox.put(message('om_held', 'oc_1', 50, { held: true }));
    await a.inbox.put(message('om_2', 'oc_1', 200));
    await a.inbox.put(message('om_other', 'oc_2', 10));
    const lease = await claimed(a, 'oc_1');
    const order: string[] = [];
    for (let next = await lease.next(); next; next = await lease.next()) {
      order.push(next.messageId);
      // An update of the entry (its cards, its attempts) keeps its place.
      await lease.inbox.put({ ...next, attempts: 1 });
      await lease.inbox.remove(next);
    }
    expect(order).toEqual(['om_1', 'om_2', 'om_3']);
    expect(await lease.releaseIfIdle()).toBe(true);
    expect((await a.inbox.list()).map((e) => e.messageId).sort()).toEqual(['om_held', 'om_other']);
  });

  it('keeps the chat while something waits in it: letting go when idle says no', async () => {
    const a = await replica('a');
    await a.inbox.put(message('om_1', 'oc_1', 100));
    const lease = await claimed(a, 'oc_1');
    expect(await lease.releaseIfIdle()).toBe(false);
    expect(lease.valid()).toBe(true);
  });

  it('refuses every write of a lease another process has taken, writing nothing', async () => {
    const a = await replica('a');
    const b = await replica('b');
    const entry = message('om_1', 'oc_1', 100);
    await a.inbox.put(entry);
    const old = await claimed(a, 'oc_1');
    // The lease ran out (a pause, a cut) and b took the chat.
    await redis.admin.del(`kocoro:{${app}}:lease:oc_1`);
    const current = await claimed(b, 'oc_1');

    await expect(old.inbox.put({ ...entry, reply: { cards: [{ cardId: 'c_old', createdAt: 1 }] } })).rejects.toBeInstanceOf(ChatLeaseLost);
    await expect(old.inbox.remove(entry)).rejects.toBeInstanceOf(ChatLeaseLost);
    await expect(old.conversations.record('oc_1', [{ role: 'user', text: 'hi', messageId: 'om_1' }])).rejects.toBeInstanceOf(ChatLeaseLost);
    await expect(old.conversations.clear('oc_1')).rejects.toBeInstanceOf(ChatLeaseLost);
    await expect(old.releaseIfIdle()).rejects.toBeInstanceOf(ChatLeaseLost);
    expect(old.valid()).toBe(false);

    expect(await a.inbox.list()).toEqual([entry]);
    expect(await a.conversations.history('oc_1')).toEqual([]);
    await current.conversations.record('oc_1', [{ role: 'user', text: 'hi', messageId: 'om_1' }]);
    await current.inbox.remove(entry);
    expect(await a.inbox.list()).toEqual([]);
  });

  it('stops counting a lease as its own once it was not renewed in time (a paused process), so its platform calls are refused', async () => {
    const a = await replica('a');
    await a.inbox.put(message('om_1', 'oc_1', 100));
    const lease = await claimed(a, 'oc_1');
    const lost = vi.fn();
    lease.onLost(lost);
    const api = fenceCalls({ sendCard: vi.fn(async () => 'sent') }, lease);
    await expect(api.sendCard()).resolves.toBe('sent');
    // The process wakes from a pause longer than the lease: its clock moved, no renewal got through.
    const woke = performance.now() + LEASE_MS + 1;
    vi.spyOn(performance, 'now').mockReturnValue(woke);
    await expect(api.sendCard()).rejects.toBeInstanceOf(ChatLeaseLost);
    expect(lost).toHaveBeenCalledTimes(1);
    await expect(lease.inbox.put(message('om_1', 'oc_1', 100))).rejects.toBeInstanceOf(ChatLeaseLost);
  });

  it('lists the chats with waiting messages that nobody holds, for another process to take over', async () => {
    const a = await replica('a');
    await a.inbox.put(message('om_1', 'oc_1', 100));
    await a.inbox.put(message('om_2', 'oc_2', 100));
    await a.inbox.put(message('om_3', 'oc_3', 100, { held: true }));
    await claimed(a, 'oc_1');
    expect(await a.leases.orphans()).toEqual(['oc_2']);
  });

  it('tells who asked a waiting message, and which message a leased chat answers now, to any process', async () => {
    const a = await replica('a');
    const b = await replica('b');
    await a.inbox.put(message('om_1', 'oc_1', 100));
    await a.inbox.put(message('om_2', 'oc_1', 200));
    expect(await b.leases.running('oc_1')).toBeUndefined(); // waiting, not being answered
    await claimed(a, 'oc_1');
    expect((await b.leases.running('oc_1'))?.messageId).toBe('om_1');
    expect((await b.leases.entry('om_2'))?.messageId).toBe('om_2');
    expect(await b.leases.entry('om_none')).toBeUndefined();
  });

  it('puts entries stored before chats had lines into their lines', async () => {
    const a = await replica('a');
    const entry = message('om_1', 'oc_1', 100);
    await redis.admin.hset(`kocoro:{${app}}:inbox`, 'om_1', JSON.stringify({ version: 1, ...entry }));
    expect(await a.leases.claim('oc_1')).toBeUndefined();
    await a.leases.line(await a.inbox.list());
    expect((await (await claimed(a, 'oc_1')).next())?.messageId).toBe('om_1');
  });
});
