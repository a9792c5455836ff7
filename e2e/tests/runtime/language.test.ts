import { afterEach, describe, expect, it } from 'vitest';
import type { BotConfig } from '@shared/config-schema';
import type { PushMessageInput } from '../../fakes/lark';
import { APP, postText, RuntimeHarness } from '../../support/runtime-harness';

let h: RuntimeHarness;
afterEach(async () => {
  await h?.dispose();
});

/** A bot on `platform` whose `language` is left out (auto) unless given. */
async function startBot(bot: Partial<BotConfig>): Promise<void> {
  h = await RuntimeHarness.create();
  await h.start(h.config([h.bot({ language: undefined, ...bot })]));
  await h.lark.waitForConnections(APP.appId);
}

async function replyTo(m: PushMessageInput): Promise<string> {
  const { messageId } = h.lark.pushMessage(APP.appId, m);
  const [reply] = await h.lark.waitForMessages({ replyTo: messageId }, 1, 15_000);
  return postText(reply!.content);
}

async function agentFailure(): Promise<string> {
  for (let i = 0; i < 3; i++) h.model.failNext(500, 'model crashed');
  return replyTo({ chatType: 'p2p', text: 'are you there?' });
}

describe('the bot speaks its users language', () => {
  it('a Feishu bot left on auto says everything in 简体中文: agent failure, /help, /new and "nothing to stop"', async () => {
    await startBot({ platform: 'feishu' });
    expect(await agentFailure()).toBe('⚠️ 智能体未能回答，请稍后再试。');
    const help = await replyTo({ chatType: 'p2p', text: '/help' });
    expect(help).toContain('可用命令：');
    expect(help).toContain('`/new` — 开始新的对话');
    expect(await replyTo({ chatType: 'p2p', text: '/new' })).toBe('已开始新的对话：我已忘记这里之前说过的内容。');
    expect(await replyTo({ chatType: 'p2p', text: '停止' })).toBe('当前没有可以停止的回答。');
  });

  it('a Lark bot left on auto says everything in English', async () => {
    await startBot({ platform: 'lark' });
    expect(await agentFailure()).toBe('⚠️ The agent failed to answer. Please try again later.');
    expect(await replyTo({ chatType: 'p2p', text: '/help' })).toContain('Commands:');
    expect(await replyTo({ chatType: 'p2p', text: 'stop' })).toBe('Nothing to stop.');
  });

  it('a chosen language wins over the platform default', async () => {
    await startBot({ platform: 'lark', language: 'zh-CN' });
    expect(await replyTo({ chatType: 'p2p', text: '/help' })).toContain('可用命令：');
    await h.dispose();
    await startBot({ platform: 'feishu', language: 'en' });
    expect(await replyTo({ chatType: 'p2p', text: '/help' })).toContain('Commands:');
  });

  it('the streaming card labels its Stop button and its chat-list summary in the bot language', async () => {
    await startBot({ platform: 'feishu', replyMode: undefined });
    const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'hello' });
    await h.waitForEvent('reply.sent');
    const created = h.lark.requests({ method: 'POST', path: /\/cardkit\/v1\/cards$/ })[0]!.body as { data: string };
    const card = JSON.parse(created.data) as {
      config: { summary: { content: string } };
      body: { elements: Array<Record<string, unknown>> };
    };
    expect(card.config.summary.content).toBe('生成中…');
    expect(card.body.elements.find((e) => e.tag === 'button')).toMatchObject({ text: { content: '停止' } });
    expect(h.lark.sentMessages({ replyTo: messageId })).toHaveLength(1);
  });
});
