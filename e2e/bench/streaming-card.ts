/**
 * One answer streamed into a card by the real bot runtime against the fake platform and a fake
 * model that streams at a steady rate: how soon text shows, how often the card is updated, how
 * long answers roll over. Part of `npm run bench` (run.ts).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AgentProvider } from '@core/agents/provider';
import { MemoryLogger } from '../support/memory-logger';
import { BotManager } from '@core/runtime/lifecycle/bot-manager';
import type { ConfigFile } from '@shared/config-schema';
import { FakeLarkPlatform } from '../fakes/lark';
import { fmt, median, quantile } from './stats';
import { APP } from './team-load';

interface Scenario {
  name: string;
  runs: number;
  chars: number;
  chunkChars: number;
  chunkEveryMs: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'chat answer: 1,500 chars at 4 chars / 20 ms (200 chars/s)', runs: 5, chars: 1_500, chunkChars: 4, chunkEveryMs: 20 },
  { name: 'fast model: 6,000 chars at 40 chars / 10 ms (4,000 chars/s)', runs: 5, chars: 6_000, chunkChars: 40, chunkEveryMs: 10 },
  {
    name: 'long answer: 60,000 chars at 200 chars / 10 ms (rolls over to new cards)',
    runs: 3,
    chars: 60_000,
    chunkChars: 200,
    chunkEveryMs: 10,
  },
];

/** A model that streams `text` in fixed chunks at a fixed pace, noting when its first token left. */
class SteadyModel implements AgentProvider {
  firstTokenAt: number | undefined;
  doneAt: number | undefined;
  constructor(private readonly s: Scenario) {}
  async *stream(req: Parameters<AgentProvider['stream']>[0]): AsyncIterable<string> {
    const text = answerText(this.s.chars);
    for (let i = 0; i < text.length; i += this.s.chunkChars) {
      await new Promise((r) => setTimeout(r, this.s.chunkEveryMs));
      req.signal.throwIfAborted();
      this.firstTokenAt ??= Date.now();
      yield text.slice(i, i + this.s.chunkChars);
    }
    this.doneAt = Date.now();
  }
}

function answerText(chars: number): string {
  const para = 'The quick brown fox jumps over the lazy dog, and then writes a little more about it. ';
  let out = '';
  let i = 0;
  while (out.length < chars) {
    out += i % 7 === 6 ? '\n\n```ts\nconst answer = 42; // a short code block\n```\n\n' : para;
    if (i % 5 === 4) out += '\n\n';
    i++;
  }
  return out.slice(0, chars);
}

function maxInWindow(times: number[], windowMs: number): number {
  const at = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; i < at.length; i++) {
    while (at[i]! - at[j]! >= windowMs) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

async function runOnce(s: Scenario): Promise<Record<string, number>> {
  const lark = await FakeLarkPlatform.start({ apps: [APP] });
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-bench-'));
  const logger = new MemoryLogger();
  const model = new SteadyModel(s);
  const manager = new BotManager({ dataDir, logger, providerFor: () => model });
  const config: ConfigFile = {
    agents: [{ id: 'steady', name: 'Steady', provider: { type: 'echo' } }],
    bots: [{ id: 'bench', platform: 'feishu', appId: APP.appId, appSecret: APP.appSecret, agentId: 'steady', domain: lark.url }],
  };
  try {
    await manager.startAll(config);
    await lark.waitForConnections(APP.appId);
    const pushedAt = Date.now();
    const { messageId } = lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'benchmark me' });
    const deadline = Date.now() + 120_000;
    while (!logger.records.some((r) => r.event === 'reply.sent' && r.messageId === messageId)) {
      if (Date.now() > deadline) throw new Error('no answer within 120 s');
      await new Promise((r) => setTimeout(r, 5));
    }
    const sentAt = Date.now();
    const messages = lark.sentMessages({ replyTo: messageId }).filter((m) => m.cardId);
    const cards = messages.map((m) => lark.card(m.cardId!)!);
    const first = cards[0]!;
    const firstToken = model.firstTokenAt!;
    const firstText = first.ops.find((op) => op.kind === 'content' && op.content?.trim())?.at ?? NaN;
    const perCard = cards.map((c) => {
      const span = (c.requestedAt.at(-1)! - c.requestedAt[0]!) / 1000;
      return { mean: span > 0 ? c.requestedAt.length / span : c.requestedAt.length, max: maxInWindow(c.requestedAt, 1000) };
    });
    const lastOp = Math.max(...cards.map((c) => c.ops.at(-1)!.at));
    return {
      cards: cards.length,
      firstTokenToText: firstText - firstToken,
      firstTokenToCardSent: messages[0]!.createdAt - firstToken,
      opsMean: perCard.reduce((a, p) => a + p.mean, 0) / perCard.length,
      opsMax: Math.max(...perCard.map((p) => p.max)),
      total: sentAt - pushedAt,
      modelDoneToClosed: lastOp - model.doneAt!,
    };
  } finally {
    await manager.stopAll(1000);
    await lark.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

export async function streamingCardBench(): Promise<void> {
  console.log('One streamed answer (steady fake model, a card)\n');
  for (const s of SCENARIOS) {
    const results: Array<Record<string, number>> = [];
    for (let i = 0; i < s.runs; i++) results.push(await runOnce(s));
    const col = (k: string) => results.map((r) => r[k]!);
    const line = (label: string, k: string, unit: string) =>
      console.log(
        `  ${label.padEnd(52)} median ${fmt(median(col(k)), unit).padStart(9)}   p95 ${fmt(quantile(col(k), 0.95), unit).padStart(9)}`,
      );
    console.log(`${s.name} — ${s.runs} runs`);
    line('cards per answer', 'cards', '');
    line('first model token → first visible card text', 'firstTokenToText', 'ms');
    line('first model token → card message sent (<0: before)', 'firstTokenToCardSent', 'ms');
    line('card operations per second per card (mean)', 'opsMean', '/s');
    line('card operations in any 1 s window per card (max)', 'opsMax', '');
    line('model done → last card closed', 'modelDoneToClosed', 'ms');
    line('total answer latency (message pushed → reply.sent)', 'total', 'ms');
    console.log('');
  }
}
