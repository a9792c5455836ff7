import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as lark from '@larksuiteoapi/node-sdk';
import type { AgentProvider } from '@core/agents/provider';
import { BotManager } from '@core/runtime/lifecycle/bot-manager';
import type { ConfigFile, ReplyMode } from '@shared/config-schema';
import { FakeLarkPlatform } from '../fakes/lark';
import { MemoryLogger } from '../support/memory-logger';

export const APP = {
  appId: 'cli_a1b2c3d4e5f60718',
  appSecret: 'secret-bench-bot-0001',
  botOpenId: 'ou_bench0000000000000000000000001',
  botName: 'Bench Bot',
};

/** One message of a load: when it was pushed, and what the platform saw of it. */
export interface LoadFigures {
  ackMs: number[];
  completeMs: number[];
  /** Messages with no complete answer once the load had drained. */
  lost: number;
  /** Messages answered more than once. */
  duplicated: number;
  /** Calls the fake refused for a rate limit (per API, per chat, per card). */
  rateLimited: number;
  /** Most agent calls running at the same time (Kocoro only). */
  peakAgents?: number;
  /** When each person first saw text of the answer (card mode). */
  beginMs?: number[];
}

export interface LoadShape {
  /** Messages in all. */
  messages: number;
  /** Spacing between two messages; 0 = all at once. */
  everyMs: number;
  /** Different people writing (each a direct chat); message k comes from person k mod senders. */
  senders: number;
}

const sender = (i: number) => `ou_member${String(i).padStart(24, '0')}`;

/** Pushes the messages on schedule (each at its own time, not drifting with the event loop). */
async function pushLoad(fake: FakeLarkPlatform, shape: LoadShape): Promise<Array<{ messageId: string; pushId: string; at: number }>> {
  const start = Date.now();
  const pushed: Array<{ messageId: string; pushId: string; at: number }> = [];
  for (let k = 0; k < shape.messages; k++) {
    const due = start + k * shape.everyMs;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const at = Date.now();
    const { messageId, push } = fake.pushMessage(APP.appId, {
      chatType: 'p2p',
      senderOpenId: sender(k % shape.senders),
      text: `question ${k}`,
    });
    pushed.push({ messageId, pushId: push.pushId, at });
  }
  return pushed;
}

/** Waits until every message has an answer (or `timeoutMs` passed), then reads the figures off the fake. */
async function collect(
  fake: FakeLarkPlatform,
  pushed: Array<{ messageId: string; pushId: string; at: number }>,
  done: (messageId: string) => number | undefined,
  timeoutMs: number,
): Promise<LoadFigures> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && pushed.some((p) => done(p.messageId) === undefined)) await new Promise((r) => setTimeout(r, 50));
  // A little longer, so a duplicate on its way is seen too.
  await new Promise((r) => setTimeout(r, 500));
  const pushes = new Map(fake.pushes().map((p) => [p.pushId, p]));
  const completeMs: number[] = [];
  let lost = 0;
  let duplicated = 0;
  for (const p of pushed) {
    const at = done(p.messageId);
    if (at === undefined) lost++;
    else completeMs.push(at - p.at);
    if (fake.sentMessages({ replyTo: p.messageId }).length > 1) duplicated++;
  }
  return {
    ackMs: pushed.map((p) => pushes.get(p.pushId)?.ackLatencyMs ?? NaN).filter(Number.isFinite),
    completeMs,
    lost,
    duplicated,
    rateLimited: fake.rateLimitHits().length,
  };
}

/** When a card answer is complete: its streaming turned off by the final settings call. */
function cardDoneAt(fake: FakeLarkPlatform, messageId: string): number | undefined {
  const sent = fake.sentMessages({ replyTo: messageId });
  const cards = sent.map((m) => (m.cardId ? fake.card(m.cardId) : undefined));
  if (cards.length === 0 || cards.some((c) => !c || c.streaming || c.ops.at(-1)?.kind !== 'settings')) return undefined;
  return Math.max(...cards.map((c) => c!.ops.at(-1)!.at));
}

