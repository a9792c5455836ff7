import { afterEach, describe, expect, it } from 'vitest';
import type { BotActivity } from '@shared/contract';
import { APP, APP2, postText, RuntimeHarness } from '@e2e/support/runtime-harness';

let h: RuntimeHarness;
afterEach(async () => {
  await h?.dispose();
});

describe('BotManager, one bot at a time', () => {
  it('stops one bot mid-answer without touching the other, and answers the kept message once it starts again', async () => {
    h = await RuntimeHarness.create({ model: { chunkChars: 1, chunkDelayMs: 40, reply: () => 'a slow answer that takes a while' } });
    const activity: BotActivity[] = [];
    const manager = await h.start(
      h.config([h.bot(), h.bot({ id: 'other', appId: APP2.appId, appSecret: APP2.appSecret, agentId: 'echo' })]),
    );
    manager.onActivity((a) => activity.push(a));
    await h.lark.waitForConnections(APP.appId);
    await h.lark.waitForConnections(APP2.appId);

    const slow = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'take your time' });
    await expect.poll(() => h.model.requests.length).toBe(1);
    expect(await manager.stopBot('team-bot', 100)).toEqual({ finished: false });
    expect(manager.status('team-bot').state).toBe('stopped');
    expect(manager.isRunning('team-bot')).toBe(false);
    await expect.poll(() => h.lark.connections(APP.appId).length).toBe(0);
    expect(h.lark.sentMessages({ replyTo: slow.messageId })).toHaveLength(0);

    const other = h.lark.pushMessage(APP2.appId, { chatType: 'p2p', text: 'still here' });
    const [echoed] = await h.lark.waitForMessages({ replyTo: other.messageId });
    expect(postText(echoed!.content)).toBe('still here');

    const config = h.config();
    await manager.startBot(
      h.bot(),
      config.agents.find((a) => a.id === 'model')!,
    );
    const [reply] = await h.lark.waitForMessages({ replyTo: slow.messageId }, 1, 15_000);
    expect(postText(reply!.content)).toBe('a slow answer that takes a while');
    await expect
      .poll(() => activity.filter((a) => a.messageId === slow.messageId).map((a) => a.stage))
      .toEqual(['received', 'received', 'answered']);
    expect(h.lark.sentMessages({ replyTo: slow.messageId })).toHaveLength(1);
  });

  it('replaces a running bot without a stopped state in between, leaving one connection', async () => {
    h = await RuntimeHarness.create();
    const manager = await h.start(h.config([h.bot({ agentId: 'echo' })]));
    await h.lark.waitForConnections(APP.appId);
    await expect.poll(() => manager.status('team-bot').state).toBe('connected');
    const before = h.statuses.length;

    await manager.startBot(h.bot({ agentId: 'echo' }), h.agent('echo'));
    await expect.poll(() => h.lark.connections(APP.appId).length).toBe(1);
    await expect.poll(() => manager.status('team-bot').state).toBe('connected');
    expect(h.statuses.slice(before).map((s) => s.state)).not.toContain('stopped');
    const m = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'one reply only' });
    await h.lark.waitForMessages({ replyTo: m.messageId });
    expect(h.lark.sentMessages({ replyTo: m.messageId })).toHaveLength(1);
  });

  it('marks a bot that cannot start as failed, and a stop clears it to stopped', async () => {
    h = await RuntimeHarness.create();
    const manager = await h.start(h.config([]));
    manager.fail('ghost', 'its App Secret is missing');
    expect(manager.statuses()).toEqual([expect.objectContaining({ botId: 'ghost', state: 'failed', reason: 'its App Secret is missing' })]);
    await manager.stopBot('ghost');
    expect(manager.status('ghost').state).toBe('stopped');
    manager.forget('ghost');
    expect(manager.statuses()).toEqual([]);
  });

  it('refuses to start bots once everything has been stopped', async () => {
    h = await RuntimeHarness.create();
    const manager = await h.start(h.config([]));
    await manager.stopAll(100);
    await expect(manager.startBot(h.bot({ agentId: 'echo' }), h.agent('echo'))).rejects.toThrow(/stopped/);
  });
});
