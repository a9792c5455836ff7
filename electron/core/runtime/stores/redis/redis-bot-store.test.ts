/** What the Redis store promises beyond the interface (bot-store.contract.test.ts): its keys, and other apps' versions of its records. */
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryLogger } from '@e2e/support/memory-logger';
import { redisForFile } from '@e2e/support/redis-fixture';
import { DEFAULT_DEDUPE_TTL_MS } from '../dedupe';
import { openRedisBotStore, type RedisBotStore } from './redis-bot-store';
import { openRedisConnections } from './redis-connection';
import { keyPrefix } from './redis-keys';

const redis = redisForFile();
const opened: RedisBotStore[] = [];
let app: string;
let logger: MemoryLogger;
let apps = 0;

beforeEach(() => {
  app = `cli_redis_${++apps}_${Math.random().toString(36).slice(2, 8)}`;
  logger = new MemoryLogger();
});
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

async function open(): Promise<RedisBotStore> {
  const store = await openRedisBotStore(redis.connections, { appId: app, logger });
  opened.push(store);
  return store;
}
const key = (rest: string): string => `kocoro:{${app}}:${rest}`;
const entry = { messageId: 'om_1', chatId: 'oc_1', receivedAt: 1, event: { any: 'thing' }, attempts: 0 };

