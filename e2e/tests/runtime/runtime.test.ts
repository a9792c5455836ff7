import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as lark from '@larksuiteoapi/node-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { replyUuid } from '@core/lark/outbound/idempotency';
import { DurableInbox } from '@core/runtime/stores/inbox';
import { buildMessageReceiveEvent } from '../../fakes/lark';
import { APP, APP2, postText, RuntimeHarness } from '../../support/runtime-harness';

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
    await h.start(
      h.config([
        h.bot({ appSecret: 'definitely-wrong-secret' }),
        h.bot({ id: 'other', appId: APP2.appId, appSecret: APP2.appSecret, agentId: 'echo' }),
      ]),
    );
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
    const other = h.lark.pushMessage(APP.appId, {
      chatType: 'group',
      chatId: 'oc_group1',
      text: '@_user_2 can you look?',
      mentions: [TOM],
    });
    const all = h.lark.pushMessage(APP.appId, { chatType: 'group', chatId: 'oc_group1', text: '@_all lunch time' });
    const mentioned = h.lark.pushMessage(APP.appId, {
      chatType: 'group',
      chatId: 'oc_group1',
      text: '@_user_1 summarise this for @_user_2',
      mentions: [BOT, TOM],
    });
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
    const m = h.lark.pushMessage(APP.appId, {
      chatType: 'group',
      chatId: 'oc_t',
      text: '@_user_1 in thread',
      mentions: [BOT],
      threadId: 'omt_1',
      rootId: 'om_root1',
      parentId: 'om_root1',
    });
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
    const again = h.lark.pushMessage(APP.appId, {
      chatType: 'p2p',
      text: 'once please',
      messageId: 'om_dup0000000000000000000000000001',
      eventId: 'ev_other',
    });
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
    const built = buildMessageReceiveEvent(
      { appId: APP.appId, tenantKey: 'tenant1', verificationToken: 'vtok' },
      { chatType: 'p2p', text: long },
    );
    const push = h.lark.push(APP.appId, built.envelope, { fragments: 3, outOfOrder: true });
    expect((await h.lark.waitForAck(push.pushId)).ackCode).toBe(200);
    const [reply] = await h.lark.waitForMessages({ replyTo: built.messageId });
    expect(postText(reply!.content)).toBe(long);
  });
});

describe('order and fairness', () => {
  it('answers one chat in order while different chats proceed in parallel', async () => {
    h = await RuntimeHarness.create({ model: { chunkChars: 4, chunkDelayMs: 60 } });
    await h.start();
    await h.lark.waitForConnections(APP.appId);
    const a = ['first', 'second', 'third'].map((text) =>
      h.lark.pushMessage(APP.appId, { chatType: 'p2p', senderOpenId: 'ou_alice00000000000000000000000001', text }),
    );
    const b = h.lark.pushMessage(APP.appId, { chatType: 'p2p', senderOpenId: 'ou_bob0000000000000000000000000001', text: 'from bob' });
    await h.lark.waitForMessages({ replyTo: a[2]!.messageId }, 1, 15_000);
    await h.lark.waitForMessages({ replyTo: b.messageId }, 1, 15_000);
    const aliceChat = h.lark.sentMessages({ replyTo: a[0]!.messageId })[0]!.chatId;
    const replies = h.lark.sentMessages({ chatId: aliceChat }).map((m) => postText(m.content));
    expect(replies).toEqual(['You said: first', 'You said: second', 'You said: third']);
    expect(h.model.maxConcurrent).toBe(2);
  });

  it("never runs more chats at once than the bot's maxConcurrentAnswers", async () => {
    h = await RuntimeHarness.create({ model: { chunkChars: 2, chunkDelayMs: 40 } });
    await h.start(h.config([h.bot({ maxConcurrentAnswers: 3 })]));
    await h.lark.waitForConnections(APP.appId);
    const pushed = Array.from({ length: 7 }, (_, i) =>
      h.lark.pushMessage(APP.appId, { chatType: 'p2p', senderOpenId: `ou_user${String(i).padStart(27, '0')}`, text: `chat ${i}` }),
    );
    await Promise.all(pushed.map((m) => h.lark.waitForMessages({ replyTo: m.messageId }, 1, 20_000)));
    expect(h.model.maxConcurrent).toBe(3);
  });
});

