import { afterEach, describe, expect, it } from 'vitest';
import type { AccessConfig } from '@shared/config-schema';
import type { PushMessageInput } from '../../fakes/lark';
import { APP, postText, RuntimeHarness } from '../../support/runtime-harness';

let h: RuntimeHarness;
afterEach(async () => {
  await h?.dispose();
});

const BOT = { key: '@_user_1', openId: APP.botOpenId, name: APP.botName, mentionedType: 'bot' as const };
const ALICE = 'ou_alice00000000000000000000000001';
const BOB = 'ou_bob0000000000000000000000000001';
const OTHER_BOT = 'ou_otherbot000000000000000000000001';

async function startWith(access?: AccessConfig): Promise<void> {
  h = await RuntimeHarness.create();
  await h.start(h.config([h.bot({ agentId: 'echo', ...(access ? { access } : {}) })]));
  await h.lark.waitForConnections(APP.appId);
  await expect.poll(() => h.manager.statuses()[0]?.botOpenId).toBe(APP.botOpenId);
}

/** Pushes a message and waits until the bot acked it, so later pushes are judged after it. */
async function push(m: PushMessageInput): Promise<string> {
  const { messageId, push: record } = h.lark.pushMessage(APP.appId, m);
  await h.lark.waitForAck(record.pushId);
  return messageId;
}

async function answered(messageId: string): Promise<string> {
  const [reply] = await h.lark.waitForMessages({ replyTo: messageId });
  return postText(reply!.content);
}

/** Ignored: logged as such with the rule, and never replied to (checked after a later answered message). */
function ignoredRule(messageId: string): unknown {
  return h.events('message.ignored').find((e) => e.messageId === messageId)?.rule;
}

const fromBot = (m: PushMessageInput): PushMessageInput => ({ senderType: 'app', senderOpenId: OTHER_BOT, ...m });

describe('access: direct messages', () => {
  it('answers everyone by default when access is absent (dm open, group mention, bots ignored)', async () => {
    await startWith();
    const dm = await push({ chatType: 'p2p', senderOpenId: BOB, text: 'hello' });
    expect(await answered(dm)).toBe('hello');
    const plain = await push({ chatType: 'group', chatId: 'oc_g1', text: 'no mention' });
    const bot = await push(fromBot({ chatType: 'group', chatId: 'oc_g1', text: '@_user_1 hi', mentions: [BOT] }));
    const mentioned = await push({ chatType: 'group', chatId: 'oc_g1', text: '@_user_1 hi', mentions: [BOT] });
    expect(await answered(mentioned)).toBe('hi');
    expect(ignoredRule(plain)).toBe('no_mention');
    expect(ignoredRule(bot)).toBe('bot_sender');
    expect(h.lark.sentMessages({ chatId: 'oc_g1' })).toHaveLength(1);
  });

  it('allowlist answers listed people only and logs the others as ignored, without replying', async () => {
    await startWith({ dm: 'allowlist', dmAllow: [ALICE] });
    const bob = await push({ chatType: 'p2p', senderOpenId: BOB, text: 'let me in' });
    const alice = await push({ chatType: 'p2p', senderOpenId: ALICE, text: 'hi from alice' });
    expect(await answered(alice)).toBe('hi from alice');
    expect(ignoredRule(bob)).toBe('dm_not_allowed');
    expect(h.lark.sentMessages({ replyTo: bob })).toHaveLength(0);
  });
});

describe('access: groups', () => {
  it('mention mode: answers an @mention, not a plain message nor @all', async () => {
    await startWith({ group: 'mention' });
    const plain = await push({ chatType: 'group', chatId: 'oc_g1', text: 'chatting' });
    const all = await push({ chatType: 'group', chatId: 'oc_g1', text: '@_all lunch' });
    const mentioned = await push({ chatType: 'group', chatId: 'oc_g1', text: '@_user_1 question', mentions: [BOT] });
    expect(await answered(mentioned)).toBe('question');
    expect(ignoredRule(plain)).toBe('no_mention');
    expect(ignoredRule(all)).toBe('no_mention');
    expect(h.lark.sentMessages({ chatId: 'oc_g1' })).toHaveLength(1);
  });

  it('all mode: answers every group message without a mention', async () => {
    await startWith({ group: 'all' });
    const plain = await push({ chatType: 'group', chatId: 'oc_g1', text: 'no mention needed' });
    expect(await answered(plain)).toBe('no mention needed');
    const mentioned = await push({ chatType: 'group', chatId: 'oc_g1', text: '@_user_1 also fine', mentions: [BOT] });
    expect(await answered(mentioned)).toBe('also fine');
  });

  it('off mode: never answers in groups, still answers direct messages', async () => {
    await startWith({ group: 'off' });
    const mentioned = await push({ chatType: 'group', chatId: 'oc_g1', text: '@_user_1 hello?', mentions: [BOT] });
    const dm = await push({ chatType: 'p2p', text: 'dm works' });
    expect(await answered(dm)).toBe('dm works');
    expect(ignoredRule(mentioned)).toBe('groups_off');
    expect(h.lark.sentMessages({ chatId: 'oc_g1' })).toHaveLength(0);
  });

  it('groupAllow limits answers to the listed groups', async () => {
    await startWith({ group: 'all', groupAllow: ['oc_allowed'] });
    const elsewhere = await push({ chatType: 'group', chatId: 'oc_elsewhere', text: '@_user_1 here?', mentions: [BOT] });
    const listed = await push({ chatType: 'group', chatId: 'oc_allowed', text: 'in the listed group' });
    expect(await answered(listed)).toBe('in the listed group');
    expect(ignoredRule(elsewhere)).toBe('group_not_allowed');
    expect(h.lark.sentMessages({ chatId: 'oc_elsewhere' })).toHaveLength(0);
  });
});

