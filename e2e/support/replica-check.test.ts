import { describe, expect, it } from 'vitest';
import type * as lark from '@larksuiteoapi/node-sdk';
import { APP, newClient, startFake } from '../fakes/lark/sdk-test-kit';
import type { FakeLarkPlatform } from '../fakes/lark';
import { type Asked, CHOICE_LAG_MS, checkAnswers, problems } from './replica-check';

// The checker the replica tests rely on, fed by the fake's own records through the official client:
// each finding it reports is one a person in the chat would see.

function ask(fake: FakeLarkPlatform, senderOpenId: string, tag: string): Asked {
  const at = Date.now();
  const { messageId, push } = fake.pushMessage(APP.appId, { chatType: 'p2p', senderOpenId, text: `question ${tag}` });
  // Nobody is connected: count it delivered, as a bot's ack would.
  Object.assign(push, { acked: true, ackedAt: at });
  return { messageId, chatId: '', tag, pushId: push.pushId, at };
}

const post = (text: string) => JSON.stringify({ zh_cn: { content: [[{ tag: 'md', text }]] } });

async function reply(client: lark.Client, to: string, text: string): Promise<void> {
  await client.im.v1.message.reply({ path: { message_id: to }, data: { msg_type: 'post', content: post(text) } });
}

async function cardReply(client: lark.Client, to: string, texts: string[], close: boolean): Promise<void> {
  const data = JSON.stringify({
    schema: '2.0',
    config: { streaming_mode: true, update_multi: true },
    body: { elements: [{ tag: 'markdown', element_id: 'stream_md', content: '' }] },
  });
  const cardId = (await client.cardkit.v1.card.create({ data: { type: 'card_json', data } })).data!.card_id!;
  await client.im.v1.message.reply({
    path: { message_id: to },
    data: { msg_type: 'interactive', content: JSON.stringify({ type: 'card', data: { card_id: cardId } }) },
  });
  let sequence = 0;
  for (const content of texts) {
    await client.cardkit.v1.cardElement.content({
      path: { card_id: cardId, element_id: 'stream_md' },
      data: { content, sequence: ++sequence },
    });
  }
  if (close) {
    await client.cardkit.v1.card.settings({
      path: { card_id: cardId },
      data: { settings: JSON.stringify({ config: { streaming_mode: false } }), sequence: sequence + 1 },
    });
  }
}

describe('the replica checker (what the chat saw)', () => {
  it('finds nothing when each message got its own whole answer, in order, cards closed', async () => {
    const fake = await startFake({ rateLimits: false });
    const client = newClient(fake);
    const a = ask(fake, 'ou_a', 'c00-00');
    const b = ask(fake, 'ou_a', 'c00-01');
    await cardReply(client, a.messageId, ['Answer to c00-00', 'Answer to c00-00: done'], true);
    await reply(client, b.messageId, 'Answer to c00-01: done');
    const v = checkAnswers(fake, [a, b], { expected: (tag) => `Answer to ${tag}: done` });
    expect(problems(v)).toEqual([]);
    expect(v.answered).toBe(2);
  });

  it('reports a missing, a doubled and a crossed answer, a card left streaming, text gone back, out of order and overlap', async () => {
    const fake = await startFake({ rateLimits: false });
    const client = newClient(fake);
    const [a, b, c, d] = ['c01-00', 'c01-01', 'c01-02', 'c01-03'].map((tag) => ask(fake, 'ou_b', tag));
    const lost = ask(fake, 'ou_c', 'c02-00');
    // All four delivered well before any answer begins (CHOICE_LAG_MS).
    await new Promise((r) => setTimeout(r, CHOICE_LAG_MS + 50));
    // d answered first, while a's card still streams; b twice; c with someone else's answer.
    await reply(client, d!.messageId, 'Answer to c01-03');
    await cardReply(client, a!.messageId, ['Answer to c01-00: one two', 'Answer to c01-00: one'], false);
    await reply(client, b!.messageId, 'Answer to c01-01');
    await reply(client, b!.messageId, 'Answer to c01-01');
    await reply(client, c!.messageId, 'Answer to c09-09');
    const v = checkAnswers(fake, [a!, b!, c!, d!, lost]);
    expect(v.unanswered).toEqual(['c02-00']);
    expect(v.doubled).toEqual([{ tag: 'c01-01', answers: 2 }]);
    expect(v.misnamed.map((m) => m.tag)).toEqual(['c01-02']);
    expect(v.streaming.map((s) => s.tag)).toEqual(['c01-00']);
    expect(v.backwards).toMatchObject([
      { tag: 'c01-00', elementId: 'stream_md', before: 'Answer to c01-00: one two', after: 'Answer to c01-00: one' },
    ]);
    expect(v.outOfOrder).toHaveLength(1);
    expect(
      v.outOfOrder[0]!.pairs.map((p) => p.split(' ').slice(0, 1).concat(p.split(' ').slice(5, 6)).join(' before ').replace(/,$/, '')),
    ).toEqual(['c01-03 before c01-00', 'c01-03 before c01-01', 'c01-03 before c01-02']);
    // a's card never closed: everything answered after it began overlaps it.
    expect(v.overlapping.map((o) => [o.earlier, o.later])).toEqual([['c01-00', 'c01-01']]);
  });

  it('does not hold a late delivery against the bot: a message re-pushed after the next was answered', async () => {
    const fake = await startFake({ rateLimits: false });
    const client = newClient(fake);
    const a = ask(fake, 'ou_d', 'c03-00');
    const b = ask(fake, 'ou_d', 'c03-01');
    await reply(client, b.messageId, 'Answer to c03-01');
    await new Promise((r) => setTimeout(r, 5));
    // a was refused, then delivered again after b's answer began.
    Object.assign(
      fake.pushes().find((p) => p.pushId === a.pushId)!,
      { ackedAt: Date.now() },
    );
    await reply(client, a.messageId, 'Answer to c03-00');
    expect(checkAnswers(fake, [a, b]).outOfOrder).toEqual([]);
  });
});
