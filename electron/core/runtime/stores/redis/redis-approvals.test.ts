/**
 * Tool approvals across replicas (README "Running several replicas"): two or three approval desks,
 * each a replica with its own connections to one real Redis and its own card API (a fake that
 * records calls), as the platform hands a card's click to any connection of the app.
 */
import os from 'node:os';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BotConfig } from '@shared/config-schema';
import { MemoryLogger } from '@e2e/support/memory-logger';
import { type PrivateRedis, startPrivateRedis } from '@e2e/support/redis-server';
import type { AgentApproval, ApprovalDecision } from '@core/agents/provider';
import { chatPhrases } from '@core/i18n/chat-text';
import type { InboundMessage } from '@core/lark/inbound';
import type { CardKitApi } from '@core/lark/outbound/card-handle';
import { ApprovalDesk } from '../../approvals/approval-desk';
import { type OpenedRedis, openRedisConnections } from './redis-connection';
import { RedisApprovals, registryLiveness } from './redis-approvals';
import { describeTarget } from './redis-errors';
import { appKeys, keyPrefix } from './redis-keys';
import { ReplicaRegistry } from './redis-replicas';

const ASKER = 'ou_asker000000000001';
const BYSTANDER = 'ou_bystander00000001';
const APPROVER = 'ou_approver000000001';

let server: PrivateRedis;
let app: string;
let apps = 0;
const cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  server = await startPrivateRedis();
});
afterAll(async () => {
  await server.dispose();
});
beforeEach(() => {
  app = `cli_apr_${++apps}_${Math.random().toString(36).slice(2, 8)}`;
});
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});

interface Update {
  cardId: string;
  json: string;
}

/** A card API that records what it was asked: cards created, sent, and updated (closed). */
function fakeCards(replica: string) {
  let n = 0;
  const created: string[] = [];
  const updates: Update[] = [];
  const api: CardKitApi = {
    createCard: async () => {
      const id = `card_${replica}_${++n}`;
      created.push(id);
      return id;
    },
    updateCard: async (cardId, card) => void updates.push({ cardId, json: JSON.stringify(card) }),
    setCardSettings: async () => undefined,
    setCardText: async () => ({ retryInMs: 0 }),
    replyMessage: async () => ({ messageId: `om_reply_${replica}_${n}` }),
    sendToUser: async () => ({ messageId: `om_dm_${replica}_${n}` }),
  };
  return { api, created, updates };
}

interface Replica {
  id: string;
  desk: ApprovalDesk;
  cards: ReturnType<typeof fakeCards>;
  connections: OpenedRedis;
  registry: ReplicaRegistry;
  logger: MemoryLogger;
  /** A crash: no heartbeat, no connection, nothing closed on the way out. */
  kill(): Promise<void>;
}

/** One replica of the app: registered in the replica registry, its desk started on a store of its own connections. */
async function replica(id: string, bot: Partial<BotConfig> = {}): Promise<Replica> {
  const logger = new MemoryLogger({ replica: id });
  const connections = await openRedisConnections(server.url, logger);
  const { client, subscriber } = connections;
  const registry = new ReplicaRegistry({ client, appId: app, me: { id, host: os.hostname(), pid: process.pid, since: '' }, logger });
  await registry.register();
  const ctx = { client, keys: appKeys(keyPrefix(app)), target: describeTarget(client), logger, now: Date.now };
  const shared = new RedisApprovals(ctx, subscriber, id, registryLiveness(client, app, logger));
  const cards = fakeCards(id);
  const config = { id: 'team-bot', appId: app, approvers: [APPROVER], ...bot } as BotConfig;
  const desk = new ApprovalDesk({
    botId: 'team-bot',
    api: cards.api,
    log: logger,
    bot: () => config,
    say: () => chatPhrases('en'),
    sanitize: (t) => t,
    redact: (t) => t,
    now: Date.now,
    timeoutMs: 60_000,
    onChange: () => undefined,
    keep: () => undefined,
    shared,
    sweepEveryMs: 60 * 60_000,
  });
  await desk.start([]);
  let alive = true;
  cleanup.push(async () => {
    if (!alive) return;
    await desk.closeAll();
    await registry.close();
    await connections.close();
  });
  return {
    id,
    desk,
    cards,
    connections,
    registry,
    logger,
    async kill() {
      alive = false;
      await registry.close();
      connections.client.disconnect();
      connections.subscriber.disconnect();
    },
  };
}

let requests = 0;

