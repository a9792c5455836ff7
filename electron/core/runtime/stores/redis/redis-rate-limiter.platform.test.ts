/**
 * Two replicas of one app calling the fake platform, which enforces the published limits per app
 * (e2e/fakes/lark/rate-limits.ts): each replica's load alone fits in the per-API 50 a second,
 * together it is twice that. With the limiter shared through Redis the platform refuses nothing;
 * with each replica pacing itself (the case the shared limiter exists for) it does.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APP, startFake } from '@e2e/fakes/lark/sdk-test-kit';
import { MemoryLogger } from '@e2e/support/memory-logger';
import { type PrivateRedis, startPrivateRedis } from '@e2e/support/redis-server';
import { LarkApi } from '@core/lark/api';
import type { CallLimiter } from '@core/lark/rate-limiter';
import { openRedisConnections } from './redis-connection';
import { redisLimiters } from './redis-rate-limiter';

let server: PrivateRedis;
const cleanups: Array<() => Promise<void>> = [];
beforeAll(async () => {
  server = await startPrivateRedis();
});
afterAll(() => server.dispose());
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A replica's shared limiter for the app: its own connection, as each process has. */
async function sharedLimiter(): Promise<CallLimiter> {
  const logger = new MemoryLogger();
  const connections = await openRedisConnections(server.url, logger);
  cleanups.push(() => connections.close());
  return redisLimiters(connections.client, logger)(APP.appId);
}

const PER_REPLICA = 50;
const user = (replica: number, i: number) => `ou_r${replica}_${String(i).padStart(28, '0')}`;

/** Each replica sends its 50 messages at once, each to a different person (so only the per-API limit is in play). */
async function sendFromBoth(domain: string, limiters: Array<CallLimiter | undefined>): Promise<void> {
  const replicas = limiters.map(
    (limiter) => new LarkApi({ appId: APP.appId, appSecret: APP.appSecret, domain, logger: new MemoryLogger(), limiter }),
  );
  // Started as a bot starts: its identity first, which also fetches the tenant token the sends then share.
  await Promise.all(replicas.map((api) => api.botInfo()));
  await Promise.all(
    replicas.flatMap((api, r) =>
      Array.from({ length: PER_REPLICA }, (_, i) =>
        api.sendToUser(user(r, i), { msgType: 'text', content: JSON.stringify({ text: `m${i}` }) }),
      ),
    ),
  );
}

describe('two replicas of one app sending at once', () => {
  it('are never refused by the platform when they share the limiter in Redis, though together they ask twice the per-API limit', async () => {
    const fake = await startFake();
    await sendFromBoth(fake.url, [await sharedLimiter(), await sharedLimiter()]);
    expect(fake.sentMessages()).toHaveLength(2 * PER_REPLICA);
    expect(fake.rateLimitHits()).toEqual([]);
  });

  it('are refused by the platform when each paces only its own calls (what the shared limiter prevents)', async () => {
    const fake = await startFake();
    await sendFromBoth(fake.url, [undefined, undefined]);
    // Every message still arrives (each refused one waited out the reset), but not without refusals.
    expect(fake.sentMessages()).toHaveLength(2 * PER_REPLICA);
    expect(fake.rateLimitHits().filter((h) => h.code === 99991400).length).toBeGreaterThan(0);
  });
});
