/**
 * A bot a whole team writes to at once (issue 11), in the default reply mode (streaming cards),
 * against a fake platform that enforces the published rate limits (per API, per chat, per card).
 * Speeds are measured by `npm run bench`, not here.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { APP, postText, RuntimeHarness } from '../../support/runtime-harness';

let h: RuntimeHarness;
afterEach(async () => {
  await h?.dispose();
});

const userId = (i: number) => `ou_member${String(i).padStart(24, '0')}`;
const answerFor = (text: string) =>
  `Here is a longer answer for ${text}, streamed piece by piece so that each card gets many updates. `.repeat(3).trim();

describe('a team writing to one bot at once', () => {
  it('streams 40 answers at once (over 200 card operations across 40 cards) with no 429 and no text lost', async () => {
    h = await RuntimeHarness.create({
      model: { chunkChars: 6, chunkDelayMs: 45, reply: (req) => answerFor(String(req.messages.at(-1)?.content ?? '')) },
    });
    await h.start(h.config([h.bot({ replyMode: undefined })]));
    await h.lark.waitForConnections(APP.appId);
    const pushed = Array.from({ length: 40 }, (_, i) =>
      h.lark.pushMessage(APP.appId, { chatType: 'p2p', senderOpenId: userId(i), text: `question ${i}` }),
    );
    await h.waitForEvent('reply.sent', 40, 60_000);

    let operations = 0;
    for (const [i, m] of pushed.entries()) {
      const sent = h.lark.sentMessages({ replyTo: m.messageId });
      expect(sent).toHaveLength(1);
      const card = h.lark.card(sent[0]!.cardId!)!;
      operations += card.ops.length;
      expect(h.lark.cardText(card.cardId)).toBe(answerFor(`question ${i}`));
      expect(card.streaming).toBe(false);
    }
    // The burst really was one: far more operations than the platform allows in a second.
    expect(operations).toBeGreaterThan(200);
    expect(h.lark.rateLimitHits()).toEqual([]);
    // The default (50, the platform's sends per second) lets all 40 start at once.
    expect(h.model.maxConcurrent).toBe(40);
  });

  it("answers 40 chats 32 at a time while each chat's messages stay strictly in order", async () => {
    h = await RuntimeHarness.create({ model: { chunkChars: 4, chunkDelayMs: 120 } });
    await h.start(h.config([h.bot({ maxConcurrentAnswers: 32 })]));
    await h.lark.waitForConnections(APP.appId);
    const perChat = Array.from({ length: 40 }, (_, i) =>
      ['first', 'second', 'third'].map((word) =>
        h.lark.pushMessage(APP.appId, { chatType: 'p2p', senderOpenId: userId(i), text: `${word} from ${i}` }),
      ),
    );
    await h.waitForEvent('reply.sent', 120, 60_000);
    expect(h.model.maxConcurrent).toBe(32);
    for (const [i, messages] of perChat.entries()) {
      const chatId = h.lark.sentMessages({ replyTo: messages[0]!.messageId })[0]!.chatId;
      const replies = h.lark.sentMessages({ chatId }).map((m) => postText(m.content));
      expect(replies).toEqual([`You said: first from ${i}`, `You said: second from ${i}`, `You said: third from ${i}`]);
    }
    expect(h.lark.rateLimitHits()).toEqual([]);
  });

  it('waits out a 429 for its x-ogw-ratelimit-reset, counts it, and the answer still arrives once', async () => {
    h = await RuntimeHarness.create();
    await h.start(h.config([h.bot({ replyMode: undefined })]));
    await h.lark.waitForConnections(APP.appId);
    h.lark.failNext(
      { method: 'POST', path: /\/reply$/ },
      { status: 429, body: { code: 99991400, msg: 'request trigger frequency limit' }, headers: { 'x-ogw-ratelimit-reset': '1' } },
    );
    const m = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'hello' });
    await h.waitForEvent('reply.sent', 1, 15_000);

    const sent = h.lark.sentMessages({ replyTo: m.messageId });
    expect(sent).toHaveLength(1);
    expect(h.lark.cardText(sent[0]!.cardId!)).toBe('You said: hello');
    const tries = h.lark.requests({ method: 'POST', path: /\/reply$/ });
    expect(tries).toHaveLength(2);
    expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(1000);
    const metrics = await h.manager.metrics.text();
    expect(metrics).toContain('kocoro_platform_rate_limited_total{bot="team-bot",api="message.reply",code="99991400"} 1');
  });

  it('takes a new maxConcurrentAnswers while running, without reconnecting', async () => {
    h = await RuntimeHarness.create({ model: { chunkChars: 2, chunkDelayMs: 40 } });
    await h.start(h.config([h.bot({ maxConcurrentAnswers: 2 })]));
    await h.lark.waitForConnections(APP.appId);
    const connection = h.lark.connections(APP.appId)[0]!.id;
    expect(h.manager.applyLive('team-bot', { maxConcurrentAnswers: 5 })).toBe(true);
    const pushed = Array.from({ length: 8 }, (_, i) =>
      h.lark.pushMessage(APP.appId, { chatType: 'p2p', senderOpenId: userId(i), text: `chat ${i}` }),
    );
    await Promise.all(pushed.map((m) => h.lark.waitForMessages({ replyTo: m.messageId }, 1, 20_000)));
    expect(h.model.maxConcurrent).toBe(5);
    expect(h.lark.connections(APP.appId).map((c) => c.id)).toEqual([connection]);
  });
});
