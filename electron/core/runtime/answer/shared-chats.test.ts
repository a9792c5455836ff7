/** Several processes answering one bot's chats through leases in a real Redis (shared-chats.ts). */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLogger } from '@e2e/support/memory-logger';
import { type PrivateRedis, startPrivateRedis } from '@e2e/support/redis-server';
import { ChatLeaseLost, type ChatLease } from '../stores/bot-store';
import type { InboxEntry } from '../stores/inbox';
import { openRedisBotStore, type RedisBotStore } from '../stores/redis/redis-bot-store';
import { type OpenedRedis, openRedisConnections } from '../stores/redis/redis-connection';
import { ChatScheduler } from './chat-scheduler';
import { SharedChats } from './shared-chats';

let server: PrivateRedis;
const cleanup: Array<() => Promise<void>> = [];
let apps = 0;

beforeAll(async () => {
  server = await startPrivateRedis();
});
afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done();
});
afterAll(async () => {
  await server.dispose();
});

interface Replica {
  id: string;
  store: RedisBotStore;
  chats: SharedChats;
  connections: OpenedRedis;
}

type Answer = (replica: string, entry: InboxEntry, lease: ChatLease) => Promise<void>;

/** One process: its own Redis connections, store, chat queue and shared chats. */
async function replica(app: string, id: string, answer: Answer): Promise<Replica> {
  const logger = new MemoryLogger();
  const connections = await openRedisConnections(server.url, logger);
  const store = await openRedisBotStore(connections, { appId: app, logger, replicaId: id });
  const queue = new ChatScheduler(50);
  const chats = new SharedChats({
    leases: store.leases!,
    queue,
    log: logger,
    now: Date.now,
    scanMs: 300,
    answer: (entry, lease, release) => {
      release();
      return answer(id, entry, lease);
    },
  });
  chats.start();
  cleanup.push(async () => {
    chats.close();
    await queue.drain(2_000);
    await store.close().catch(() => undefined);
    await connections.close().catch(() => undefined);
  });
  return { id, store, chats, connections };
}

function message(id: string, chatId: string, sentAt: number): InboxEntry {
  return { messageId: id, chatId, receivedAt: Date.now(), event: { message: { create_time: String(sentAt) } }, attempts: 0 };
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('chats shared by several processes', () => {
  it.each([2, 3])('answers 200 messages over 20 chats arriving at %i processes each once, in the order sent per chat', async (n) => {
    const app = `cli_shared_${++apps}`;
    const answered: Array<{ by: string; id: string; chatId: string }> = [];
    const answer: Answer = async (by, entry, lease) => {
      answered.push({ by, id: entry.messageId, chatId: entry.chatId });
      await new Promise((r) => setTimeout(r, Math.random() * 8));
      await lease.inbox.remove(entry);
    };
    const replicas = await Promise.all(Array.from({ length: n }, (_, i) => replica(app, `r${i}`, answer)));
    const sent = new Map<string, string[]>();
    for (let i = 0; i < 200; i++) {
      const chatId = `oc_${i % 20}`;
      const entry = message(`om_${i}`, chatId, 1_000 + i);
      sent.set(chatId, [...(sent.get(chatId) ?? []), entry.messageId]);
      // Each message reaches one process, as the platform picks one connection per event.
      const at = replicas[Math.floor(Math.random() * n)]!;
      await at.store.inbox.put(entry);
      at.chats.offer(chatId);
      if (i % 7 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    await until(() => answered.length >= 200, 30_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(answered).toHaveLength(200);
    expect(new Set(answered.map((a) => a.id)).size).toBe(200);
    for (const [chatId, ids] of sent) expect(answered.filter((a) => a.chatId === chatId).map((a) => a.id)).toEqual(ids);
    // The chats spread over the processes.
    expect(new Set(answered.map((a) => a.by)).size).toBe(n);
    expect(await replicas[0]!.store.inbox.list()).toEqual([]);
  });

  it('takes over the chat of a process cut off mid-answer, whose late writes are then refused', async () => {
    const app = `cli_shared_${++apps}`;
    const answered: string[] = [];
    let stuck: { lease: ChatLease; entry: InboxEntry } | undefined;
    const a = await replica(app, 'a', (_, entry, lease) => {
      stuck = { lease, entry };
      return new Promise(() => undefined); // never ends: a process stuck or gone
    });
    await a.store.inbox.put(message('om_1', 'oc_1', 1));
    a.chats.offer('oc_1');
    await until(() => stuck !== undefined, 5_000);
    const b = await replica(app, 'b', async (by, entry, lease) => {
      answered.push(`${by}:${entry.messageId}`);
      await lease.inbox.remove(entry);
    });
    // a's link to Redis goes: its lease is no longer renewed and runs out.
    a.connections.client.disconnect();
    const cutAt = Date.now();
    await until(() => answered.length > 0, 12_000);
    expect(answered).toEqual(['b:om_1']);
    expect(Date.now() - cutAt).toBeLessThan(10_000);
    expect(stuck!.lease.valid()).toBe(false);
    await expect(stuck!.lease.inbox.put(stuck!.entry)).rejects.toBeInstanceOf(ChatLeaseLost);
    expect(await b.store.inbox.list()).toEqual([]);
  });
});
