/**
 * The Redis store when Redis goes away: calls fail within the ack's time, saying so, never queued
 * to run late; it works again once Redis is back; what resolved survives a crash of Redis. The
 * server here writes every command to its append-only file before answering (`appendfsync always`).
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryLogger } from '@e2e/support/memory-logger';
import { type PrivateRedis, startPrivateRedis } from '@e2e/support/redis-server';
import { openRedisBotStore, type RedisBotStore } from './redis-bot-store';
import { type OpenedRedis, openRedisConnections } from './redis-connection';

let server: PrivateRedis;
let app: string;
let logger: MemoryLogger;
let apps = 0;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  server = await startPrivateRedis({ persistence: true });
});
afterAll(() => server.dispose());
beforeEach(() => {
  app = `cli_outage_${++apps}_${Math.random().toString(36).slice(2, 8)}`;
  logger = new MemoryLogger();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open(): Promise<{ store: RedisBotStore; connections: OpenedRedis }> {
  const connections = await openRedisConnections(server.url, logger);
  const store = await openRedisBotStore(connections, { appId: app, logger });
  cleanups.push(async () => {
    await store.close();
    await connections.close();
  });
  return { store, connections };
}

const entry = { messageId: 'om_1', chatId: 'oc_1', receivedAt: 1, event: {}, attempts: 0 };
const UNREACHABLE = /the state store \(redis:\/\/127\.0\.0\.1:\d+\/0\) is unreachable/;

async function within<T>(ms: number, call: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await call();
  } finally {
    expect(Date.now() - started).toBeLessThan(ms);
  }
}

describe('the Redis store when Redis is away', () => {
  it('fails add and put within the ack’s time, saying the state store is unreachable, and works again once Redis is back', async () => {
    const { store } = await open();
    await store.dedupe.add('om_before');
    await server.stop();
    try {
      await within(2_000, () => expect(store.dedupe.add('om_1')).rejects.toThrow(UNREACHABLE));
      await within(2_000, () => expect(store.inbox.put(entry)).rejects.toThrow(UNREACHABLE));
      await within(2_000, () => expect(store.dedupe.has('om_before')).rejects.toThrow(UNREACHABLE));
      await within(2_000, () => expect(store.conversations.clear('chat:oc_1')).rejects.toThrow(UNREACHABLE));
      // Memory and the record never throw (the answer has been sent): they log.
      await within(2_000, () => store.conversations.record('chat:oc_1', [{ role: 'user', text: 'hi', messageId: 'om_1' }]));
      store.state.update({ botTurns: { oc_1: 1 } });
      await within(2_000, () => store.state.flush());
      expect(logger.records.map((r) => r.event)).toEqual(expect.arrayContaining(['conversation.save_failed', 'bot.state_write_failed']));
    } finally {
      await server.restart();
    }
    await vi.waitFor(() => store.dedupe.add('om_1'), { timeout: 5_000, interval: 100 });
    await store.inbox.put(entry);
    expect(await store.dedupe.has('om_before')).toBe(true);
    expect(await store.inbox.list()).toEqual([entry]);
    // The record's update that failed is written with the next flush.
    await store.state.flush();
    const { store: reopened } = await open();
    expect(reopened.state.current.botTurns).toEqual({ oc_1: 1 });
  });

  it('fails a call within about a second when Redis hangs, instead of waiting on it', async () => {
    const { store } = await open();
    server.pause();
    try {
      await within(1_800, () => expect(store.dedupe.add('om_1')).rejects.toThrow(/unreachable: Command timed out/));
      await within(1_800, () => expect(store.inbox.put(entry)).rejects.toThrow(/unreachable: Command timed out/));
    } finally {
      server.resume();
    }
    // A call that timed out had been sent: Redis runs it once it answers again. Every write is
    // idempotent (a put, a SET) for this reason; the caller was told it failed and tries again.
    await vi.waitFor(async () => expect(await store.dedupe.has('om_1')).toBe(true), { timeout: 3_000, interval: 100 });
    expect(await store.inbox.list()).toEqual([entry]);
  });

  it('refuses to open a store while Redis is down, naming it', async () => {
    await server.stop();
    try {
      await within(2_000, () =>
        expect(openRedisConnections(server.url, logger)).rejects.toThrow(/cannot reach the state store at redis:\/\/127\.0\.0\.1/),
      );
    } finally {
      await server.restart();
    }
  });

  it('keeps everything that resolved when Redis is killed and started again', async () => {
    const { store } = await open();
    await store.dedupe.add('om_1');
    await store.inbox.put(entry);
    await store.conversations.record('chat:oc_1', [{ role: 'user', text: 'hi', messageId: 'om_1' }]);
    store.state.update({ lastMessageAt: 42, botTurns: { oc_1: 2 } });
    await store.state.flush();
    await server.kill();
    await server.restart();
    const { store: after } = await open();
    expect(await after.dedupe.has('om_1')).toBe(true);
    expect(await after.inbox.list()).toEqual([entry]);
    expect(await after.conversations.history('chat:oc_1')).toEqual([{ role: 'user', text: 'hi' }]);
    expect(after.state.current).toEqual({ lastMessageAt: 42, botTurns: { oc_1: 2 } });
  });

  it('still carries stop requests to another replica after Redis restarts', async () => {
    const { store: first } = await open();
    const { store: second, connections } = await open();
    await server.restart();
    const admin = new Redis(server.socket);
    cleanups.push(async () => admin.disconnect());
    // Both replicas' subscriber connections have subscribed again by themselves.
    await vi.waitFor(async () => expect(await admin.pubsub('NUMSUB', `kocoro:{${app}}:stops`)).toEqual([`kocoro:{${app}}:stops`, 2]), {
      timeout: 5_000,
      interval: 100,
    });
    expect(connections.subscriber.status).toBe('ready');
    await vi.waitFor(() => first.stops.request('om_0'), { timeout: 5_000, interval: 100 });
    const onStop = vi.fn();
    second.stops.watch('om_1', onStop);
    await first.stops.request('om_1');
    await vi.waitFor(() => expect(onStop).toHaveBeenCalledTimes(1));
  });
});
