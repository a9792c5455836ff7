import { afterEach, describe, expect, it } from 'vitest';
import type { AgentConfig } from '@shared/config-schema';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Impostor } from '../../fakes/kocoro/impostor';
import { FakeKocoro, writeDaemonPidFile } from '../../fakes/kocoro/server';
import { APP, postText, RuntimeHarness } from '../../support/runtime-harness';

let h: RuntimeHarness | undefined;
let kocoro: FakeKocoro | undefined;
let impostor: Impostor | undefined;
afterEach(async () => {
  await h?.dispose();
  await kocoro?.close();
  await impostor?.close();
  h = undefined;
  kocoro = undefined;
  impostor = undefined;
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
    const h = await startWith({
      id: 'kocoro',
      name: 'Kocoro',
      provider: { type: 'kocoro', url: kocoro.url, stateDir: kocoro.stateDir, agent: 'research' },
    });
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
    const h = await startWith({
      id: 'kocoro',
      name: 'Kocoro',
      provider: { type: 'kocoro', url: kocoro.url, stateDir: kocoro.stateDir, agent: 'default' },
    });
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

  it('sends a chat message to no program on the daemon port but the daemon, and tells the chat and the owner why', async () => {
    impostor = await Impostor.start();
    // A daemon that crashed left its pid file; another program took the port since.
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'shannon-'));
    await writeDaemonPidFile(stateDir, process.pid);
    try {
      const h = await startWith({
        id: 'kocoro',
        name: 'Kocoro',
        provider: { type: 'kocoro', url: impostor.url, stateDir, agent: 'default' },
      });
      const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'the launch date is secret' });
      const [reply] = await h.lark.waitForMessages({ replyTo: messageId });
      expect(postText(reply!.content)).toContain(
        `The program on port ${impostor.port} is not the Kocoro daemon (pid ${impostor.pid}, uid ${process.getuid?.()}); Kocoro did not send it the message.`,
      );
      expect(h.logger.records).toContainEqual(
        expect.objectContaining({ event: 'agent.failed', error: expect.stringMatching(/daemon\.pid names pid \d+/) }),
      );
      expect(impostor.requests).toEqual([]);
    } finally {
      await fs.rm(stateDir, { recursive: true, force: true });
    }
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