describe('access: other bots', () => {
  it('ignore mode: a bot is never answered, even when it @mentions this bot', async () => {
    await startWith({ bots: 'ignore', group: 'all' });
    const bot = await push(fromBot({ chatType: 'group', chatId: 'oc_g1', text: '@_user_1 hi', mentions: [BOT] }));
    const person = await push({ chatType: 'group', chatId: 'oc_g1', text: 'person' });
    expect(await answered(person)).toBe('person');
    expect(ignoredRule(bot)).toBe('bot_sender');
  });

  it('mention mode: a bot that @mentions this bot is answered; one that does not is ignored', async () => {
    await startWith({ bots: 'mention', group: 'all' });
    const silent = await push(fromBot({ chatType: 'group', chatId: 'oc_g1', text: 'just a bot talking' }));
    const mentioning = await push(fromBot({ chatType: 'group', chatId: 'oc_g1', text: '@_user_1 status?', mentions: [BOT] }));
    expect(await answered(mentioning)).toBe('status?');
    expect(ignoredRule(silent)).toBe('bot_without_mention');
    expect(h.lark.sentMessages({ replyTo: silent })).toHaveLength(0);
  });

  it('the loop guard stops after 3 consecutive bot turns in a chat, and a person speaking resets it', async () => {
    await startWith({ bots: 'mention' });
    const botTurn = (text: string) => push(fromBot({ chatType: 'group', chatId: 'oc_loop', text: `@_user_1 ${text}`, mentions: [BOT] }));
    for (const text of ['one', 'two', 'three']) expect(await answered(await botTurn(text))).toBe(text);
    const fourth = await botTurn('four');
    expect(ignoredRule(fourth)).toBe('loop_guard');
    expect(h.events('access.loop_guard')).toHaveLength(1);
    // Another chat is unaffected.
    const elsewhere = await push(fromBot({ chatType: 'group', chatId: 'oc_other', text: '@_user_1 elsewhere', mentions: [BOT] }));
    expect(await answered(elsewhere)).toBe('elsewhere');
    // A person speaks (even without mentioning the bot): bots are answered again.
    await push({ chatType: 'group', chatId: 'oc_loop', text: 'people here' });
    expect(await answered(await botTurn('five'))).toBe('five');
    expect(h.lark.sentMessages({ replyTo: fourth })).toHaveLength(0);
  });

  it('keeps the loop guard count and the last message time across a restart', async () => {
    await startWith({ bots: 'mention' });
    const botTurn = (text: string) => push(fromBot({ chatType: 'group', chatId: 'oc_loop', text: `@_user_1 ${text}`, mentions: [BOT] }));
    for (const text of ['one', 'two', 'three']) expect(await answered(await botTurn(text))).toBe(text);
    const lastMessageAt = h.manager.statuses()[0]!.lastMessageAt;
    expect(lastMessageAt).toEqual(expect.any(Number));
    await h.manager.stopAll(1000);

    // A new run on the same data folder: Kocoro restarted, the two bots must not start over.
    await h.start(h.config([h.bot({ agentId: 'echo', access: { bots: 'mention' } })]));
    await h.lark.waitForConnections(APP.appId);
    expect(h.manager.statuses()[0]!.lastMessageAt).toBe(lastMessageAt);
    const fourth = await botTurn('four');
    expect(ignoredRule(fourth)).toBe('loop_guard');
    await push({ chatType: 'group', chatId: 'oc_loop', text: 'a person' });
    expect(await answered(await botTurn('five'))).toBe('five');
  });

  it('never answers its own messages, whatever the rules', async () => {
    await startWith({ bots: 'mention', group: 'all' });
    const own = await push({
      chatType: 'group',
      chatId: 'oc_g1',
      senderType: 'app',
      senderOpenId: APP.botOpenId,
      text: '@_user_1 echo',
      mentions: [BOT],
    });
    const ownAsUser = await push({ chatType: 'p2p', senderOpenId: APP.botOpenId, text: 'me again' });
    const person = await push({ chatType: 'group', chatId: 'oc_g1', text: 'person' });
    expect(await answered(person)).toBe('person');
    expect(ignoredRule(own)).toBe('own_message');
    expect(ignoredRule(ownAsUser)).toBe('own_message');
    expect(h.lark.sentMessages({ replyTo: own })).toHaveLength(0);
  });
});
