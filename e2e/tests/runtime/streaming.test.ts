import { afterEach, describe, expect, it } from 'vitest';
import { permissionsLink } from '@shared/lark-console';
import type { FakeCard, SentMessage } from '../../fakes/lark';
import { APP, postText, RuntimeHarness } from '../../support/runtime-harness';

let h: RuntimeHarness;
afterEach(async () => {
  await h?.dispose();
});

const BOT = { key: '@_user_1', openId: APP.botOpenId, name: APP.botName, mentionedType: 'bot' as const };
const CARD_LIMIT_BYTES = 30 * 1024;
/** Every scope the bot uses except CardKit's. */
const WITHOUT_CARDKIT = [
  'im:message',
  'im:message:send_as_bot',
  'im:message.reactions:write_only',
  'im:message:readonly',
  'im:message.p2p_msg:readonly',
  'im:message.group_at_msg:readonly',
];

/** A card bot (the product default) with a model that streams `reply` in `chunkChars` pieces every `chunkDelayMs`. */
async function startCardBot(
  model: { reply?: () => string; chunkChars?: number; chunkDelayMs?: number } = {},
  bot: Parameters<RuntimeHarness['bot']>[0] = {},
) {
  h = await RuntimeHarness.create({ model });
  await h.start(h.config([h.bot({ replyMode: undefined, ...bot })]));
  await h.lark.waitForConnections(APP.appId);
}

/** The card messages answering `messageId`, in the order they were sent, with their entities. */
function cardsFor(messageId: string): Array<{ message: SentMessage; card: FakeCard }> {
  return h.lark
    .sentMessages({ replyTo: messageId })
    .filter((m) => m.cardId)
    .map((message) => ({ message, card: h.lark.card(message.cardId!)! }));
}

