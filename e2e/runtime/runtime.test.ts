import { afterEach, describe, expect, it } from 'vitest';
import { buildMessageReceiveEvent } from '../fake-lark';
import { APP, APP2, postText, RuntimeHarness } from './harness';

let h: RuntimeHarness;
afterEach(async () => {
  await h?.dispose();
});

const BOT = { key: '@_user_1', openId: APP.botOpenId, name: APP.botName, mentionedType: 'bot' as const };
const TOM = { key: '@_user_2', openId: 'ou_tom000000000000000000000000001', name: 'Tom', mentionedType: 'user' as const };

describe('connection', () => {
  it('connects through the long connection and reports connected, with the bot identity', async () => {
    h = await RuntimeHarness.create();
    await h.start();
    await h.lark.waitForConnections(APP.appId);
    await expect.poll(() => h.manager.statuses()[0]?.state).toBe('connected');
    expect(h.manager.statuses()[0]).toMatchObject({ botId: 'team-bot', botOpenId: APP.botOpenId, botName: APP.botName });
    expect(h.statuses.map((s) => s.state)).toContain('connecting');
  });

  it('reconnects after the platform drops the socket and keeps answering', async () => {
    h = await RuntimeHarness.create();
    await h.start(h.config([h.bot({ agentId: 'echo' })]));
    await h.lark.waitForConnections(APP.appId);
    const discoveries = h.lark.requests({ path: '/callback/ws/endpoint' }).length;
    h.lark.dropConnections(APP.appId);
    await expect.poll(() => h.statuses.some((s) => s.state === 'reconnecting')).toBe(true);
    await expect.poll(() => h.manager.statuses()[0]?.state, { timeout: 10_000 }).toBe('connected');
    expect(h.lark.requests({ path: '/callback/ws/endpoint' }).length).toBeGreaterThan(discoveries);
    const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'still there?' });
    const [reply] = await h.lark.waitForMessages({ replyTo: messageId });
    expect(postText(reply!.content)).toBe('still there?');
  });

  it('fails one bot with wrong credentials, saying why, while the other keeps answering', async () => {
    h = await RuntimeHarness.create();
    await h.start(h.config([h.bot({ appSecret: 'definitely-wrong-secret' }), h.bot({ id: 'other', appId: APP2.appId, appSecret: APP2.appSecret, agentId: 'echo' })]));
    await expect.poll(() => h.manager.statuses().find((s) => s.botId === 'team-bot')?.state).toBe('failed');
    expect(h.manager.statuses().find((s) => s.botId === 'team-bot')?.reason).toMatch(/App ID or App Secret is wrong/);
    await h.lark.waitForConnections(APP2.appId);
    const { messageId } = h.lark.pushMessage(APP2.appId, { chatType: 'p2p', text: 'ping' });
    const [reply] = await h.lark.waitForMessages({ replyTo: messageId });
    expect(postText(reply!.content)).toBe('ping');
    expect(h.lark.connections(APP.appId)).toHaveLength(0);
  });
});

describe('who gets an answer', () => {
  it('answers every direct message with the agent reply, through the reply API', async () => {
    h = await RuntimeHarness.create();
    await h.start();
    await h.lark.waitForConnections(APP.appId);
    const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'What is our release date?' });
    const [reply] = await h.lark.waitForMessages({ replyTo: messageId });
    expect(reply!.msgType).toBe('post');
    expect(postText(reply!.content)).toBe('You said: What is our release date?');
    expect(h.model.requests[0]!.messages[0]).toEqual({ role: 'system', content: 'You are a helpful teammate.' });
  });

  it('answers a group message only when the bot itself is @mentioned, with the placeholder removed', async () => {
    h = await RuntimeHarness.create();
    await h.start(h.config([h.bot({ agentId: 'echo' })]));
    await h.lark.waitForConnections(APP.appId);
    const plain = h.lark.pushMessage(APP.appId, { chatType: 'group', chatId: 'oc_group1', text: 'just chatting' });
    const other = h.lark.pushMessage(APP.appId, { chatType: 'group', chatId: 'oc_group1', text: '@_user_2 can you look?', mentions: [TOM] });
    const all = h.lark.pushMessage(APP.appId, { chatType: 'group', chatId: 'oc_group1', text: '@_all lunch time' });
    const mentioned = h.lark.pushMessage(APP.appId, { chatType: 'group', chatId: 'oc_group1', text: '@_user_1 summarise this for @_user_2', mentions: [BOT, TOM] });
    const [reply] = await h.lark.waitForMessages({ replyTo: mentioned.messageId });
    expect(postText(reply!.content)).toBe('summarise this for @Tom');
    await Promise.all([plain, other, all].map((m) => h.lark.waitForAck(m.push.pushId)));
    expect(h.lark.sentMessages({ chatId: 'oc_group1' })).toHaveLength(1);
    expect(h.events('message.ignored').length).toBeGreaterThanOrEqual(3);
  });

  it('never answers messages sent by bots', async () => {
    h = await RuntimeHarness.create();
    await h.start(h.config([h.bot({ agentId: 'echo' })]));
    await h.lark.waitForConnections(APP.appId);
    const fromBot = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'I am a bot', senderType: 'app' });
    await h.lark.waitForAck(fromBot.push.pushId);
    const after = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'a person' });
    await h.lark.waitForMessages({ replyTo: after.messageId });
    expect(h.lark.sentMessages({ replyTo: fromBot.messageId })).toHaveLength(0);
  });

  it('replies inside the thread when the message is in one', async () => {
    h = await RuntimeHarness.create();
    await h.start(h.config([h.bot({ agentId: 'echo' })]));
    await h.lark.waitForConnections(APP.appId);
    const m = h.lark.pushMessage(APP.appId, { chatType: 'group', chatId: 'oc_t', text: '@_user_1 in thread', mentions: [BOT], threadId: 'omt_1', rootId: 'om_root1', parentId: 'om_root1' });
    const [reply] = await h.lark.waitForMessages({ replyTo: m.messageId });
    expect(reply!.replyInThread).toBe(true);
    expect(reply!.threadId).toBe('omt_1');
  });
});

