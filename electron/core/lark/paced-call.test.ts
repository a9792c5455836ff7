import { describe, expect, it } from 'vitest';
import { MemoryLogger } from '@e2e/support/memory-logger';
import { PacedCaller } from './paced-call';
import { CHAT_WINDOWS } from './rate-limiter';
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
});