async function answered(messageId: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!h.events('reply.sent').some((e) => e.messageId === messageId)) {
    if (Date.now() > deadline) throw new Error(`no reply.sent for ${messageId}; saw ${h.logger.records.map((r) => r.event).join(', ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function hasButton(card: FakeCard): boolean {
  return JSON.stringify(card.json).includes('"tag":"button"');
}

function stopValue(card: FakeCard): unknown {
  const elements = (card.json.body as { elements: Array<{ tag: string; behaviors?: Array<{ value: unknown }> }> }).elements;
  return elements.find((e) => e.tag === 'button')?.behaviors?.[0]?.value;
}

/** Most requests addressed to the card within any 1 s window. */
function maxOpsPerSecond(card: FakeCard): number {
  const at = [...card.requestedAt].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; i < at.length; i++) {
    while (at[i]! - at[j]! >= 1000) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

const ANSWER = [
  '## Release plan',
  '',
  'We ship **Friday**. Steps:',
  '',
  '1. Freeze the branch',
  '2. Run `npm test`',
  '',
  '```ts',
  'const ok = await release({ dryRun: false });',
  '```',
  '',
  'Ping me in the thread if anything breaks — 谢谢!',
].join('\n');

describe('streaming card replies', () => {
  it('streams the answer into a CardKit card sent as the reply, whose final text equals the model output exactly', async () => {
    await startCardBot({ reply: () => ANSWER, chunkChars: 6, chunkDelayMs: 15 });
    const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'plan?' });
    await answered(messageId);
    const cards = cardsFor(messageId);
    expect(cards).toHaveLength(1);
    const { message, card } = cards[0]!;
    expect(message.msgType).toBe('interactive');
    expect(JSON.parse(message.content)).toEqual({ type: 'card', data: { card_id: card.cardId } });
    expect(message.uuid).toBeTruthy();
    expect(h.lark.cardText(card.cardId)).toBe(ANSWER);
    // It streamed: several content updates, each a prefix of the answer.
    const contents = card.ops.filter((op) => op.kind === 'content');
    expect(contents.length).toBeGreaterThan(1);
    for (const op of contents) expect(ANSWER.startsWith(op.content!)).toBe(true);
    expect(h.lark.sentMessages({ replyTo: messageId }).filter((m) => m.msgType === 'post')).toHaveLength(0);
  });

  it('closes streaming mode at the end and removes the Stop button', async () => {
    await startCardBot({ reply: () => ANSWER, chunkChars: 10, chunkDelayMs: 10 });
    const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'plan?' });
    await expect.poll(() => cardsFor(messageId)[0]?.card.ops.some((op) => op.kind === 'content')).toBe(true);
    expect(hasButton(cardsFor(messageId)[0]!.card)).toBe(true);
    await answered(messageId);
    const { card } = cardsFor(messageId)[0]!;
    expect(card.streaming).toBe(false);
    expect(hasButton(card)).toBe(false);
    expect(card.ops.at(-1)!.kind).toBe('settings');
    const config = card.json.config as { streaming_mode?: boolean; summary?: { content?: string } };
    expect(config.streaming_mode).toBe(false);
    expect(config.summary?.content).toMatch(/^Release plan/);
  });

  it('uses strictly increasing sequences across every operation of a card, and no more than 10 operations in any 1 s window', async () => {
    // ~2.4 s of a model sending a chunk every 10 ms: far more deltas than the card may take.
    const reply = 'word '.repeat(240);
    await startCardBot({ reply: () => reply, chunkChars: 5, chunkDelayMs: 10 });
    const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'talk' });
    await answered(messageId);
    const { card } = cardsFor(messageId)[0]!;
    const sequences = card.ops.filter((op) => op.kind !== 'create').map((op) => op.sequence!);
    expect(sequences.length).toBeGreaterThan(5);
    for (let i = 1; i < sequences.length; i++) expect(sequences[i]!).toBeGreaterThan(sequences[i - 1]!);
    expect(new Set(card.ops.map((op) => op.kind))).toEqual(new Set(['create', 'content', 'update', 'settings']));
    expect(maxOpsPerSecond(card)).toBeLessThanOrEqual(10);
    // Coalesced: far fewer content updates than the 240 deltas.
    expect(card.ops.filter((op) => op.kind === 'content').length).toBeLessThan(60);
    expect(h.lark.cardText(card.cardId)).toBe(reply);
  });

  it('splits a 60,000-character answer across cards between words: every word of the model output intact in one card', async () => {
    const words = Array.from({ length: 10_500 }, (_, i) => `w${i}`);
    const answer = words.join(' ');
    expect(answer.length).toBeGreaterThanOrEqual(60_000);
    await startCardBot({ reply: () => answer, chunkChars: 1500, chunkDelayMs: 2 });
    const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'count for me' });
    await answered(messageId, 30_000);
    const texts = cardsFor(messageId).map(({ card }) => h.lark.cardText(card.cardId)!);
    expect(texts.length).toBeGreaterThanOrEqual(3);
    expect(texts.flatMap((t) => t.split(/\s+/).filter(Boolean))).toEqual(words);
    expect(texts.join('')).toBe(answer);
  });

  it('delivers a 60,000-character answer complete across several cards, each under the size limit and never cut inside a code block', async () => {
    const paragraphs = Array.from({ length: 40 }, (_, i) => `Paragraph ${i}: ${'lorem ipsum dolor sit amet '.repeat(12).trim()}.`).join(
      '\n\n',
    );
    const single = 'one very long paragraph without any line break, '.repeat(400).trim(); // ~19,600 chars
    const code = ['```python', ...Array.from({ length: 600 }, (_, i) => `print("line ${i}: \\"quoted\\" value")  # 中文`), '```'].join(
      '\n',
    );
    let answer = `${paragraphs}\n\n${single}\n\n${code}\n\nThe end.`;
    answer += `\n\n${'x'.repeat(Math.max(0, 60_000 - answer.length - 2))}`;
    expect(answer.length).toBeGreaterThanOrEqual(60_000);
    await startCardBot({ reply: () => answer, chunkChars: 800, chunkDelayMs: 5 });
    const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'write a lot' });
    await answered(messageId, 30_000);

    const cards = cardsFor(messageId);
    expect(cards.length).toBeGreaterThanOrEqual(3);
    const texts = cards.map(({ card }) => h.lark.cardText(card.cardId)!);
    for (const { card } of cards) {
      expect(Buffer.byteLength(JSON.stringify(card.json), 'utf8')).toBeLessThan(CARD_LIMIT_BYTES);
      expect(card.streaming).toBe(false);
      expect(hasButton(card)).toBe(false);
    }
    // Every card's code fences are balanced: a block cut at a card boundary is closed and reopened.
    for (const text of texts) expect(text.split('\n').filter((l) => /^\s*```/.test(l)).length % 2).toBe(0);
    // What we guarantee: a card cut inside a code block ends with "\n```" added, and the next card
    // starts with "```python" added (the text's own newline follows). Removing them gives the answer.
    let joined = '';
    for (const [i, text] of texts.entries()) {
      let t = text;
      if (i > 0 && t.startsWith('```python\n') && !answer.slice(joined.length).startsWith('```python')) t = t.slice('```python'.length);
      if (i < texts.length - 1 && t.endsWith('\n```') && !answer.startsWith(t, joined.length)) t = t.slice(0, -'\n```'.length);
      joined += t;
    }
    expect(joined.length).toBe(answer.length);
    expect(joined).toBe(answer);
    expect(texts.some((t) => t.startsWith('```python\n'))).toBe(true);
  }, 40_000);
});

