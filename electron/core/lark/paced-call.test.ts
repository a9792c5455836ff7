import { describe, expect, it } from 'vitest';
import { MemoryLogger } from '@e2e/support/memory-logger';
import { guardCalls, PacedCaller } from './paced-call';
import { type CallLimiter, CHAT_WINDOWS, localLimiter, RateLimiter } from './rate-limiter';
import { realSleep } from './retry';

const platformError = (status: number, code: number, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`Request failed with status code ${status}`), {
    isAxiosError: true,
    response: { status, data: { code, msg: 'limit' }, headers },
  });
const chat = (id: string) => ({ key: `chat:${id}`, windows: CHAT_WINDOWS });

function caller(observed: string[] = []) {
  return new PacedCaller({
    retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
    sleep: realSleep,
    logger: new MemoryLogger(),
    onTokenRejected: () => {},
    observer: { rateLimited: (op, code) => observed.push(`${op} ${code}`) },
  });
}

describe('PacedCaller', () => {
  it('checks the guard of calls started inside guardCalls before every attempt: a retry the guard refuses is never made', async () => {
    const c = caller();
    let allowed = true;
    let attempts = 0;
    const call = guardCalls(
      () => {
        if (!allowed) throw new Error('no longer ours');
      },
      () =>
        c.call('cardkit.content', async () => {
          attempts++;
          // The first attempt fails on the network; the lease runs out during the backoff.
          allowed = false;
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        }),
    );
    await expect(call).rejects.toThrow(/no longer ours/);
    expect(attempts).toBe(1);
    // Outside guardCalls nothing is checked: the same failure is retried (3 attempts).
    attempts = 0;
    await expect(
      c.call('cardkit.content', async () => {
        attempts++;
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      }),
    ).rejects.toThrow();
    expect(attempts).toBe(3);
  });

  it("on 230020 holds back only that chat, for the chat's second, while other chats' replies go on", async () => {
    const observed: string[] = [];
    const c = caller(observed);
    const events: Array<{ what: string; at: number }> = [];
    const note = (what: string) => events.push({ what, at: Date.now() });
    let refused = false;
    const a = c.call(
      'message.reply',
      async () => {
        if (!refused) {
          refused = true;
          note('a refused');
          throw platformError(400, 230020);
        }
        note('a sent');
        return { code: 0 };
      },
      chat('a'),
    );
    await new Promise((r) => setTimeout(r, 50));
    await c.call('message.reply', async () => (note('b sent'), { code: 0 }), chat('b'));
    await a;
    expect(events.map((e) => e.what)).toEqual(['a refused', 'b sent', 'a sent']);
    expect(events[2]!.at - events[0]!.at).toBeGreaterThanOrEqual(1_000);
    expect(observed).toEqual(['message.reply 230020']);
  });

  it('on 429 holds back every call of that API until x-ogw-ratelimit-reset, and other APIs not at all', async () => {
    const c = caller();
    const events: Array<{ what: string; at: number }> = [];
    const note = (what: string) => events.push({ what, at: Date.now() });
    let refused = false;
    const first = c.call('cardkit.update', async () => {
      if (!refused) {
        refused = true;
        note('update refused');
        throw platformError(429, 99991400, { 'x-ogw-ratelimit-reset': '1' });
      }
      note('update sent');
      return { code: 0 };
    });
    await new Promise((r) => setTimeout(r, 50));
    const other = c.call('cardkit.settings', async () => (note('settings sent'), { code: 0 }));
    const same = c.call('cardkit.update', async () => (note('second update sent'), { code: 0 }));
    await Promise.all([first, other, same]);
    expect(events[0]!.what).toBe('update refused');
    expect(events[1]!.what).toBe('settings sent');
    const second = events.find((e) => e.what === 'second update sent')!;
    expect(second.at - events[0]!.at).toBeGreaterThanOrEqual(1_000);
  });

  it("waits on the app's limiter it is given (the replicas' shared one), and tells it the platform's pause as a duration", async () => {
    const asked: string[] = [];
    const paused: Array<[string, number]> = [];
    const names = (keys: ReadonlyArray<{ key: string }>) => keys.map((k) => k.key).join(' + ');
    const limiter: CallLimiter = {
      acquire: async (keys) => (asked.push(names(keys)), 0),
      tryAcquire: async (keys) => (asked.push(`if room: ${names(keys)}`), 0),
      pause: (key, forMs) => void paused.push([key, forMs]),
    };
    const c = new PacedCaller({
      limiter,
      retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
      sleep: async () => {},
      logger: new MemoryLogger(),
      onTokenRejected: () => {},
    });
    let refused = false;
    const reply = async () => {
      if (refused) return { code: 0 };
      refused = true;
      throw platformError(429, 99991400, { 'x-ogw-ratelimit-reset': '2' });
    };
    await c.call('message.reply', reply, chat('a'));
    await c.callIfRoom('cardkit.content', async () => ({ code: 0 }));
    expect(asked).toEqual(['message.reply + chat:a', 'message.reply + chat:a', 'if room: cardkit.content']);
    // Replicas' clocks differ: a time would mean something else on each; how long does not.
    expect(paused).toEqual([['message.reply', 2_000]]);
  });

  it("takes a pause as a duration from now on this process's own limiter (what it waits on when given none)", async () => {
    let t = 1_000;
    const own = new RateLimiter(() => t);
    const limiter = localLimiter(own);
    limiter.pause('message.reply', 500);
    expect(await limiter.tryAcquire([{ key: 'message.reply', windows: CHAT_WINDOWS }])).toBe(500);
    t += 500;
    expect(await limiter.tryAcquire([{ key: 'message.reply', windows: CHAT_WINDOWS }])).toBe(0);
  });
});
