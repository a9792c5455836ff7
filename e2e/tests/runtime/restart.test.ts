import { afterEach, describe, expect, it } from 'vitest';
import type { FakeCard } from '../../fakes/lark';
import { APP, postText, RuntimeHarness } from '../../support/runtime-harness';

let h: RuntimeHarness;
afterEach(async () => {
  await h?.dispose();
});

const ANSWER = Array.from({ length: 40 }, (_, i) => `Step ${i}: do the next thing.`).join(' ');

function cardsFor(messageId: string): FakeCard[] {
  return h.lark
    .sentMessages({ replyTo: messageId })
    .filter((m) => m.cardId)
    .map((m) => h.lark.card(m.cardId!)!);
}

const hasButton = (card: FakeCard): boolean => JSON.stringify(card.json).includes('"tag":"button"');

/** A long answer streaming into its card when the app quits with a grace period too short to finish it. */
async function quitMidAnswer(): Promise<{ messageId: string; card: FakeCard | undefined }> {
  h = await RuntimeHarness.create({ model: { reply: () => ANSWER, chunkChars: 8, chunkDelayMs: 60 } });
  await h.start(h.config([h.bot({ replyMode: undefined })]));
  await h.lark.waitForConnections(APP.appId);
  const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'a long plan, please' });
  await expect
    .poll(() => (cardsFor(messageId)[0] ? (h.lark.cardText(cardsFor(messageId)[0]!.cardId) ?? '').length : 0))
    .toBeGreaterThan(30);
  await h.manager.stopAll(200);
  return { messageId, card: cardsFor(messageId)[0] };
}

describe('replies that survive a restart (default reply mode: streaming cards)', () => {
  it('a shutdown past the grace period closes the streaming card with a note; the next start finishes the answer in that same card', async () => {
    const { messageId, card } = await quitMidAnswer();
    expect(card!.streaming).toBe(false);
    expect(hasButton(card!)).toBe(false);
    expect(h.lark.cardText(card!.cardId)).toMatch(/\n\n_Interrupted — Kocoro will finish this answer when it restarts\._$/);
    expect(h.events('reply.sent')).toHaveLength(0);

    h.model.options = { ...h.model.options, chunkDelayMs: 0 };
    await h.start(h.config([h.bot({ replyMode: undefined })]));
    await h.waitForEvent('reply.sent');
    // One answer, in the same card, whole, finished.
    expect(cardsFor(messageId).map((c) => c.cardId)).toEqual([card!.cardId]);
    expect(h.lark.sentMessages({ replyTo: messageId })).toHaveLength(1);
    expect(h.lark.cardText(card!.cardId)).toBe(ANSWER);
    expect(card!.streaming).toBe(false);
    expect(hasButton(card!)).toBe(false);
  });

  it('when the kept card can no longer be updated, exactly one continuation carries the whole answer', async () => {
    const { messageId, card } = await quitMidAnswer();
    const interrupted = h.lark.cardText(card!.cardId);

    // The card is gone for good (e.g. deleted): every operation on it fails after the restart.
    h.lark.failNext(
      { path: new RegExp(`/cardkit/v1/cards/${card!.cardId}`) },
      { status: 400, body: { code: 230099, msg: 'card is gone' } },
      20,
    );
    h.model.options = { ...h.model.options, chunkDelayMs: 0 };
    await h.start(h.config([h.bot({ replyMode: undefined })]));
    await h.waitForEvent('reply.sent');
    const replies = h.lark.sentMessages({ replyTo: messageId });
    const posts = replies.filter((m) => m.msgType === 'post');
    expect(replies.filter((m) => m.cardId)).toHaveLength(1);
    expect(posts).toHaveLength(1);
    expect(postText(posts[0]!.content)).toBe(ANSWER);
    expect(h.lark.cardText(card!.cardId)).toBe(interrupted);
  });
});