describe('stopping an answer', () => {
  const LONG = Array.from({ length: 200 }, (_, i) => `sentence ${i}.`).join(' ');

  it('the Stop button ends the run within a second, the toast comes back in the ack within 3 s, and the card keeps the partial text with a stopped note', async () => {
    await startCardBot({ reply: () => LONG, chunkChars: 4, chunkDelayMs: 30 });
    const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'go on and on' });
    await expect
      .poll(() => cardsFor(messageId)[0]?.card.ops.some((op) => op.kind === 'content' && op.content!.length > 10), { timeout: 10_000 })
      .toBe(true);
    const { card, message } = cardsFor(messageId)[0]!;
    const clickedAt = Date.now();
    const push = h.lark.pushCardAction(APP.appId, { openMessageId: message.messageId, openChatId: message.chatId, value: stopValue(card) });
    const ack = await h.lark.waitForAck(push.pushId);
    expect(ack.ackData).toMatchObject({ toast: { type: 'info', content: 'Stopped' } });
    expect(ack.ackLatencyMs!).toBeLessThan(3000);
    await answered(messageId, 3000);
    expect(Date.now() - clickedAt).toBeLessThan(1000);
    const text = h.lark.cardText(card.cardId)!;
    expect(text.endsWith('\n\n_Stopped._')).toBe(true);
    const partial = text.slice(0, -'\n\n_Stopped._'.length);
    expect(partial.length).toBeGreaterThan(10);
    expect(partial.length).toBeLessThan(LONG.length);
    expect(LONG.startsWith(partial)).toBe(true);
    expect(card.streaming).toBe(false);
    expect(hasButton(card)).toBe(false);
    await expect.poll(() => h.model.aborted).toBe(1);
    expect(h.events('agent.failed')).toHaveLength(0);
  });

  it('the stop word "停止" stops the chat\'s running answer at once, is acknowledged and deduped, and never reaches the agent', async () => {
    await startCardBot({ reply: () => LONG, chunkChars: 4, chunkDelayMs: 30 });
    const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'go on and on' });
    await expect
      .poll(() => cardsFor(messageId)[0]?.card.ops.some((op) => op.kind === 'content' && op.content!.length > 10), { timeout: 10_000 })
      .toBe(true);
    const stop = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: ' 停止 ' });
    expect((await h.lark.waitForAck(stop.push.pushId)).ackCode).toBe(200);
    await answered(messageId, 3000);
    const { card } = cardsFor(messageId)[0]!;
    expect(h.lark.cardText(card.cardId)!.endsWith('\n\n_Stopped._')).toBe(true);
    await expect.poll(() => h.model.aborted).toBe(1);
    await expect.poll(() => h.lark.reactions(stop.messageId).some((r) => r.emojiType === 'DONE' && r.active)).toBe(true);
    // Seen like any other message: a re-push is a duplicate, and nothing answers it.
    const again = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: '停止', messageId: stop.messageId });
    await h.lark.waitForAck(again.push.pushId);
    await h.waitForEvent('message.duplicate');
    expect(h.model.requests).toHaveLength(1);
    expect(h.lark.sentMessages({ replyTo: stop.messageId })).toHaveLength(0);
  });

  it("in a group, a bystander's Stop button and stop word leave a colleague's answer running and are told who can; an approver's Stop ends it", async () => {
    const ASKER = 'ou_asker000000000001';
    const BYSTANDER = 'ou_bystander00000001';
    const APPROVER = 'ou_approver000000001';
    await startCardBot({ reply: () => LONG, chunkChars: 4, chunkDelayMs: 30 }, { approvers: [APPROVER] });
    const m = h.lark.pushMessage(APP.appId, {
      chatType: 'group',
      chatId: 'oc_g1',
      senderOpenId: ASKER,
      text: '@_user_1 go',
      mentions: [BOT],
    });
    await expect.poll(() => cardsFor(m.messageId)[0]?.card.ops.some((op) => op.kind === 'content'), { timeout: 10_000 }).toBe(true);
    const { card, message } = cardsFor(m.messageId)[0]!;
    const press = (operatorOpenId: string) =>
      h.lark.waitForAck(
        h.lark.pushCardAction(APP.appId, { openMessageId: message.messageId, openChatId: 'oc_g1', operatorOpenId, value: stopValue(card) })
          .pushId,
      );
    expect((await press(BYSTANDER)).ackData).toMatchObject({
      toast: { content: "Only the person who asked, or one of the bot's approvers, may stop this answer." },
    });
    const word = h.lark.pushMessage(APP.appId, {
      chatType: 'group',
      chatId: 'oc_g1',
      senderOpenId: BYSTANDER,
      text: '@_user_1 stop',
      mentions: [BOT],
    });
    const [told] = await h.lark.waitForMessages({ replyTo: word.messageId });
    expect(postText(told!.content)).toBe("Only the person who asked, or one of the bot's approvers, may stop this answer.");
    expect(h.model.aborted).toBe(0);
    expect(h.events('reply.sent').some((e) => e.messageId === m.messageId)).toBe(false);
    expect((await press(APPROVER)).ackData).toMatchObject({ toast: { content: 'Stopped' } });
    await answered(m.messageId, 3000);
    expect(h.lark.cardText(card.cardId)!.endsWith('_Stopped._')).toBe(true);
  });

  it('"/stop" with the bot mentioned in a group stops that group\'s answer', async () => {
    await startCardBot({ reply: () => LONG, chunkChars: 4, chunkDelayMs: 30 });
    const m = h.lark.pushMessage(APP.appId, { chatType: 'group', chatId: 'oc_g1', text: '@_user_1 go', mentions: [BOT] });
    await expect.poll(() => cardsFor(m.messageId)[0]?.card.ops.some((op) => op.kind === 'content'), { timeout: 10_000 }).toBe(true);
    h.lark.pushMessage(APP.appId, { chatType: 'group', chatId: 'oc_g1', text: '@_user_1 /STOP', mentions: [BOT] });
    await answered(m.messageId, 3000);
    expect(h.lark.cardText(cardsFor(m.messageId)[0]!.card.cardId)!.endsWith('_Stopped._')).toBe(true);
    expect(h.model.requests).toHaveLength(1);
  });
});