/** A model that streams for `durationMs` in small pieces, counting the calls running at once. */
export class PacedAgent implements AgentProvider {
  running = 0;
  peak = 0;
  constructor(
    private readonly durationMs: number,
    private readonly pieceEveryMs = 50,
  ) {}
  async *stream(req: Parameters<AgentProvider['stream']>[0]): AsyncIterable<string> {
    this.running++;
    this.peak = Math.max(this.peak, this.running);
    try {
      if (this.durationMs === 0) {
        yield `You said: ${req.turns.at(-1)?.text ?? ''}`;
        return;
      }
      // Each piece at its own time from the start, so the answer takes `durationMs`, not that plus timer drift.
      const start = Date.now();
      for (let t = this.pieceEveryMs; t <= this.durationMs; t += this.pieceEveryMs) {
        await new Promise((r) => setTimeout(r, Math.max(0, start + t - Date.now())));
        req.signal.throwIfAborted();
        yield `word${t / this.pieceEveryMs} `;
      }
    } finally {
      this.running--;
    }
  }
}

/** The Kocoro runtime (BotManager, durable inbox, the default limits) answering a load. */
export async function kocoroLoad(
  shape: LoadShape,
  replyMode: ReplyMode,
  agent: PacedAgent,
  maxConcurrentAnswers?: number,
  /** Where the data folder goes (default the system's temp folder, on disk). */
  dataRoot = os.tmpdir(),
): Promise<LoadFigures> {
  const fake = await FakeLarkPlatform.start({ apps: [APP] });
  const dataDir = await fs.mkdtemp(path.join(dataRoot, 'kocoro-bench-load-'));
  const manager = new BotManager({ dataDir, logger: new MemoryLogger(), providerFor: () => agent });
  const config: ConfigFile = {
    agents: [{ id: 'paced', name: 'Paced', provider: { type: 'echo' } }],
    bots: [
      {
        id: 'bench',
        platform: 'feishu',
        appId: APP.appId,
        appSecret: APP.appSecret,
        agentId: 'paced',
        domain: fake.url,
        replyMode: { dm: replyMode, group: replyMode },
        language: 'en',
        ...(maxConcurrentAnswers ? { maxConcurrentAnswers } : {}),
      },
    ],
  };
  try {
    await manager.startAll(config);
    await fake.waitForConnections(APP.appId);
    const pushed = await pushLoad(fake, shape);
    const done =
      replyMode === 'card' ? (id: string) => cardDoneAt(fake, id) : (id: string) => fake.sentMessages({ replyTo: id })[0]?.createdAt;
    const figures = await collect(fake, pushed, done, 120_000);
    figures.peakAgents = agent.peak;
    if (replyMode === 'card') {
      figures.beginMs = pushed.flatMap((p) => {
        const cardId = fake.sentMessages({ replyTo: p.messageId })[0]?.cardId;
        const first = cardId ? fake.card(cardId)?.ops.find((op) => op.kind === 'content' && op.content?.trim()) : undefined;
        return first ? [first.at - p.at] : [];
      });
    }
    return figures;
  } finally {
    await manager.stopAll(1000);
    await fake.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * The bare official SDK on the same fake: WSClient + EventDispatcher, one text reply per message,
 * sent without waiting in the handler (so the ack is immediate), no cards, nothing on disk.
 */
export async function sdkLoad(shape: LoadShape): Promise<LoadFigures> {
  const fake = await FakeLarkPlatform.start({ apps: [APP] });
  const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} };
  const client = new lark.Client({ appId: APP.appId, appSecret: APP.appSecret, domain: fake.url, logger: quiet });
  const ws = new lark.WSClient({
    appId: APP.appId,
    appSecret: APP.appSecret,
    domain: fake.url,
    logger: quiet,
    loggerLevel: lark.LoggerLevel.fatal,
  });
  const dispatcher = new lark.EventDispatcher({ logger: quiet }).register({
    'im.message.receive_v1': (data: { message: { message_id: string; content: string } }) => {
      const text = (JSON.parse(data.message.content) as { text?: string }).text ?? '';
      void client.im.v1.message
        .reply({
          path: { message_id: data.message.message_id },
          data: { msg_type: 'text', content: JSON.stringify({ text: `You said: ${text}` }) },
        })
        .catch(() => undefined);
    },
  });
  try {
    await ws.start({ eventDispatcher: dispatcher });
    await fake.waitForConnections(APP.appId);
    const pushed = await pushLoad(fake, shape);
    return await collect(fake, pushed, (id) => fake.sentMessages({ replyTo: id })[0]?.createdAt, 60_000);
  } finally {
    ws.close({ force: true });
    await fake.close();
  }
}
