import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeLarkPlatform } from '../../fakes/lark';
import { FakeOpenAi } from '../../fakes/openai/server';
import { APP } from '../../support/runtime-harness';
import { HeadlessProcess } from '../../support/headless-process';

/**
 * `kill -9` at moments spread over a streaming answer, in the default reply mode (streaming cards):
 * before the card is sent, while it streams, and after its last update but before the inbox entry
 * is removed. Whatever the moment, the message ends with exactly one reply holding the whole
 * answer, and no card is left streaming.
 */
const ANSWER = Array.from({ length: 24 }, (_, i) => `Point ${i} of the answer.`).join(' ');
const RUNS = 20;

let lark: FakeLarkPlatform;
let model: FakeOpenAi;
let dir: string;

beforeAll(async () => {
  lark = await FakeLarkPlatform.start({ apps: [APP] });
  model = await FakeOpenAi.start({ reply: () => ANSWER, chunkChars: 8, chunkDelayMs: 30 });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-crash-'));
});
afterAll(async () => {
  await lark.close();
  await model.close();
  await fs.rm(dir, { recursive: true, force: true });
});

async function start(run: number): Promise<HeadlessProcess> {
  const file = path.join(dir, 'config.json');
  const config = {
    agents: [{ id: 'model', name: 'Model', provider: { type: 'openai', baseUrl: model.baseUrl, model: 'm' } }],
    bots: [{ id: 'team-bot', platform: 'feishu', appId: APP.appId, appSecret: APP.appSecret, agentId: 'model', domain: lark.url }],
  };
  await fs.writeFile(file, JSON.stringify(config));
  const p = HeadlessProcess.start(['--config', file, '--data-dir', path.join(dir, `data-${run}`)]);
  await p.waitForLog('bot.connected');
  return p;
}

describe('kill -9 while answers stream (streaming cards, the default)', () => {
  it(`leaves exactly one whole reply and no streaming card, whenever it happens (${RUNS} runs)`, { timeout: 240_000 }, async () => {
    for (let run = 0; run < RUNS; run++) {
      const afterLastUpdate = run % 5 === 4;
      const first = await start(run);
      if (afterLastUpdate) lark.delayNext({ method: 'PATCH', path: /\/settings$/ }, 1_500);
      const settingsBefore = lark.requests({ method: 'PATCH', path: /\/settings$/ }).length;
      const { messageId } = lark.pushMessage(APP.appId, { chatType: 'p2p', text: `question ${run}` });
      await first.waitForLog('message.accepted', { messageId });
      if (afterLastUpdate) {
        // The card has its final text; turning streaming off is under way; the inbox still holds it.
        await expect
          .poll(() => lark.requests({ method: 'PATCH', path: /\/settings$/ }).length, { timeout: 10_000 })
          .toBeGreaterThan(settingsBefore);
      } else {
        await new Promise((r) => setTimeout(r, (run * 97) % 1500));
      }
      first.kill('SIGKILL');
      await first.exited;

      const second = await start(run);
      await second.waitForLog('reply.sent', { messageId });
      second.kill('SIGTERM');
      await second.exited;

      const replies = lark.sentMessages({ replyTo: messageId });
      expect(replies, `run ${run}`).toHaveLength(1);
      const card = lark.card(replies[0]!.cardId!)!;
      expect(lark.cardText(card.cardId), `run ${run}`).toBe(ANSWER);
      expect(card.streaming, `run ${run}`).toBe(false);
      expect(JSON.stringify(card.json), `run ${run}`).not.toContain('"tag":"button"');
    }
    // No card anywhere was left streaming (cards created but never sent included).
    expect(lark.cards().filter((c) => c.streaming && c.sentAs)).toEqual([]);
  });
});