describe('the Redis store', () => {
  it('keeps every key of an app under the app’s hash tag (one cluster slot)', async () => {
    const store = await open();
    await store.dedupe.add('om_1');
    await store.inbox.put(entry);
    await redis.admin.hset(key('inbox'), 'om_bad', 'not json');
    await store.inbox.list();
    await store.conversations.record('chat:oc_1', [{ role: 'user', text: 'hi', messageId: 'om_1' }]);
    await store.conversations.record('thread:{odd}', [{ role: 'user', text: 'hi', messageId: 'om_2' }]);
    store.state.update({ lastMessageAt: 1, botTurns: { oc_1: 1 } });
    await store.state.flush();
    await store.stops.request('om_1');
    const keys = (await redis.admin.keys('*')).filter((k) => k.includes(app));
    expect(keys.length).toBeGreaterThanOrEqual(7);
    // Redis hashes the text between the first `{` and the next `}`: for every key, the app id.
    expect(keys.filter((k) => k.slice(k.indexOf('{') + 1, k.indexOf('}')) !== app)).toEqual([]);
    expect(keys.every((k) => k.startsWith(keyPrefix(app)))).toBe(true);
  });

  it('refuses an app id that would move the hash tag', () => {
    expect(() => keyPrefix('cli_{x}')).toThrow(/letters, digits/);
    expect(() => keyPrefix('')).toThrow(/app id/);
  });

  it('lets Redis expire a seen id after the retention, and keeps a stop request only for its window', async () => {
    const store = await open();
    await store.dedupe.add('om_1');
    const ttl = await redis.admin.pttl(key('seen:om_1'));
    expect(ttl).toBeGreaterThan(DEFAULT_DEDUPE_TTL_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(DEFAULT_DEDUPE_TTL_MS);
    expect(JSON.parse((await redis.admin.get(key('seen:om_1')))!)).toMatchObject({ version: 1, id: 'om_1' });
    await store.stops.request('om_1');
    expect(await redis.admin.pttl(key('stop:om_1'))).toBeGreaterThan(0);
    expect(await redis.admin.pttl(key('stop:om_1'))).toBeLessThanOrEqual(30_000);
  });

  it('writes every record with its format version', async () => {
    const store = await open();
    await store.inbox.put(entry);
    await store.conversations.record('chat:oc_1', [{ role: 'user', text: 'hi', messageId: 'om_1' }]);
    store.state.update({ lastMessageAt: 3, botTurns: { oc_1: 2 } });
    await store.state.flush();
    expect(JSON.parse((await redis.admin.hget(key('inbox'), 'om_1'))!)).toMatchObject({ version: 1, messageId: 'om_1' });
    expect(JSON.parse((await redis.admin.lindex(key('conv:chat:oc_1'), 0))!)).toMatchObject({ version: 1, t: 'turn', text: 'hi' });
    expect(await redis.admin.hgetall(key('state'))).toEqual({ record: '{"version":1}', lastMessageAt: '3', 'botTurns:oc_1': '2' });
  });

  it('sets aside an inbox entry written by a newer app, as it was, instead of dropping or overwriting it', async () => {
    const store = await open();
    const newer = JSON.stringify({ ...entry, version: 99, shape: 'unknown to us' });
    await redis.admin.hset(key('inbox'), 'om_1', newer);
    await store.inbox.put({ ...entry, messageId: 'om_2' });
    expect((await store.inbox.list()).map((e) => e.messageId)).toEqual(['om_2']);
    expect(await redis.admin.hgetall(key('aside:inbox'))).toEqual({ om_1: newer });
    expect(logger.records).toContainEqual(expect.objectContaining({ event: 'inbox.corrupt_entry', reason: 'newer' }));
    // Set aside again later (a second bad entry of the same message): the first is kept beside it.
    await redis.admin.hset(key('inbox'), 'om_1', 'damaged');
    await store.inbox.list();
    expect(await redis.admin.hgetall(key('aside:inbox'))).toEqual({ om_1: newer, 'om_1#2': 'damaged' });
  });

  it('sets aside a state record written by a newer app and starts afresh, at open and when one appears later', async () => {
    const newerRecord = JSON.stringify({ version: 99, approvalCards: 'a shape unknown to us' });
    await redis.admin.hset(key('state'), { record: newerRecord, 'botTurns:oc_1': '5' });
    const store = await open();
    expect(store.state.current).toEqual({ botTurns: {} });
    expect(logger.records).toContainEqual(
      expect.objectContaining({ event: 'bot.state_unreadable', error: expect.stringMatching(/newer version/) }),
    );
    store.state.update({ botTurns: { oc_2: 1 } });
    await store.state.flush();
    expect(await redis.admin.hgetall(key('state'))).toEqual({ record: '{"version":1}', 'botTurns:oc_2': '1' });

    // A newer app writes while this one runs: its record is set aside too, not overwritten.
    await redis.admin.hset(key('state'), 'record', newerRecord);
    store.state.update({ botTurns: { oc_2: 2 } });
    await store.state.flush();
    const aside = Object.entries(await redis.admin.hgetall(key('aside:state'))).map(([field, v]) => [field, JSON.parse(v) as unknown]);
    expect(Object.fromEntries(aside)).toEqual({
      state: { record: newerRecord, 'botTurns:oc_1': '5' },
      'state#2': { record: newerRecord, 'botTurns:oc_2': '1' },
    });
    expect(await redis.admin.hgetall(key('state'))).toEqual({ record: '{"version":1}', 'botTurns:oc_2': '2' });
  });

  it('sets aside a damaged state record and starts afresh', async () => {
    await redis.admin.hset(key('state'), { record: '{"version":1}', 'botTurns:oc_1': 'many' });
    const store = await open();
    expect(store.state.current).toEqual({ botTurns: {} });
    expect(await redis.admin.exists(key('state'))).toBe(0);
    expect(await redis.admin.hlen(key('aside:state'))).toBe(1);
  });

  it('sets aside a conversation a newer app wrote in, and remembers afresh', async () => {
    const store = await open();
    await store.conversations.record('chat:oc_1', [{ role: 'user', text: 'mine', messageId: 'om_1' }]);
    const theirs = JSON.stringify({ version: 99, t: 'turn', role: 'user', text: 'from the future', at: 2 });
    await redis.admin.rpush(key('conv:chat:oc_1'), theirs);
    expect(await store.conversations.history('chat:oc_1')).toEqual([]);
    const [aside] = Object.values(await redis.admin.hgetall(key('aside:conv')));
    expect((JSON.parse(aside!) as string[])[1]).toBe(theirs);
    expect(logger.records).toContainEqual(expect.objectContaining({ event: 'conversation.newer_format', conversation: 'chat:oc_1' }));

    // Found by a record first: set aside in the same script, before the turn is added.
    await redis.admin.rpush(key('conv:chat:oc_2'), theirs);
    await store.conversations.record('chat:oc_2', [{ role: 'user', text: 'now', messageId: 'om_2' }]);
    expect(await store.conversations.history('chat:oc_2')).toEqual([{ role: 'user', text: 'now' }]);
    expect(await redis.admin.hlen(key('aside:conv'))).toBe(2);
  });

  it('reads a turn stored without a version as version 1, and skips one it cannot read', async () => {
    const store = await open();
    await redis.admin.rpush(key('conv:chat:oc_1'), JSON.stringify({ t: 'turn', role: 'user', text: 'old', at: 1 }), '{torn');
    expect(await store.conversations.history('chat:oc_1')).toEqual([{ role: 'user', text: 'old' }]);
    expect(logger.records).toContainEqual(expect.objectContaining({ event: 'conversation.lines_skipped', count: 1 }));
  });

  it('serves many bots over one subscriber connection, each hearing its own app’s requests, and closing one leaves the rest', async () => {
    const other = await openRedisConnections(redis.server.url, new MemoryLogger());
    const ids = Array.from({ length: 12 }, (_, i) => `${app}_${i}`);
    const here = await Promise.all(ids.map((appId) => openRedisBotStore(redis.connections, { appId, logger })));
    const there = await Promise.all(ids.map((appId) => openRedisBotStore(other, { appId, logger })));
    const heard = ids.map(() => vi.fn());
    here.forEach((store, i) => store.stops.watch('om_1', heard[i]!));
    await there[3]!.stops.request('om_1');
    await vi.waitFor(() => expect(heard[3]).toHaveBeenCalledTimes(1));
    await here[0]!.close();
    await there[5]!.stops.request('om_1');
    await vi.waitFor(() => expect(heard[5]).toHaveBeenCalledTimes(1));
    expect(heard.map((h) => h.mock.calls.length)).toEqual(ids.map((_, i) => (i === 3 || i === 5 ? 1 : 0)));
    expect(redis.connections.subscriber.listenerCount('message')).toBe(1);
    for (const store of [...here.slice(1), ...there]) await store.close();
    await other.close();
  });

  it('refuses a command connection that would queue while Redis is away', async () => {
    const queueing = new Redis(redis.server.url, { lazyConnect: true });
    await expect(openRedisBotStore({ client: queueing, subscriber: redis.connections.subscriber }, { appId: app, logger })).rejects.toThrow(
      /enableOfflineQueue: false/,
    );
    queueing.disconnect();
  });

  it('tells every process of the app the newest last message any of them received', async () => {
    const a = await open();
    const b = await open();
    expect(await b.state.lastMessageShared?.()).toBeUndefined();
    a.state.update({ lastMessageAt: 2_000 });
    await a.state.flush();
    b.state.update({ lastMessageAt: 1_000 }); // an older one, written later: the newest stays
    await b.state.flush();
    expect(await b.state.lastMessageShared?.()).toBe(2_000);
  });
});
