/**
 * The app's rate limiter shared by its replicas through Redis (issue 20): two limiters on two
 * connections stand for two processes. Windows here are small (5 per 300 ms) so a test takes a
 * second or two; grant times are Redis's (`onGrant`), the clock the limiter counts on. No test
 * asserts a speed: only that no window ever held more than it allows, and that nothing was dropped.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryLogger } from '@e2e/support/memory-logger';
import { type PrivateRedis, startPrivateRedis } from '@e2e/support/redis-server';
import { ARRIVAL_MARGIN_MS, type RateKey } from '@core/lark/rate-limiter';
import { openRedisConnections } from './redis-connection';
import { keyPrefix } from './redis-keys';
import { RedisRateLimiter } from './redis-rate-limiter';

let server: PrivateRedis;
let admin: Redis;
let app: string;
let apps = 0;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  server = await startPrivateRedis();
  admin = new Redis(server.url);
});
afterAll(async () => {
  admin.disconnect();
  await server.dispose();
});
beforeEach(() => {
  app = `cli_rate_${++apps}_${Math.random().toString(36).slice(2, 8)}`;
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Grant {
  keys: readonly string[];
  at: number;
  where: 'shared' | 'local';
}

/** One replica: its own connection (as redis-connection.ts opens it) and its own limiter for the app. */
async function replica(grants: Grant[], logger = new MemoryLogger(), url = server.url) {
  const connections = await openRedisConnections(url, logger);
  cleanups.push(() => connections.close());
  const limiter = new RedisRateLimiter({
    client: connections.client,
    appId: app,
    logger,
    probeEveryMs: 100,
    onGrant: (keys, at, where) => grants.push({ keys, at, where }),
  });
  return { limiter, logger, connections };
}

/** The most grants that fell in any window of `ms` (times sorted or not). */
function busiest(times: number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (const [i, t] of sorted.entries()) most = Math.max(most, sorted.slice(i).filter((u) => u < t + ms).length);
  return most;
}

const timesOf = (grants: Grant[], key: string) => grants.filter((g) => g.keys.includes(key)).map((g) => g.at);
const api: RateKey = { key: 'message.reply', windows: [{ max: 5, ms: 300 }] };
const chat = (id: string): RateKey => ({ key: `chat:${id}`, windows: [{ max: 2, ms: 300 }] });

