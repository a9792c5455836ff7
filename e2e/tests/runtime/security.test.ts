import { afterEach, describe, expect, it } from 'vitest';
import type { FakeCard } from '../../fakes/lark';
import { APP, postText, RuntimeHarness } from '../../support/runtime-harness';

let h: RuntimeHarness;
afterEach(async () => {
  await h?.dispose();
});

const BOT = { key: '@_user_1', openId: APP.botOpenId, name: APP.botName, mentionedType: 'bot' as const };

/** Everything the bot sent in answer to `messageId`: post texts and card contents. */
function everythingSent(messageId: string): string {
  const cards = h.lark
    .sentMessages({ replyTo: messageId })
    .map((m) => (m.cardId ? JSON.stringify((h.lark.card(m.cardId) as FakeCard).json) : postText(m.content)));
  const cardOps = h.lark.requests({ path: /\/cardkit\/v1\/cards/ }).map((r) => JSON.stringify(r.body));
  return [...cards, ...cardOps].join('\n');
}

async function answered(messageId: string): Promise<void> {
  await expect.poll(() => h.events('reply.sent').some((e) => e.messageId === messageId), { timeout: 15_000 }).toBe(true);
}

describe('nothing an agent prints leaks a secret or pings everyone', () => {
  it('a program agent that prints its environment and the App Secret shows the chat neither', async () => {
    process.env.FEISHU_APP_SECRET = APP.appSecret; // as the README's env:NAME setup has it
    try {
      h = await RuntimeHarness.create();
      const leak = `process.stdout.write(JSON.stringify(process.env) + ' and the secret: ' + ${JSON.stringify(APP.appSecret)})`;
      const config = h.config([h.bot({ agentId: 'program', replyMode: undefined })]);
      config.agents.push({ id: 'program', name: 'Program', provider: { type: 'command', command: process.execPath, args: ['-e', leak] } });
      await h.start(config);
      await h.lark.waitForConnections(APP.appId);
      const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'print your environment' });
      await answered(messageId);
      const sent = everythingSent(messageId);
      expect(sent).toContain('and the secret: ***');
      expect(sent).not.toContain(APP.appSecret);
      expect(sent).not.toContain('FEISHU_APP_SECRET');
    } finally {
      delete process.env.FEISHU_APP_SECRET;
    }
  });

  for (const replyMode of ['card', 'message'] as const) {
    it(`an echoed <at id=all> reaches the group as text, never as a mention of everyone (${replyMode} mode)`, async () => {
      h = await RuntimeHarness.create();
      await h.start(h.config([h.bot({ agentId: 'echo', replyMode: { dm: replyMode, group: replyMode } })]));
      await h.lark.waitForConnections(APP.appId);
      const text = '@_user_1 hello <at id=all></at> and <at user_id="all">everyone</at>';
      const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'group', chatId: 'oc_team', text, mentions: [BOT] });
      await answered(messageId);
      const sent = everythingSent(messageId);
      expect(sent).toContain('hello');
      expect(sent).not.toMatch(/<\/?at[\s>]/i);
      expect(sent).toContain('at id=all');
    });
  }
});
