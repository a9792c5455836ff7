import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLogger } from '../../support/memory-logger';
import { ConversationStore } from '@core/runtime/stores/conversation-store';
import type { ChatRequest } from '../../fakes/openai/server';
import { APP, postText, RuntimeHarness } from '../../support/runtime-harness';

let h: RuntimeHarness | undefined;
let tmp: string | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  tmp = undefined;
});

const BOT = { key: '@_user_1', openId: APP.botOpenId, name: APP.botName, mentionedType: 'bot' as const };
const SYSTEM = { role: 'system', content: 'You are a helpful teammate.' };

async function harness(): Promise<RuntimeHarness> {
  h = await RuntimeHarness.create();
  await h.start();
  await h.lark.waitForConnections(APP.appId);
  return h;
}

/** Pushes a message and waits until the bot has answered it; returns the message id. */
async function say(input: Parameters<RuntimeHarness['lark']['pushMessage']>[1]): Promise<string> {
  const { messageId } = h!.lark.pushMessage(APP.appId, input);
  await h!.lark.waitForMessages({ replyTo: messageId });
  await expect
    .poll(() => h!.logger.records.some((r) => r.messageId === messageId && (r.event === 'reply.sent' || r.event === 'command.answered')))
    .toBe(true);
  return messageId;
}

const messages = (r: ChatRequest | undefined) => r?.messages;

describe('conversation memory', () => {
  it('shows the agent the earlier exchange of the same chat, and nothing from another chat', async () => {
    await harness();
    await say({ chatType: 'p2p', text: 'My name is Ada.' });
    await say({ chatType: 'p2p', text: 'What is my name?' });
    expect(messages(h!.model.requests[1])).toEqual([
      SYSTEM,
      { role: 'user', content: 'My name is Ada.' },
      { role: 'assistant', content: 'You said: My name is Ada.' },
      { role: 'user', content: 'What is my name?' },
    ]);
    await say({ chatType: 'p2p', senderOpenId: 'ou_someone0000000000000000000000002', text: 'Hello?' });
    expect(messages(h!.model.requests[2])).toEqual([SYSTEM, { role: 'user', content: 'Hello?' }]);
  });

  it('keeps a thread separate from its chat', async () => {
    await harness();
    await say({ chatType: 'group', chatId: 'oc_team', text: '@_user_1 in the main chat', mentions: [BOT] });
    await say({
      chatType: 'group',
      chatId: 'oc_team',
      text: '@_user_1 in a thread',
      mentions: [BOT],
      threadId: 'omt_1',
      rootId: 'om_root',
      parentId: 'om_root',
    });
    await say({
      chatType: 'group',
      chatId: 'oc_team',
      text: '@_user_1 thread again',
      mentions: [BOT],
      threadId: 'omt_1',
      rootId: 'om_root',
      parentId: 'om_root',
    });
    await say({ chatType: 'group', chatId: 'oc_team', text: '@_user_1 main again', mentions: [BOT] });
    const userTexts = (i: number) =>
      messages(h!.model.requests[i])!
        .filter((m) => m.role === 'user')
        .map((m) => m.content);
    expect(userTexts(1)).toEqual(['in a thread']);
    expect(userTexts(2)).toEqual(['in a thread', 'thread again']);
    expect(userTexts(3)).toEqual(['in the main chat', 'main again']);
  });

  it('remembers the conversation across a restart', async () => {
    await harness();
    await say({ chatType: 'p2p', text: 'Remember: the code word is tulip.' });
    await h!.manager.stopAll(1000);
    await h!.start();
    await expect.poll(() => h!.lark.connections(APP.appId).length).toBe(1);
    await h!.lark.waitForConnections(APP.appId);
    await say({ chatType: 'p2p', text: 'What was the code word?' });
    expect(messages(h!.model.requests.at(-1))).toEqual([
      SYSTEM,
      { role: 'user', content: 'Remember: the code word is tulip.' },
      { role: 'assistant', content: 'You said: Remember: the code word is tulip.' },
      { role: 'user', content: 'What was the code word?' },
    ]);
  });

  it("does not remember a failed answer as the agent's", async () => {
    await harness();
    h!.model.failNext(401, 'bad key');
    await say({ chatType: 'p2p', text: 'first try' });
    await say({ chatType: 'p2p', text: 'second try' });
    expect(messages(h!.model.requests.at(-1))).toEqual([
      SYSTEM,
      { role: 'user', content: 'first try' },
      { role: 'user', content: 'second try' },
    ]);
  });

  it('remembers an image as words, not bytes', async () => {
    await harness();
    const key = 'img_v3_0000000-0000-0000-0000-000000000000g';
    await say({
      chatType: 'p2p',
      messageType: 'image',
      content: { image_key: key },
      resources: [{ fileKey: key, type: 'image', bytes: Buffer.from('png'), contentType: 'image/png' }],
    });
    await say({ chatType: 'p2p', text: 'and now?' });
    expect(messages(h!.model.requests[1])![1]).toEqual({
      role: 'user',
      content: '[The user sent an image (not kept in the conversation history).]',
    });
  });
});

