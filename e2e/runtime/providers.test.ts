import { afterEach, describe, expect, it } from 'vitest';
import type { AgentConfig } from '@shared/config-schema';
import { FakeKocoro } from '../fake-kocoro/server';
import { APP, postText, RuntimeHarness } from './harness';

let h: RuntimeHarness | undefined;
let kocoro: FakeKocoro | undefined;
afterEach(async () => {
  await h?.dispose();
  await kocoro?.close();
  h = undefined;
  kocoro = undefined;
});

async function startWith(agent: AgentConfig, platform: 'feishu' | 'lark' = 'feishu') {
  h = await RuntimeHarness.create();
  await h.start({ agents: [agent], bots: [h.bot({ agentId: agent.id, platform })] });
  await h.lark.waitForConnections(APP.appId);
  return h;
}

describe('bot runtime with other providers', () => {
  it('answers a DM through a local Kocoro agent, keyed by platform and chat', async () => {
    kocoro = await FakeKocoro.start({ chunkChars: 2 });
    const h = await startWith({ id: 'kocoro', name: 'Kocoro', provider: { type: 'kocoro', url: kocoro.url, agent: 'research' } });
    const { messageId } = h.lark.pushMessage(APP.appId, {
      chatType: 'p2p',
      chatId: 'oc_dm_42',
      senderOpenId: 'ou_alice',
      text: 'find the launch date',
    });
    const [reply] = await h.lark.waitForMessages({ replyTo: messageId });
    expect(postText(reply!.content)).toBe('research says: find the launch date');
    expect(kocoro.messages).toEqual([
      { text: 'find the launch date', agent: 'research', source: 'feishu', channel: 'oc_dm_42', sender: 'ou_alice' },
    ]);
  });

  it('posts the daemon’s final reply when it differs from what was streamed', async () => {
    kocoro = await FakeKocoro.start({ finalReply: () => 'final, corrected answer' });
    const h = await startWith({ id: 'kocoro', name: 'Kocoro', provider: { type: 'kocoro', url: kocoro.url, agent: 'default' } });
    const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'hi' });
    const [reply] = await h.lark.waitForMessages({ replyTo: messageId });
    expect(postText(reply!.content)).toBe('final, corrected answer');
  });

  it('tells the user when the Kocoro daemon is not running', async () => {
    kocoro = await FakeKocoro.start();
    const url = kocoro.url;
    await kocoro.close();
    kocoro = undefined;
    const h = await startWith({ id: 'kocoro', name: 'Kocoro', provider: { type: 'kocoro', url, agent: 'default' } });
    const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'hi' });
    const [reply] = await h.lark.waitForMessages({ replyTo: messageId });
    expect(postText(reply!.content)).toContain('Kocoro daemon not running: start it with `shan daemon start`');
  });

  it('answers through a local program', async () => {
    const h = await startWith({
      id: 'prog',
      name: 'Program',
      provider: {
        type: 'command',
        command: process.execPath,
        args: ['-e', 'process.stdout.write("program got: " + process.argv[1])', '{message}'],
        input: 'arg',
      },
    });
    const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'hello $(whoami)' });
    const [reply] = await h.lark.waitForMessages({ replyTo: messageId });
    expect(postText(reply!.content)).toBe('program got: hello $(whoami)');
  });
});
