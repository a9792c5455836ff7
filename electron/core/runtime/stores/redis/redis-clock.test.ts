/**
 * The clock replicas share through Redis (card sequence numbers, lark/README.md §5.11): two
 * connections stand for two processes, one of them with its own clock 3 s behind.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateRedis, startPrivateRedis } from '@e2e/support/redis-server';
import type { CardOp } from '@core/lark/api';
import { CardHandle, type CardKitApi } from '@core/lark/outbound/card-handle';
import { openRedisClock, type RedisClockOptions, type SharedClock } from './redis-clock';

let server: PrivateRedis;
const cleanups: Array<() => void> = [];
beforeAll(async () => {
  server = await startPrivateRedis();
});
afterAll(() => server.dispose());
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

const steady = () => performance.timeOrigin + performance.now();

/** One process's clock on its own connection. */
async function clockOf(opts: RedisClockOptions = {}): Promise<SharedClock> {
  const client = new Redis(server.url);
  const clock = openRedisClock(client, opts);
  cleanups.push(() => {
    clock.close();
    client.disconnect();
  });
  await clock.sampled;
  return clock;
}

/** A CardKit port that records the sequence numbers it is given. */
function recordingApi(clock: () => number): { api: CardKitApi; sequences: number[] } {
  const sequences: number[] = [];
  const op = async (_cardId: string, ...rest: unknown[]) => void sequences.push((rest.at(-1) as CardOp).sequence);
  return {
    sequences,
    api: {
      clock,
      createCard: async () => 'card_1',
      updateCard: op,
      setCardSettings: op,
      setCardText: async (cardId, _element, _content, o) => (await op(cardId, o), { retryInMs: 0 }),
      replyMessage: async () => ({ messageId: 'om_card' }),
      sendToUser: async () => ({ messageId: 'om_dm' }),
    },
  };
}

describe('the clock the replicas share through Redis', () => {
  it('tells two processes whose own clocks are 3 s apart the same time, Redis’s', async () => {
    const ahead = await clockOf();
    const behind = await clockOf({ wall: () => Date.now() - 3_000 });
    const [a, b] = [ahead.now(), behind.now()];
    // Each is off by at most half a round trip on loopback: far less than the 3 s between their own clocks.
    expect(Math.abs(a - b)).toBeLessThan(250);
  });

  it('never goes backwards within a process, even when a new reading of Redis’s time would move it back', async () => {
    let fast = 0;
    const clock = await clockOf({ local: () => steady() + fast, sampleEveryMs: 20 });
    const start = clock.now();
    // This process's clock runs ahead by a second; the next reading takes the second back.
    fast = 1_000;
    const jumped = clock.now();
    expect(jumped).toBeGreaterThanOrEqual(start + 1_000);
    const readings: number[] = [];
    for (let i = 0; i < 10; i++) {
      readings.push(clock.now());
      await new Promise((r) => setTimeout(r, 15));
    }
    for (let i = 1; i < readings.length; i++) expect(readings[i]!).toBeGreaterThanOrEqual(readings[i - 1]!);
    expect(readings[0]!).toBeGreaterThanOrEqual(jumped);
  });

  it('keeps a card’s sequence numbers increasing when a replica whose clock is 3 s behind takes it over', async () => {
    const a = recordingApi((await clockOf()).now);
    const before = new CardHandle({ api: a.api });
    const entity = await before.create({});
    for (let i = 0; i < 3; i++) await before.streamText('stream_md', `text ${i}`);
    const b = recordingApi((await clockOf({ wall: () => Date.now() - 3_000 })).now);
    const after = new CardHandle({ api: b.api }, entity);
    await after.update({});
    await after.settings({});
    const all = [...a.sequences, ...b.sequences];
    for (let i = 1; i < all.length; i++) expect(all[i]!).toBeGreaterThan(all[i - 1]!);
  });
});