describe('chat commands', () => {
  it('/new starts a fresh conversation: confirmed, and the next request has no earlier turns', async () => {
    await harness();
    await say({ chatType: 'p2p', text: 'My name is Ada.' });
    const command = await say({ chatType: 'p2p', text: '/new' });
    const [reply] = h!.lark.sentMessages({ replyTo: command });
    expect(postText(reply!.content)).toMatch(/new conversation/i);
    expect(h!.model.requests).toHaveLength(1);
    await say({ chatType: 'p2p', text: 'What is my name?' });
    expect(messages(h!.model.requests[1])).toEqual([SYSTEM, { role: 'user', content: 'What is my name?' }]);
  });

  it('/new survives a restart and only clears its own chat', async () => {
    await harness();
    await say({ chatType: 'group', chatId: 'oc_a', text: '@_user_1 alpha', mentions: [BOT] });
    await say({ chatType: 'group', chatId: 'oc_b', text: '@_user_1 beta', mentions: [BOT] });
    await say({ chatType: 'group', chatId: 'oc_a', text: '@_user_1 /new', mentions: [BOT] });
    await h!.manager.stopAll(1000);
    await h!.start();
    await h!.lark.waitForConnections(APP.appId);
    await say({ chatType: 'group', chatId: 'oc_a', text: '@_user_1 alpha again', mentions: [BOT] });
    await say({ chatType: 'group', chatId: 'oc_b', text: '@_user_1 beta again', mentions: [BOT] });
    const userTexts = (i: number) =>
      messages(h!.model.requests[i])!
        .filter((m) => m.role === 'user')
        .map((m) => m.content);
    expect(userTexts(2)).toEqual(['alpha again']);
    expect(userTexts(3)).toEqual(['beta', 'beta again']);
  });

  it('/help lists the commands without calling the model', async () => {
    await harness();
    const command = await say({ chatType: 'p2p', text: '/help' });
    const [reply] = h!.lark.sentMessages({ replyTo: command });
    expect(reply!.msgType).toBe('post');
    const text = postText(reply!.content);
    for (const c of ['/new', '/stop', '/help']) expect(text).toContain(c);
    expect(h!.model.requests).toHaveLength(0);
    // And it is no turn of the conversation.
    await say({ chatType: 'p2p', text: 'hi' });
    expect(messages(h!.model.requests[0])).toEqual([SYSTEM, { role: 'user', content: 'hi' }]);
  });
});

describe('conversation store', () => {
  const store = async (budget = { maxTurns: 20, maxChars: 24_000 }) => {
    tmp ??= await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-conv-'));
    return new ConversationStore(tmp, new MemoryLogger(), budget);
  };

  it('keeps the newest turns within the budget, oldest dropped first', async () => {
    const s = await store({ maxTurns: 3, maxChars: 12 });
    for (const text of ['aaaa', 'bbbb', 'cccc', 'dddd']) await s.record('k', [{ role: 'user', text }]);
    expect((await s.history('k')).map((t) => t.text)).toEqual(['bbbb', 'cccc', 'dddd']);
    await s.record('k', [{ role: 'assistant', text: 'eeeeeeee' }]);
    expect((await s.history('k')).map((t) => t.text)).toEqual(['dddd', 'eeeeeeee']);
  });

  it('tolerates a torn last line and compacts the file when it loads', async () => {
    const s = await store({ maxTurns: 2, maxChars: 1000 });
    for (const text of ['one', 'two', 'three']) await s.record('k', [{ role: 'user', text, messageId: `om_${text}` }]);
    const [file] = await fs.readdir(tmp!);
    await fs.appendFile(path.join(tmp!, file!), '{"t":"turn","role":"user","te');
    const reloaded = await store({ maxTurns: 2, maxChars: 1000 });
    expect((await reloaded.history('k')).map((t) => t.text)).toEqual(['two', 'three']);
    // After the file's version line (store/versioned-log.ts), the two turns kept.
    const [header, ...lines] = (await fs.readFile(path.join(tmp!, file!), 'utf8')).trim().split('\n');
    expect(header).toBe('{"version":1}');
    expect(lines).toHaveLength(2);
    // A repeated answer (after a crash) is not remembered twice.
    await reloaded.record('k', [{ role: 'user', text: 'three', messageId: 'om_three' }]);
    expect((await reloaded.history('k')).map((t) => t.text)).toEqual(['two', 'three']);
  });
});