describe('the rate limiter the replicas of an app share', () => {
  it("never grants more than a window's max in any window to two replicas together, and grants every call", async () => {
    const grants: Grant[] = [];
    const [a, b] = [await replica(grants), await replica(grants)];
    const calls = Array.from({ length: 15 }, () => [a.limiter.acquire([api]), b.limiter.acquire([api])]).flat();
    await Promise.all(calls);
    expect(grants).toHaveLength(30);
    expect(grants.every((g) => g.where === 'shared')).toBe(true);
    // The published window, and the window as counted (a margin longer for the calls' travel).
    expect(busiest(timesOf(grants, api.key), 300)).toBe(5);
    expect(busiest(timesOf(grants, api.key), 300 + ARRIVAL_MARGIN_MS - 1)).toBe(5);
    expect(a.limiter.waiting + b.limiter.waiting).toBe(0);
  });

  it("holds a chat at its limit across replicas without holding up another chat's calls behind it", async () => {
    const grants: Grant[] = [];
    const [a, b] = [await replica(grants), await replica(grants)];
    const order: string[] = [];
    const call = (r: typeof a, id: string, name: string) => r.limiter.acquire([api, chat(id)]).then(() => order.push(name));
    const calls = [call(a, 'busy', 'a1'), call(b, 'busy', 'b1'), call(a, 'busy', 'a2'), call(b, 'busy', 'b2'), call(a, 'quiet', 'q1')];
    await Promise.all(calls);
    expect(busiest(timesOf(grants, 'chat:busy'), 300 + ARRIVAL_MARGIN_MS - 1)).toBe(2);
    // The quiet chat's call came last in its replica's line, behind two calls to the busy chat that had to wait.
    expect(order.indexOf('q1')).toBeLessThan(order.indexOf('a2'));
    expect(order.filter((n) => n.startsWith('a'))).toEqual(['a1', 'a2']);
    expect(order.filter((n) => n.startsWith('b'))).toEqual(['b1', 'b2']);
  });

  it('spends one token bucket between the replicas: the burst once, then the refill rate', async () => {
    const grants: Grant[] = [];
    const [a, b] = [await replica(grants), await replica(grants)];
    const text: RateKey = { key: 'cardkit.content', windows: [{ max: 1000, ms: 60_000 }], bucket: { burst: 3, perSecond: 10 } };
    expect(await a.limiter.tryAcquire([text])).toBe(0);
    expect(await b.limiter.tryAcquire([text])).toBe(0);
    expect(await a.limiter.tryAcquire([text])).toBe(0);
    // The burst is spent: skippable work is told when to ask again, on both.
    const waitA = await a.limiter.tryAcquire([text]);
    const waitB = await b.limiter.tryAcquire([text]);
    expect(waitA).toBeGreaterThan(0);
    expect(waitB).toBeGreaterThan(0);
    expect(waitA).toBeLessThanOrEqual(100);
    await Promise.all([a.limiter.acquire([text]), b.limiter.acquire([text]), a.limiter.acquire([text]), b.limiter.acquire([text])]);
    const times = timesOf(grants, text.key).sort((x, y) => x - y);
    expect(times).toHaveLength(7);
    // Grant i (from the fourth) needed i - 2 tokens refilled at 10 a second since the first.
    for (let i = 3; i < times.length; i++) expect(times[i]! - times[0]!).toBeGreaterThanOrEqual((i - 2) * 100 - 1);
  });

  it('holds every replica back while one of them was told to pause (a 429), on Redis’s clock', async () => {
    const grants: Grant[] = [];
    const [a, b] = [await replica(grants), await replica(grants)];
    a.limiter.pause(api.key, 400);
    const stateKey = `${keyPrefix(app)}rate-state:${api.key}`;
    await vi.waitFor(async () => expect(await admin.hget(stateKey, 'pause')).not.toBeNull());
    const until = Number(await admin.hget(stateKey, 'pause'));
    // A shorter pause asked meanwhile does not shorten it.
    b.limiter.pause(api.key, 1);
    expect(await b.limiter.tryAcquire([api])).toBeGreaterThan(0);
    expect(Number(await admin.hget(stateKey, 'pause'))).toBe(until);
    await b.limiter.acquire([api]);
    await a.limiter.acquire([api]);
    expect(grants).toHaveLength(2);
    for (const g of grants) expect(g.at).toBeGreaterThanOrEqual(Math.floor(until));
  });

  it('leaves nothing behind in Redis once the windows, the bucket and the pause are over', async () => {
    const grants: Grant[] = [];
    const { limiter } = await replica(grants);
    const text: RateKey = { key: 'cardkit.content', windows: [{ max: 5, ms: 300 }], bucket: { burst: 3, perSecond: 10 } };
    for (let i = 0; i < 3; i++) await limiter.acquire([api, chat('x'), text].slice(0, 1 + (i % 3)));
    limiter.pause('chat:x', 200);
    await vi.waitFor(async () => expect(await admin.exists(`${keyPrefix(app)}rate-state:chat:x`)).toBe(1));
    const keys = await admin.keys(`${keyPrefix(app)}*`);
    expect(keys.length).toBeGreaterThan(0);
    // Every key is under the app's hash tag, and every key expires.
    for (const key of keys) {
      expect(key.startsWith(`kocoro:{${app}}:rate`)).toBe(true);
      expect(await admin.pttl(key)).toBeGreaterThan(0);
    }
    await vi.waitFor(async () => expect(await admin.keys(`${keyPrefix(app)}*`)).toEqual([]), { timeout: 3_000, interval: 100 });
  });
});

describe('the shared rate limiter while Redis is away', () => {
  let own: PrivateRedis;
  beforeAll(async () => {
    own = await startPrivateRedis();
  });
  afterAll(() => own.dispose());

  it('lets the calls go on, paced by this process alone, says so once, and shares again once Redis is back', async () => {
    const grants: Grant[] = [];
    const { limiter, logger } = await replica(grants, new MemoryLogger(), own.url);
    await Promise.all(Array.from({ length: 3 }, () => limiter.acquire([api])));
    await own.stop();
    try {
      // Calls in flight when it went, and calls made while it is away: all granted, within the windows still.
      await Promise.all(Array.from({ length: 12 }, () => limiter.acquire([api])));
      expect(await limiter.tryAcquire([chat('y')])).toBe(0);
    } finally {
      await own.restart();
    }
    const away = grants.filter((g) => g.where === 'local');
    expect(away.length).toBeGreaterThanOrEqual(12);
    expect(busiest(timesOf(away, api.key), 300 + ARRIVAL_MARGIN_MS - 1)).toBeLessThanOrEqual(5);
    await vi.waitFor(
      async () => {
        const before = grants.length;
        await limiter.acquire([chat('z')]);
        expect(grants.slice(before).map((g) => g.where)).toEqual(['shared']);
      },
      { timeout: 10_000, interval: 100 },
    );
    const events = logger.records.map((r) => r.event).filter((e) => e.startsWith('rate_limit.'));
    expect(events).toEqual(['rate_limit.shared_unavailable', 'rate_limit.shared_again']);
    expect(limiter.waiting).toBe(0);
  });
});