/** The agent on `owner` asks to run a tool for the asker's group message; its decisions are recorded. */
async function ask(owner: Replica) {
  const decide = vi.fn(async (_: ApprovalDecision) => undefined);
  const requestId = `apr_${++requests}_${Math.random().toString(36).slice(2, 8)}`;
  const approval: AgentApproval = {
    requestId,
    tool: 'bash',
    title: 'Delete the notes file',
    args: JSON.stringify({ command: 'rm notes.txt' }),
    alwaysAllowOffered: true,
    decide,
  };
  const message = {
    messageId: `om_${requestId}`,
    chatId: 'oc_team',
    chatType: 'group',
    sender: { openId: ASKER, type: 'user', ids: {} },
  } as unknown as InboundMessage;
  await owner.desk.ask(approval, message, 'please delete my notes');
  return { requestId, messageId: message.messageId, decide };
}

async function click(on: Replica, requestId: string, decision: ApprovalDecision, operatorOpenId: string) {
  const startedAt = Date.now();
  const answer = await on.desk.onCardAction({ value: { kocoro: 'approval', requestId, decision }, operatorOpenId });
  return { toast: answer.toast?.content, type: answer.toast?.type, tookMs: Date.now() - startedAt };
}

/** The last update of each card of `r` (what it shows now); `created` cards not updated show buttons still. */
const shown = (r: Replica, cardId: string) => r.cards.updates.filter((u) => u.cardId === cardId).at(-1)?.json;
const updatesOf = (cardIds: string[], ...replicas: Replica[]) =>
  replicas.flatMap((r) => r.cards.updates).filter((u) => cardIds.includes(u.cardId));

