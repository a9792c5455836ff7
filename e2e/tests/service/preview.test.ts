/**
 * The preview chat (issue 22, electron/core/preview/): the real runtime over the platform inside
 * the process, driven through the contract as the UI drives it.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PreviewMessage } from '@shared/preview';
import { FakeKocoro } from '../../fakes/kocoro/server';
import { ServiceHarness } from '../../support/service-harness';

let h: ServiceHarness | undefined;
let kocoro: FakeKocoro | undefined;
afterEach(async () => {
  await h?.dispose();
  await kocoro?.close();
  h = undefined;
  kocoro = undefined;
});

/** Every message of a session as it is now (the latest of each). */
function chatOf(harness: ServiceHarness, sessionId: string): PreviewMessage[] {
  const latest = new Map<string, PreviewMessage>();
  for (const e of harness.events('preview')) if (e.sessionId === sessionId && e.message) latest.set(e.message.messageId, e.message);
  return [...latest.values()];
}

/** Until `read` gives a value; on a timeout, the preview's log and chats say what happened instead. */
async function waitFor<T>(what: string, read: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const log = h?.logger.records.filter((r) => r.preview !== undefined).map((r) => JSON.stringify(r).slice(0, 300));
      const chats = h?.events('preview').map((e) => JSON.stringify(e).slice(0, 300));
      throw new Error(`timed out waiting for ${what}\nlog:\n${log?.join('\n')}\nevents:\n${chats?.slice(-12).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

type Card = { config?: { streaming_mode?: boolean }; body?: { elements?: unknown[] } };
const cardOf = (m: PreviewMessage): Card => JSON.parse(m.content) as Card;
/** All text a card or post shows, in order. */
function textOf(m: PreviewMessage): string {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    const o = node as Record<string, unknown>;
    if (typeof o.content === 'string') out.push(o.content);
    if (typeof o.text === 'string') out.push(o.text);
    for (const [k, v] of Object.entries(o)) if (k !== 'content' && k !== 'text' && typeof v === 'object') walk(v);
  };
  walk(JSON.parse(m.content));
  return out.join('\n');
}

/** The bot's answer cards to `messageId`, once the last of them stopped streaming. */
function finishedCards(harness: ServiceHarness, sessionId: string, messageId: string): PreviewMessage[] | undefined {
  // Answer cards stream (an approval card does not).
  const cards = chatOf(harness, sessionId).filter(
    (m) => m.from === 'bot' && m.replyTo === messageId && m.msgType === 'interactive' && cardOf(m).config?.streaming_mode !== undefined,
  );
  return cards.length > 0 && cards.every((c) => cardOf(c).config?.streaming_mode === false) ? cards : undefined;
}

/** The callback value of the first button whose text matches. */
function buttonValue(m: PreviewMessage, label: RegExp): Record<string, unknown> | undefined {
  let found: Record<string, unknown> | undefined;
  const walk = (node: unknown): void => {
    if (found || typeof node !== 'object' || node === null) return;
    if (Array.isArray(node)) return node.forEach(walk);
    const o = node as { tag?: unknown; text?: { content?: unknown }; behaviors?: Array<{ type?: unknown; value?: unknown }> };
    if (o.tag === 'button' && typeof o.text?.content === 'string' && label.test(o.text.content)) {
      found = o.behaviors?.find((b) => b.type === 'callback')?.value as Record<string, unknown> | undefined;
      return;
    }
    Object.values(o).forEach(walk);
  };
  walk(JSON.parse(m.content));
  return found;
}

describe('the preview chat', () => {
  it('on a fresh data folder, Echo answers a direct message in a streaming card, with Typing while it works, and nothing reaches the platform or a bot folder', async () => {
    h = await ServiceHarness.create();
    // Echo needs no network, and the preview's platform is in the process: not one socket is opened.
    const connects = vi.spyOn(net.Socket.prototype, 'connect');
    const session = await h.call('preview.start', { agentId: 'echo', platform: 'lark' });
    expect(session).toMatchObject({ agentId: 'echo', agentName: 'Echo', platform: 'lark', replyMode: { dm: 'card', group: 'card' } });
    const { messageId } = await h.call('preview.send', { sessionId: session.sessionId, chat: 'dm', text: 'hello from the preview' });
    const [card] = await waitFor('the answer card', () => finishedCards(h!, session.sessionId, messageId));
    expect(textOf(card!)).toContain('hello from the preview');
    // The Typing reaction is on the question while the bot works, and goes once the answer is complete.
    const question = () => chatOf(h!, session.sessionId).find((m) => m.messageId === messageId)!;
    await waitFor('Typing gone', () => (question().reactions.includes('Typing') ? undefined : true));
    const versions = h.events('preview').filter((e) => e.message?.messageId === messageId);
    expect(versions.some((e) => e.message!.reactions.includes('Typing'))).toBe(true);
    expect(connects).not.toHaveBeenCalled();
    connects.mockRestore();
    expect(h.lark.requests()).toEqual([]);
    expect(existsSync(path.join(h.dataDir, 'bots'))).toBe(false);
  });

  it('answers in the group only when the bot is @mentioned', async () => {
    h = await ServiceHarness.create();
    const { sessionId } = await h.call('preview.start', { agentId: 'echo' });
    const plain = await h.call('preview.send', { sessionId, chat: 'group', text: 'talking among ourselves' });
    const asked = await h.call('preview.send', { sessionId, chat: 'group', text: 'bot, are you there?', mention: true });
    const [answer] = await waitFor('the answer to the mention', () => finishedCards(h!, sessionId, asked.messageId));
    expect(textOf(answer!)).toContain('bot, are you there?');
    expect(chatOf(h, sessionId).filter((m) => m.replyTo === plain.messageId)).toEqual([]);
    expect(chatOf(h, sessionId).find((m) => m.messageId === asked.messageId)?.mentions).toEqual([
      { key: '@_user_1', openId: expect.stringMatching(/^ou_/), name: 'Echo' },
    ]);
  });

  it('stops an answer mid-stream when the Stop button on its card is pressed', async () => {
    h = await ServiceHarness.create({
      model: { chunkChars: 4, chunkDelayMs: 60, reply: () => 'one two three four five six seven eight nine ten '.repeat(12) },
    });
    const agent = await h.createModelAgent('Slow');
    const { sessionId } = await h.call('preview.start', { agentId: agent.id, platform: 'lark' });
    const { messageId } = await h.call('preview.send', { sessionId, chat: 'dm', text: 'count slowly' });
    const streaming = await waitFor('a Stop button', () =>
      chatOf(h!, sessionId).find((m) => m.replyTo === messageId && m.msgType === 'interactive' && buttonValue(m, /stop/i)),
    );
    const answer = await h.call('preview.click', { sessionId, messageId: streaming.messageId, value: buttonValue(streaming, /stop/i)! });
    expect(answer.toast?.content).toMatch(/stop/i);
    const [card] = await waitFor('the stopped card', () => finishedCards(h!, sessionId, messageId));
    expect(textOf(card!)).toMatch(/stopped/i);
    expect(textOf(card!).length).toBeLessThan(400);
  });

  it('asks for a Kocoro tool approval in the preview and answers once Allow is pressed there', async () => {
    kocoro = await FakeKocoro.start({ tools: [{ tool: 'bash', args: { command: 'ls' }, approval: true }], replyInDoneOnly: true });
    h = await ServiceHarness.create();
    const agent = await h.call('agents.create', {
      name: 'Kocoro',
      provider: { type: 'kocoro', url: kocoro.url, stateDir: kocoro.stateDir, agent: 'default' },
    });
    const { sessionId } = await h.call('preview.start', { agentId: agent.id, platform: 'lark' });
    const { messageId } = await h.call('preview.send', { sessionId, chat: 'dm', text: 'list my files' });
    const approval = await waitFor('the approval card', () =>
      chatOf(h!, sessionId).find((m) => m.msgType === 'interactive' && buttonValue(m, /^allow$/i)),
    );
    expect(textOf(approval)).toContain('ls');
    await h.call('preview.click', { sessionId, messageId: approval.messageId, value: buttonValue(approval, /^allow$/i)! });
    const [answer] = await waitFor('the answer', () => finishedCards(h!, sessionId, messageId));
    expect(kocoro.approvals[0]?.decision).toBe('allow');
    // The tool step is folded into a panel at the end of the answer card, as in the chat.
    const panels = (cardOf(answer!).body?.elements ?? []).filter((e) => (e as { tag?: unknown }).tag === 'collapsible_panel');
    expect(panels).toHaveLength(1);
    expect(JSON.stringify(panels[0])).toContain('bash');
    // Only the preview's approvals: the app's list of real ones stays empty.
    expect(await h.call('approvals.list', {})).toEqual([]);
  });

  it('splits a 20,000-character answer over several cards, every word present', async () => {
    // Chinese: three bytes a character, so 20,000 of them are twice what one card holds (30 KB).
    const words = Array.from({ length: 2_000 }, (_, i) => `词${i}号`);
    const long = words.join('，').padEnd(20_000, '。');
    h = await ServiceHarness.create({ model: { chunkChars: 2_000, reply: () => long } });
    const agent = await h.createModelAgent('Long');
    const { sessionId } = await h.call('preview.start', { agentId: agent.id });
    const { messageId } = await h.call('preview.send', { sessionId, chat: 'dm', text: 'write a lot' });
    const cards = await waitFor(
      'the answer cards',
      () => {
        const done = finishedCards(h!, sessionId, messageId);
        return done && done.map(textOf).join('\n').includes(words.at(-1)!) ? done : undefined;
      },
      20_000,
    );
    expect(cards.length).toBeGreaterThan(1);
    const shown = cards.map(textOf).join('');
    expect(words.filter((w) => !shown.includes(`${w}，`) && !shown.includes(`${w}。`))).toEqual([]);
  });

  it('previews an existing bot with its agent, language and reply mode, without touching its folder or the platform', async () => {
    h = await ServiceHarness.create();
    const agent = await h.createModelAgent('Model');
    const bot = await h.createBot(agent.id, {
      language: 'zh-CN',
      replyMode: { dm: 'message', group: 'card' },
      displayName: 'Team Helper',
      // Unlike the default (an @mention), this bot answers every group message: the preview does too.
      access: { group: 'all' },
    });
    await h.waitForEvent('bot.status', (s) => s.botId === bot.id && s.state === 'connected');
    const folder = path.join(h.dataDir, 'bots', bot.id);
    const before = await listTree(folder);
    const session = await h.call('preview.start', { botId: bot.id });
    expect(session).toMatchObject({
      botId: bot.id,
      botName: 'Team Helper',
      agentId: agent.id,
      language: 'zh-CN',
      replyMode: { dm: 'message' },
    });
    const { messageId } = await h.call('preview.send', { sessionId: session.sessionId, chat: 'dm', text: 'hi' });
    const post = await waitFor('the post', () => chatOf(h!, session.sessionId).find((m) => m.replyTo === messageId && m.from === 'bot'));
    expect(post.msgType).toBe('post');
    expect(post.content).toContain('You said: hi');
    expect(JSON.parse(post.content)).toHaveProperty('zh_cn');
    const inGroup = await h.call('preview.send', { sessionId: session.sessionId, chat: 'group', text: 'no mention here' });
    const [card] = await waitFor('the group answer', () => finishedCards(h!, session.sessionId, inGroup.messageId));
    expect(textOf(card!)).toContain('You said: no mention here');
    expect(await listTree(folder)).toEqual(before);
    // The real bot reads its own setup meanwhile; nothing of the preview's reaches the platform.
    const writes = h.lark
      .requests()
      .filter((r) => r.method !== 'GET' && r.path.startsWith('/open-apis/') && !r.path.startsWith('/open-apis/auth/'));
    expect(writes.map((r) => `${r.method} ${r.path}`)).toEqual([]);
    expect(h.lark.requests().filter((r) => JSON.stringify(r).includes(messageId) || JSON.stringify(r).includes(session.botOpenId))).toEqual(
      [],
    );
    expect(h.lark.sentMessages()).toEqual([]);
  });

  it('takes an image with a caption as one rich-text message the agent is shown, and removes its folder when closed', async () => {
    h = await ServiceHarness.create();
    const { sessionId } = await h.call('preview.start', { agentId: 'echo' });
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').toString('base64');
    const { messageId } = await h.call('preview.send', {
      sessionId,
      chat: 'dm',
      text: 'what is this?',
      attachment: { kind: 'image', name: 'dot.png', mimeType: 'image/png', dataBase64: png },
    });
    expect(chatOf(h, sessionId).find((m) => m.messageId === messageId)?.msgType).toBe('post');
    await waitFor('the answer', () => finishedCards(h!, sessionId, messageId));
    const folders = async () => (await fs.readdir(path.dirname(h!.dataDir))).length;
    const count = await folders();
    expect(await h.call('preview.close', { sessionId })).toEqual({ closed: true });
    expect(await h.failure('preview.send', { sessionId, chat: 'dm', text: 'again' })).toMatchObject({
      code: 'not_found',
      field: 'sessionId',
    });
    expect(await folders()).toBeLessThanOrEqual(count);
  });
});

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) out.push(path.join(entry.parentPath, entry.name));
  return out.sort();
}
