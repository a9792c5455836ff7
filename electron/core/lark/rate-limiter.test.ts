import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter';

const api = { key: 'api', windows: [{ max: 3, ms: 200 }] };
const chat = (id: string) => ({ key: `chat:${id}`, windows: [{ max: 1, ms: 200 }] });

/** The most grants that fell in any window of `ms`. */
function busiest(times: number[], ms: number): number {
  let most = 0;
  for (const [i, t] of times.entries()) most = Math.max(most, times.slice(i).filter((u) => u < t + ms).length);
  return most;
}

describe('RateLimiter', () => {
  it('never lets more calls start in a window than it allows, and drops none', async () => {
    const limiter = new RateLimiter();
    const started: number[] = [];
    await Promise.all(Array.from({ length: 10 }, () => limiter.acquire([api]).then(() => started.push(Date.now()))));
    expect(started).toHaveLength(10);
    expect(busiest(started, 200)).toBe(3);
    expect(limiter.waiting).toBe(0);
  });

  it("grants in arrival order under one key, and a chat at its limit does not hold up other chats' calls", async () => {
    const limiter = new RateLimiter();
    const order: string[] = [];
    await limiter.acquire([api, chat('a')]);
    const calls = [
      limiter.acquire([api, chat('a')]).then(() => order.push('a2')),
      limiter.acquire([api, chat('b')]).then(() => order.push('b1')),
      limiter.acquire([api, chat('a')]).then(() => order.push('a3')),
    ];
    await Promise.all(calls);
    expect(order).toEqual(['b1', 'a2', 'a3']);
  });

  it('holds every call under a paused key until the pause is over', async () => {
    const limiter = new RateLimiter();
    const pausedAt = Date.now();
    limiter.pause('api', pausedAt + 150);
    const waited = await limiter.acquire([api]);
    expect(Date.now() - pausedAt).toBeGreaterThanOrEqual(149);
    expect(waited).toBeGreaterThan(0);
    expect(await limiter.acquire([{ key: 'other', windows: [] }])).toBe(0);
  });
});