describe('tool approvals across replicas', () => {
  it("an approver's click on another replica decides the request within 3 s: the agent hears it, every card says so", async () => {
    const a = await replica('A');
    const b = await replica('B');
    const { requestId, decide } = await ask(a);
    expect(a.cards.created).toHaveLength(2); // the asker's card and the approver's copy

    const clicked = await click(b, requestId, 'allow', APPROVER);
    expect(clicked).toMatchObject({ toast: 'Allowed', type: 'success' });
    expect(clicked.tookMs).toBeLessThan(3_000);
    expect(decide).toHaveBeenCalledExactlyOnceWith('allow');
    for (const cardId of a.cards.created) {
      await expect.poll(() => shown(a, cardId) ?? '').toContain(`Allowed by <at id=${APPROVER}></at>`);
      expect(shown(a, cardId)).not.toContain('apr_allow');
    }
    expect(b.cards.updates).toEqual([]);
    await expect.poll(() => b.desk.list()).toEqual([]);
    expect(b.logger.records.find((r) => r.event === 'approval.routed')).toMatchObject({ requestId, owner: 'A', result: 'decided' });

    // A late click, on either replica, is told it is done; nothing reaches the agent again.
    expect((await click(b, requestId, 'deny', ASKER)).toast).toBe('Already decided.');
    expect((await click(a, requestId, 'deny', ASKER)).toast).toBe('Already decided.');
    expect(decide).toHaveBeenCalledTimes(1);
  });

  it("a bystander's click and the asker's Allow on another replica are refused there by the owner's rules, with the same toasts", async () => {
    const a = await replica('A');
    const b = await replica('B');
    const { requestId, decide } = await ask(a);
    expect(await click(b, requestId, 'allow', BYSTANDER)).toMatchObject({
      toast: "Only the bot's approvers may decide this; the person who asked may deny it.",
      type: 'info',
    });
    expect((await click(b, requestId, 'deny', BYSTANDER)).toast).toMatch(/^Only the bot's approvers may decide this/);
    expect((await click(b, requestId, 'allow', ASKER)).toast).toBe(
      "Only the bot's approvers may allow this. You may deny your own request.",
    );
    expect((await click(b, requestId, 'always_allow', ASKER)).toast).toBe("Only the bot's approvers may choose Always allow.");
    expect(decide).not.toHaveBeenCalled();
    expect(a.logger.records.filter((r) => r.event === 'approval.refused')).toHaveLength(4);
    // The asker may still deny their own request from any replica.
    expect((await click(b, requestId, 'deny', ASKER)).toast).toBe('Denied');
    expect(decide).toHaveBeenCalledExactlyOnceWith('deny');
  });

  it("with askersMayApprove the asker's Allow on another replica goes through", async () => {
    const a = await replica('A', { askersMayApprove: true });
    const b = await replica('B', { askersMayApprove: true });
    const { requestId, decide } = await ask(a);
    expect((await click(b, requestId, 'allow', ASKER)).toast).toBe('Allowed');
    expect(decide).toHaveBeenCalledExactlyOnceWith('allow');
  });

  it("the app's list on another replica shows the request, and the app's decision there reaches the owner's agent", async () => {
    const a = await replica('A');
    const b = await replica('B');
    const { requestId, decide } = await ask(a);
    await expect.poll(() => b.desk.list().map((p) => p.requestId)).toEqual([requestId]);
    expect(b.desk.list()[0]).toMatchObject({
      botId: 'team-bot',
      tool: 'bash',
      askerOpenId: ASKER,
      chatId: 'oc_team',
      detail: 'rm notes.txt',
    });
    // A replica started later sees it too.
    const c = await replica('C');
    expect(c.desk.list().map((p) => p.requestId)).toEqual([requestId]);

    expect(await b.desk.decide(requestId, 'deny', 'app')).toBe('decided');
    expect(decide).toHaveBeenCalledExactlyOnceWith('deny');
    for (const cardId of a.cards.created) await expect.poll(() => shown(a, cardId) ?? '').toContain("Denied by the bot's owner in Kocoro");
    await expect.poll(() => [b.desk.list(), c.desk.list(), a.desk.list()]).toEqual([[], [], []]);
    expect(await c.desk.decide(requestId, 'allow', 'app')).toBe('done');
  });

  it('a replica that is gone: one survivor closes its cards, once; while it runs, nobody touches them', async () => {
    const a = await replica('A');
    const b = await replica('B');
    const c = await replica('C');
    const { requestId, messageId } = await ask(a);
    const cardsOfA = [...a.cards.created];

    // Alive: taking over the message's answer closes nothing of A's.
    await Promise.all([b.desk.closeLeftoversOf(messageId), c.desk.closeLeftoversOf(messageId)]);
    expect(updatesOf(cardsOfA, a, b, c)).toEqual([]);

    await a.kill();
    // B and C both look for what A left (taking its answer over) at the same moment, and D starts meanwhile.
    let d: Replica | undefined;
    await Promise.all([b.desk.closeLeftoversOf(messageId), c.desk.closeLeftoversOf(messageId), replica('D').then((r) => (d = r))]);
    await expect.poll(() => updatesOf(cardsOfA, b, c, d!).length).toBe(cardsOfA.length);
    const closes = updatesOf(cardsOfA, b, c, d!);
    expect(closes.map((u) => u.cardId).sort()).toEqual([...cardsOfA].sort());
    for (const u of closes) {
      expect(u.json).toContain('Stopped: the bot stopped before a decision.');
      expect(u.json).not.toContain('apr_allow');
    }
    const takers = [b, c, d!].filter((r) => r.logger.records.some((e) => e.event === 'approval.taken_over'));
    expect(takers).toHaveLength(1);
    // Nothing left for anyone: a later look closes nothing again; a late click is told the request no longer waits.
    await Promise.all([b, c, d!].map((r) => r.desk.closeLeftoversOf(messageId)));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(updatesOf(cardsOfA, b, c, d!)).toHaveLength(cardsOfA.length);
    expect((await click(d!, requestId, 'allow', APPROVER)).toast).toBe('This request is no longer waiting.');
    expect([b.desk.list(), c.desk.list(), d!.desk.list()]).toEqual([[], [], []]);
  });

  it('a replica started after another crashed closes the cards it left, at its start', async () => {
    const a = await replica('A');
    await ask(a);
    await ask(a);
    const cardsOfA = [...a.cards.created];
    expect(cardsOfA).toHaveLength(4);
    await a.kill();
    const b = await replica('B');
    await expect.poll(() => updatesOf(cardsOfA, b).length).toBe(cardsOfA.length);
    expect(updatesOf(cardsOfA, b).every((u) => u.json.includes('the bot stopped before a decision'))).toBe(true);
    expect(b.desk.list()).toEqual([]);
  });

  it('a click for a replica that does not answer fails within the platform’s 3 s, asking to try again', async () => {
    const a = await replica('A');
    const b = await replica('B');
    const { requestId, decide } = await ask(a);
    // A still beats (alive) but hears nothing: its subscriber connection is down.
    a.connections.subscriber.disconnect();
    const clicked = await click(b, requestId, 'allow', APPROVER);
    expect(clicked).toMatchObject({ toast: 'Kocoro could not pass on the decision. Please try again.', type: 'error' });
    expect(clicked.tookMs).toBeLessThan(3_000);
    expect(decide).not.toHaveBeenCalled();
    // Alive, so its cards stay as they are.
    expect(updatesOf(a.cards.created, a, b)).toEqual([]);
  });
});