describe('fallbacks and reply modes', () => {
  it('answers with post messages holding the full text when the cardkit scope is missing, and tells the owner once with the exact grant link', async () => {
    h = await RuntimeHarness.create({ lark: { apps: [{ ...APP, grantedScopes: WITHOUT_CARDKIT }] } });
    await h.start(h.config([h.bot({ replyMode: undefined })]));
    await h.lark.waitForConnections(APP.appId);
    for (const text of ['first question', 'second question']) {
      const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text });
      const [reply] = await h.lark.waitForMessages({ replyTo: messageId });
      expect(reply!.msgType).toBe('post');
      expect(postText(reply!.content)).toBe(`You said: ${text}`);
      await answered(messageId);
    }
    const link = permissionsLink('feishu', APP.appId, ['cardkit:card:write']);
    expect(link).toBe(`https://open.feishu.cn/app/${APP.appId}/auth?q=cardkit:card:write&op_from=openapi&token_type=tenant`);
    expect(h.events('bot.missing_scope')).toEqual([expect.objectContaining({ scope: 'cardkit:card:write', link })]);
    expect(h.manager.statuses()[0]!.notice).toEqual({ message: expect.stringMatching(/cardkit:card:write/), link });
    expect(h.manager.statuses()[0]!.state).toBe('connected');
  });

  it('falls back to a post with the full answer when sending the card message fails', async () => {
    await startCardBot({ reply: () => ANSWER, chunkChars: 6, chunkDelayMs: 10 });
    h.lark.failNext({ method: 'POST', path: /\/reply$/ }, { status: 400, body: { code: 230099, msg: 'card content invalid' } });
    const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'plan?' });
    await answered(messageId);
    const posts = h.lark.sentMessages({ replyTo: messageId }).filter((m) => m.msgType === 'post');
    expect(posts.map((p) => postText(p.content)).join('')).toBe(ANSWER);
    expect(h.events('bot.missing_scope')).toHaveLength(0);
  });

  it('a card that fails mid-stream continues as posts, without repeating what the card already shows', async () => {
    const answer = Array.from({ length: 60 }, (_, i) => `sentence ${i} of a long answer.`).join(' ');
    await startCardBot({ reply: () => answer, chunkChars: 12, chunkDelayMs: 20 });
    const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'tell me everything' });
    // Once a person can read part of the answer in the card, the card breaks (any error).
    await expect
      .poll(() => (cardsFor(messageId)[0] ? (h.lark.cardText(cardsFor(messageId)[0]!.card.cardId) ?? '').length : 0))
      .toBeGreaterThan(40);
    h.lark.failNext({ path: /\/cardkit\/v1\/cards\// }, { status: 400, body: { code: 230099, msg: 'card broke' } });
    await answered(messageId);
    const [card] = cardsFor(messageId);
    const visible = h.lark.cardText(card!.card.cardId)!;
    const posts = h.lark
      .sentMessages({ replyTo: messageId })
      .filter((m) => m.msgType === 'post')
      .map((m) => postText(m.content))
      .join('');
    expect(visible.length).toBeGreaterThan(40);
    expect(answer.startsWith(visible)).toBe(true);
    expect(posts.length).toBeGreaterThan(0);
    expect(visible + posts).toBe(answer);
  });

  it('an answer still streaming when the platform would close streaming goes on in the same card: nothing lost, nothing repeated', async () => {
    // The platform's 10-minute window, shortened: 1.2 s, and the bot renews streaming after 0.8 s.
    h = await RuntimeHarness.create({
      lark: { streamingTimeoutMs: 1200 },
      model: { reply: () => 'slow and steady '.repeat(30).trim(), chunkChars: 4, chunkDelayMs: 30 },
    });
    await h.start(h.config([h.bot({ replyMode: undefined })]), { tuning: { renewStreamingAfterMs: 800 } });
    await h.lark.waitForConnections(APP.appId);
    const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'take your time' });
    await answered(messageId, 20_000);
    const cards = cardsFor(messageId);
    expect(cards).toHaveLength(1);
    expect(h.lark.cardText(cards[0]!.card.cardId)).toBe('slow and steady '.repeat(30).trim());
    expect(cards[0]!.card.streaming).toBe(false);
    expect(h.events('reply.card_failed')).toHaveLength(0);
    expect(h.lark.sentMessages({ replyTo: messageId }).filter((m) => m.msgType === 'post')).toHaveLength(0);
    // Streaming was enabled again along the way (the answer took longer than the window).
    expect(h.lark.requests({ path: /\/cardkit\/v1\/cards\/[^/]+\/settings$/ }).length).toBeGreaterThanOrEqual(2);
  });

  it('shows the Typing reaction while working and removes it when the answer is complete', async () => {
    await startCardBot({ reply: () => ANSWER, chunkChars: 6, chunkDelayMs: 20 });
    const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'plan?' });
    await expect.poll(() => h.lark.reactions(messageId).some((r) => r.emojiType === 'Typing' && r.active)).toBe(true);
    await answered(messageId);
    await expect.poll(() => h.lark.reactions(messageId).map((r) => [r.emojiType, r.active])).toEqual([['Typing', false]]);
  });

  it('replaces Typing with an error mark when the agent fails', async () => {
    await startCardBot();
    h.model.failNext(401, 'bad key');
    const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'plan?' });
    await answered(messageId);
    await expect
      .poll(() => h.lark.reactions(messageId).map((r) => [r.emojiType, r.active]))
      .toEqual([
        ['Typing', false],
        ['CrossMark', true],
      ]);
    expect(h.lark.cardText(cardsFor(messageId)[0]!.card.cardId)).toMatch(/^⚠️/);
  });

  it('leaves no error mark when sending failed for a while and a later retry answered', async () => {
    await startCardBot({}, { replyMode: { dm: 'message' } });
    // More 502s than one attempt's retries: the answer is tried again later, and then goes through.
    h.lark.failNext({ method: 'POST', path: /\/reply$/ }, { status: 502, body: { code: 1, msg: 'bad gateway' } }, 4);
    const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'eventually' });
    await h.waitForEvent('reply.retry_scheduled');
    await answered(messageId);
    expect(h.lark.sentMessages({ replyTo: messageId })).toHaveLength(1);
    await expect
      .poll(() =>
        h.lark
          .reactions(messageId)
          .filter((r) => r.active)
          .map((r) => r.emojiType),
      )
      .toEqual([]);
    expect(h.lark.reactions(messageId).some((r) => r.emojiType === 'CrossMark')).toBe(false);
  });

  it('with reply mode "message" in groups sends one post there while direct messages stream a card', async () => {
    await startCardBot({ reply: () => ANSWER, chunkChars: 20, chunkDelayMs: 5 }, { replyMode: { group: 'message' } });
    const dm = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'dm' });
    const group = h.lark.pushMessage(APP.appId, { chatType: 'group', chatId: 'oc_g2', text: '@_user_1 group', mentions: [BOT] });
    await answered(dm.messageId);
    await answered(group.messageId);
    expect(h.lark.sentMessages({ replyTo: group.messageId }).map((m) => m.msgType)).toEqual(['post']);
    expect(postText(h.lark.sentMessages({ replyTo: group.messageId })[0]!.content)).toBe(ANSWER);
    expect(h.lark.sentMessages({ replyTo: dm.messageId }).map((m) => m.msgType)).toEqual(['interactive']);
    expect(h.lark.cardText(cardsFor(dm.messageId)[0]!.card.cardId)).toBe(ANSWER);
  });
});