describe('acknowledgement and duplicates', () => {
  it('acks within the 3 s window while an agent takes longer, and the platform never re-pushes', async () => {
    h = await RuntimeHarness.create({ model: { chunkChars: 5, chunkDelayMs: 700, reply: () => 'a slow and thoughtful answer' } });
    await h.start();
    await h.lark.waitForConnections(APP.appId);
    const { messageId, push } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'think hard' });
    const acked = await h.lark.waitForAck(push.pushId);
    expect(acked.ackCode).toBe(200);
    expect(acked.ackLatencyMs!).toBeLessThan(1000);
    const [reply] = await h.lark.waitForMessages({ replyTo: messageId }, 1, 15_000);
    expect(postText(reply!.content)).toBe('a slow and thoughtful answer');
    expect(h.lark.pushes().find((p) => p.pushId === push.pushId)!.attempts).toBe(1);
    expect(h.lark.sentMessages({ replyTo: messageId })).toHaveLength(1);
  });

  it('answers a message pushed twice (platform redelivery) only once', async () => {
    h = await RuntimeHarness.create();
    await h.start(h.config([h.bot({ agentId: 'echo' })]));
    await h.lark.waitForConnections(APP.appId);
    const first = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'once please', messageId: 'om_dup0000000000000000000000000001' });
    const again = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'once please', messageId: 'om_dup0000000000000000000000000001', eventId: 'ev_other' });
    await h.lark.waitForAck(again.push.pushId);
    await h.lark.waitForMessages({ replyTo: first.messageId });
    await h.waitForEvent('message.duplicate');
    expect(h.lark.sentMessages({ replyTo: first.messageId })).toHaveLength(1);
  });

  it('remembers answered messages across a restart and ignores their late re-push', async () => {
    h = await RuntimeHarness.create();
    await h.start(h.config([h.bot({ agentId: 'echo' })]));
    await h.lark.waitForConnections(APP.appId);
    const m = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'before restart' });
    await h.lark.waitForMessages({ replyTo: m.messageId });
    await h.manager.stopAll(1000);
    await h.start(h.config([h.bot({ agentId: 'echo' })]));
    await expect.poll(() => h.lark.connections(APP.appId).length).toBe(1);
    const late = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'before restart', messageId: m.messageId });
    await h.lark.waitForAck(late.push.pushId);
    await h.waitForEvent('message.duplicate');
    expect(h.lark.sentMessages({ replyTo: m.messageId })).toHaveLength(1);
  });

  it('reassembles an event split across several frames, sent out of order', async () => {
    h = await RuntimeHarness.create();
    await h.start(h.config([h.bot({ agentId: 'echo' })]));
    await h.lark.waitForConnections(APP.appId);
    const long = Array.from({ length: 300 }, (_, i) => `line ${i} of a long message`).join('\n');
    const built = buildMessageReceiveEvent({ appId: APP.appId, tenantKey: 'tenant1', verificationToken: 'vtok' }, { chatType: 'p2p', text: long });
    const push = h.lark.push(APP.appId, built.envelope, { fragments: 3, outOfOrder: true });
    expect((await h.lark.waitForAck(push.pushId)).ackCode).toBe(200);
    const [reply] = await h.lark.waitForMessages({ replyTo: built.messageId });
    expect(postText(reply!.content)).toBe(long);
  });
});