describe('platform and agent errors', () => {
  it('retries 5xx and rate limits (99991400, 230020) and still answers exactly once', async () => {
    h = await RuntimeHarness.create();
    await h.start(h.config([h.bot({ agentId: 'echo' })]));
    await h.lark.waitForConnections(APP.appId);
    const reply = { method: 'POST', path: /\/reply$/ };
    h.lark.failNext(reply, { status: 502, body: { code: 1, msg: 'bad gateway' } });
    h.lark.failNext(reply, {
      status: 429,
      body: { code: 99991400, msg: 'request trigger frequency limit' },
      headers: { 'x-ogw-ratelimit-reset': '0' },
    });
    h.lark.failNext(reply, { status: 400, body: { code: 230020, msg: 'operation triggers the frequency limit' } });
    const m = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'hello' });
    const [sent] = await h.lark.waitForMessages({ replyTo: m.messageId }, 1, 15_000);
    expect(postText(sent!.content)).toBe('hello');
    expect(h.lark.requests({ method: 'POST', path: /\/reply$/ })).toHaveLength(4);
    expect(h.events('lark.retry')).toHaveLength(3);
  });

  it('fetches a new tenant token when the platform rejects the old one (99991663)', async () => {
    h = await RuntimeHarness.create();
    await h.start(h.config([h.bot({ agentId: 'echo' })]));
    await h.lark.waitForConnections(APP.appId);
    const m1 = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'one' });
    await h.lark.waitForMessages({ replyTo: m1.messageId });
    const tokensBefore = h.lark.requests({ path: '/open-apis/auth/v3/tenant_access_token/internal' }).length;
    h.lark.expireTokens();
    const m2 = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'two' });
    const [sent] = await h.lark.waitForMessages({ replyTo: m2.messageId });
    expect(postText(sent!.content)).toBe('two');
    expect(h.lark.requests({ path: '/open-apis/auth/v3/tenant_access_token/internal' }).length).toBe(tokensBefore + 1);
  });

  it('gives up on a permanent error at once with a log line that says what to fix', async () => {
    h = await RuntimeHarness.create();
    await h.start(h.config([h.bot({ agentId: 'echo' })]));
    await h.lark.waitForConnections(APP.appId);
    h.lark.failNext({ method: 'POST', path: /\/reply$/ }, { status: 400, body: { code: 230002, msg: 'Bot is not in the chat' } });
    const m = h.lark.pushMessage(APP.appId, { chatType: 'group', chatId: 'oc_gone', text: '@_user_1 hi', mentions: [BOT] });
    const [failure] = await h.waitForEvent('reply.failed');
    expect(failure).toMatchObject({ messageId: m.messageId, code: 230002, hint: expect.stringMatching(/add the bot to the group/) });
    expect(h.lark.requests({ method: 'POST', path: /\/reply$/ })).toHaveLength(1);
    expect(h.lark.sentMessages({ replyTo: m.messageId })).toHaveLength(0);
  });

  it('tells the user in a short message when the agent fails, instead of staying silent', async () => {
    h = await RuntimeHarness.create();
    await h.start();
    await h.lark.waitForConnections(APP.appId);
    h.model.failNext(500, 'model crashed');
    h.model.failNext(500, 'model crashed');
    h.model.failNext(500, 'model crashed');
    const m = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'are you there?' });
    const [sent] = await h.lark.waitForMessages({ replyTo: m.messageId }, 1, 15_000);
    expect(postText(sent!.content)).toBe('⚠️ The agent failed to answer. Please try again later.');
    expect(h.events('agent.failed')[0]).toMatchObject({ messageId: m.messageId, error: expect.stringMatching(/500/) });
  });

  it('says so when the model endpoint cannot be reached', async () => {
    h = await RuntimeHarness.create();
    const cfg = h.config();
    cfg.agents[1]!.provider = { type: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: 'm' };
    await h.start(cfg);
    await h.lark.waitForConnections(APP.appId);
    const m = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'hi' });
    const [sent] = await h.lark.waitForMessages({ replyTo: m.messageId }, 1, 20_000);
    expect(postText(sent!.content)).toMatch(/could not be reached/);
  });
});

describe('nothing accepted is lost', () => {
  it('does not post a second reply when the first went out just before a crash (reply uuid)', async () => {
    h = await RuntimeHarness.create();
    const built = buildMessageReceiveEvent(
      { appId: APP.appId, tenantKey: 'tenant1', verificationToken: 'vtok' },
      { chatType: 'p2p', text: 'crash right after replying' },
    );
    const env = built.envelope as { schema: string; header: object; event: object };
    // What the SDK hands the handler (header and event flattened), as the crashed run stored it.
    const inbox = await DurableInbox.open(path.join(h.dataDir, 'bots', 'team-bot', 'inbox'), h.logger);
    await inbox.put({
      messageId: built.messageId,
      chatId: built.chatId,
      receivedAt: Date.now(),
      event: { schema: env.schema, ...env.header, ...env.event },
      attempts: 0,
    });
    const client = new lark.Client({
      appId: APP.appId,
      appSecret: APP.appSecret,
      domain: h.lark.url,
      cache: new lark.DefaultCache(),
      loggerLevel: lark.LoggerLevel.error,
    });
    await client.im.v1.message.reply({
      path: { message_id: built.messageId },
      data: { msg_type: 'text', content: JSON.stringify({ text: 'first reply' }), uuid: replyUuid(built.messageId, 0) },
    });

    await h.start(h.config([h.bot({ agentId: 'echo' })]));
    expect((await h.waitForEvent('inbox.recovered'))[0]).toMatchObject({ count: 1 });
    await h.waitForEvent('reply.sent');
    expect(h.lark.sentMessages({ replyTo: built.messageId })).toHaveLength(1);
    expect(await inbox.list()).toEqual([]);
  });

  it('refuses the ack when the message cannot be written to disk, and answers the platform re-push once it can', async () => {
    h = await RuntimeHarness.create({ lark: { repushDelaysMs: [300, 300, 300, 300] } });
    await h.start(h.config([h.bot({ agentId: 'echo' })]));
    await h.lark.waitForConnections(APP.appId);
    const inboxDir = path.join(h.dataDir, 'bots', 'team-bot', 'inbox');
    await fs.rm(inboxDir, { recursive: true });
    await fs.writeFile(inboxDir, 'not a directory');
    const m = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'keep me safe' });
    const [failure] = await h.waitForEvent('message.persist_failed');
    expect(failure).toMatchObject({ messageId: m.messageId, hint: expect.stringMatching(/deliver it again/) });
    await fs.rm(inboxDir);
    await fs.mkdir(inboxDir);
    const [reply] = await h.lark.waitForMessages({ replyTo: m.messageId }, 1, 10_000);
    expect(postText(reply!.content)).toBe('keep me safe');
    const push = h.lark.pushes().find((p) => p.pushId === m.push.pushId)!;
    expect(push.attempts).toBeGreaterThan(1);
    expect(h.lark.sentMessages({ replyTo: m.messageId })).toHaveLength(1);
  });
});

describe('liveness', () => {
  it('notices a half-open socket through the ping watchdog and reconnects by itself', async () => {
    h = await RuntimeHarness.create({
      lark: { clientConfig: { PingInterval: 1, ReconnectCount: -1, ReconnectInterval: 1, ReconnectNonce: 0 } },
    });
    await h.start(h.config([h.bot({ agentId: 'echo' })]), { tuning: { pingTimeoutSec: 1 } });
    await h.lark.waitForConnections(APP.appId);
    const [before] = h.lark.connections(APP.appId);
    h.lark.silenceConnections(APP.appId);
    await expect.poll(() => h.statuses.some((s) => s.state === 'reconnecting'), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => h.lark.connections(APP.appId).some((c) => c.id !== before!.id && c.pings > 0), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => h.manager.statuses()[0]?.state).toBe('connected');
    const m = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'back online' });
    const [reply] = await h.lark.waitForMessages({ replyTo: m.messageId }, 1, 10_000);
    expect(postText(reply!.content)).toBe('back online');
  });
});
