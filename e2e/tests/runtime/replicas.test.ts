import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeCard, p2pChatIdFor } from '../../fakes/lark';
import { type PrivateRedis, startPrivateRedis } from '../../support/redis-server';
import { ALL_CHECKS, type Asked, answersTo, type Check, isApprovalCard, problems } from '../../support/replica-check';
import { memberOf, Replicas, sleep, waitFor } from '../../support/replicas';

/**
 * Issue 20: several headless replicas of one app (real processes, `--state` on one private Redis),
 * the platform sending each event and card click to one random connection (seeded). Every test
 * reads what people would see off the fake platform (e2e/support/replica-check.ts) and, through
 * each replica's tap, who wrote what. No speed is asserted, only the functional bounds: a
 * card click answered within the platform's 3 s, a dead replica's chats taken over within 10 s
 * (plus a stated margin for two busy cores).
 */
const EVERYTHING_BUT_REFUSALS: Check[] = ALL_CHECKS.filter((c) => c !== 'refusals');
/** Scheduling slack on a 2-core machine running vitest, N replicas, Redis and the fakes at once. */
const MARGIN_MS = 2_000;
const APPROVER = 'ou_replicaapprover000000000000001';
const DELETE = { tool: 'bash', args: { command: 'rm notes.txt', description: 'Delete the notes file' }, approval: true };

let redis: PrivateRedis;
let set: Replicas | undefined;

beforeAll(async () => {
  redis = await startPrivateRedis({ persistence: true });
});
beforeEach(async () => {
  // One app for every test: its keys start empty (memory and inbox of an earlier test's chats would leak in).
  const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  await client.flushall();
  client.disconnect();
});
afterEach(async () => {
  await set?.dispose();
  set = undefined;
});
afterAll(async () => {
  await redis.dispose();
});

/** Evidence for an assertion's message: the findings, then each replica's log summary. */
const evidence = (lines: string[]) => `${lines.join('\n')}\n${set!.evidence()}`;

function verdict(s: Replicas, opts: { asked?: Asked[]; complete?: boolean } = {}) {
  return s.check({ ...(opts.asked ? { asked: opts.asked } : {}), ...(opts.complete === false ? {} : { expected: s.answerTo }) });
}

/** The card replying to `messageId` that is not an approval card (the answer's). */
function answerCard(s: Replicas, messageId: string): { card: FakeCard; messageId: string } | undefined {
  const sent = s.lark.sentMessages({ replyTo: messageId }).find((m) => m.cardId && !isApprovalCard(s.lark.card(m.cardId)!));
  return sent ? { card: s.lark.card(sent.cardId!)!, messageId: sent.messageId } : undefined;
}

/** The `value` of the card's callback button whose value matches. */
function buttonValue(card: FakeCard, match: Record<string, unknown>): Record<string, unknown> | undefined {
  const values: Array<Record<string, unknown>> = [];
  JSON.stringify(card.json, (key, v: unknown) => {
    if (key === 'value' && v && typeof v === 'object') values.push(v as Record<string, unknown>);
    return v;
  });
  return values.find((v) => Object.entries(match).every(([k, want]) => v[k] === want));
}

const streamedChars = (s: Replicas, messageId: string) =>
  answerCard(s, messageId) ? (s.lark.cardText(answerCard(s, messageId)!.card.cardId, 'stream_md') ?? '').length : 0;

describe('N replicas answer as one bot', () => {
  for (const n of [2, 3]) {
    it(
      `${n} replicas: 200 messages over 20 chats are each answered once, in order per chat, with the chat's memory`,
      { timeout: 90_000 },
      async () => {
        set = await Replicas.start({ replicas: n, redis, replyMode: 'message', chunkChars: 8, chunkDelayMs: 15, seed: 20 + n });
        const asked = await set.askMany({ chats: 20, perChat: 10, everyMs: 10 });
        await set.waitForAnswers(asked, 60_000);
        const v = verdict(set);
        expect(problems(v, EVERYTHING_BUT_REFUSALS), evidence(problems(v))).toEqual([]);
        // Conversation memory is shared: each run saw every earlier question of its chat, in order.
        const forgot = set.runs.filter((r) => {
          const chat = r.tag.split('-')[0]!;
          const earlier = asked.filter((a) => a.tag.startsWith(`${chat}-`) && a.tag <= r.tag).map((a) => a.tag);
          return r.history.join(' ') !== earlier.join(' ');
        });
        expect(forgot.slice(0, 5), evidence([`${forgot.length} runs with another memory than their chat's earlier questions`])).toEqual([]);
        // One run at a time per chat: each began after the answer before it was sent (a post is sent whole).
        const early = set.runs.flatMap((r) => {
          const [chat, k] = r.tag.split('-');
          const before = asked.find((a) => a.tag === `${chat}-${String(Number(k) - 1).padStart(2, '0')}`);
          const sentAt = before ? answersTo(set!.lark, before.messageId)[0]?.beganAt : undefined;
          return sentAt !== undefined && r.at < sentAt
            ? [`${r.tag} began ${sentAt - r.at} ms before ${before!.tag}'s answer was sent`]
            : [];
        });
        expect(early.slice(0, 5), evidence([`${early.length} runs began while their chat's previous answer was still running`])).toEqual(
          [],
        );
        // Both halves of the platform's random delivery were taken in, and the chats answered in parallel across replicas.
        const received = new Set(asked.flatMap((a) => set!.receivers(a.pushId)));
        const ran = new Set(set.runs.map((r) => r.replica));
        expect([...received].sort(), 'replicas that received messages').toEqual([...Array(n).keys()]);
        expect([...ran].sort(), evidence(['replicas that ran the agent'])).toEqual([...Array(n).keys()]);
      },
    );
  }

  it(
    'Stop clicked on the replica that does not hold the run: the toast within 3 s, the run stopped, the card closed',
    { timeout: 60_000 },
    async () => {
      set = await Replicas.start({ replicas: 2, redis, replyMode: 'card', answerWords: 150, chunkChars: 6, chunkDelayMs: 40, seed: 3 });
      const a = set.ask(0, 0);
      await waitFor(
        () => set!.runsOf(a.tag).length > 0 && streamedChars(set!, a.messageId) > 20,
        15_000,
        () => `streaming answer\n${set!.evidence()}`,
      );
      const runner = set.runsOf(a.tag)[0]!.replica;
      const other = 1 - runner;
      const { card, messageId: cardMessage } = answerCard(set, a.messageId)!;
      const value = buttonValue(card, { kocoro: 'stop' });
      expect(value, 'the Stop button').toBeDefined();
      const clickedAt = Date.now();
      const push = set.lark.pushCardAction(
        set.app.appId,
        { openMessageId: cardMessage, openChatId: a.chatId, operatorOpenId: memberOf(0), value },
        { connectionId: set.connectionOf(other)! },
      );
      expect(set.receivers(push.pushId)).toEqual([other]);
      const ack = await set.lark.waitForAck(push.pushId, 10_000);
      // A callback is never re-pushed by the platform: the first attempt's answer is the only one.
      expect({ attempts: ack.attempts, toast: ack.ackData }, evidence([`ack after ${ack.ackLatencyMs} ms`])).toMatchObject({
        attempts: 1,
        toast: { toast: { content: 'Stopped' } },
      });
      expect(ack.ackLatencyMs!).toBeLessThan(3_000);
      // The run itself ends on the runner: the card closed with the partial text and the note (3 s + margin).
      await waitFor(
        () => !card.streaming && (set!.lark.cardText(card.cardId, 'stream_md') ?? '').endsWith('_Stopped._'),
        3_000 + MARGIN_MS,
        () =>
          `the card stopped (streaming ${card.streaming}, text …${(set!.lark.cardText(card.cardId, 'stream_md') ?? '').slice(-40)})\n${set!.evidence()}`,
      );
      expect(Date.now() - clickedAt).toBeLessThan(3_000 + MARGIN_MS);
      expect(set.list[runner]!.model.aborted, 'the runner’s model stream was cancelled').toBe(1);
      const v = verdict(set, { complete: false });
      expect(problems(v, EVERYTHING_BUT_REFUSALS), evidence(problems(v))).toEqual([]);
    },
  );

  it(
    'an approval clicked on the replica that does not run the agent: the toast within 3 s, the decision reaches the runner’s agent',
    { timeout: 60_000 },
    async () => {
      set = await Replicas.start({ replicas: 2, redis, agent: 'kocoro', tools: [DELETE], bot: { approvers: [APPROVER] }, seed: 4 });
      const a = set.ask(0, 0);
      await waitFor(
        () => set!.list.some((r) => r.kocoro!.approvals.some((x) => x.decision === undefined)),
        15_000,
        () => `an approval asked for\n${set!.evidence()}`,
      );
      const runner = set.list.findIndex((r) => r.kocoro!.approvals.length > 0);
      const other = 1 - runner;
      // The approver's copy, in their direct chat with the bot, has Allow (the asker's in the chat only Deny).
      const dm = p2pChatIdFor(set.app.appId, APPROVER);
      const approvalIn = () => set!.lark.sentMessages({ chatId: dm }).find((m) => m.cardId && isApprovalCard(set!.lark.card(m.cardId)!));
      await waitFor(
        () => approvalIn() !== undefined,
        10_000,
        () => `the approval card in the approver's chat\n${set!.evidence()}`,
      );
      const sent = approvalIn()!;
      const value = buttonValue(set.lark.card(sent.cardId!)!, { kocoro: 'approval', decision: 'allow' });
      expect(value, 'the Allow button').toBeDefined();
      const clickedAt = Date.now();
      const push = set.lark.pushCardAction(
        set.app.appId,
        { openMessageId: sent.messageId, openChatId: dm, operatorOpenId: APPROVER, value },
        { connectionId: set.connectionOf(other)! },
      );
      expect(set.receivers(push.pushId)).toEqual([other]);
      const ack = await set.lark.waitForAck(push.pushId, 10_000);
      expect({ attempts: ack.attempts, toast: ack.ackData }, evidence([`ack after ${ack.ackLatencyMs} ms`])).toMatchObject({
        attempts: 1,
        toast: { toast: { content: 'Allowed' } },
      });
      expect(ack.ackLatencyMs!).toBeLessThan(3_000);
      const asked = set.list[runner]!.kocoro!.approvals[0]!;
      await waitFor(
        () => asked.decision !== undefined,
        3_000 + MARGIN_MS,
        () =>
          `the runner's daemon told the decision (posts there: ${JSON.stringify(set!.list[runner]!.kocoro!.approvalPosts)}, on the other: ${JSON.stringify(set!.list[other]!.kocoro!.approvalPosts)})\n${set!.evidence()}`,
      );
      expect(asked.decision).toBe('allow');
      expect(asked.decidedAt! - clickedAt).toBeLessThan(3_000 + MARGIN_MS);
      expect(set.list[other]!.kocoro!.approvalPosts, 'nothing posted to the other replica’s daemon').toEqual([]);
      await set.waitForAnswers([a], 15_000);
      const v = verdict(set);
      expect(problems(v, EVERYTHING_BUT_REFUSALS), evidence(problems(v))).toEqual([]);
    },
  );
});

describe('a replica that dies or stalls is taken over', () => {
  it(
    'kill -9 mid-stream: a survivor finishes each of its answers in the same card within 10 s, none left streaming, text never backwards',
    { timeout: 90_000 },
    async () => {
      set = await Replicas.start({ replicas: 2, redis, replyMode: 'card', answerWords: 80, chunkChars: 6, chunkDelayMs: 40, seed: 5 });
      const asked = await set.askMany({ chats: 8, perChat: 1, everyMs: 0 });
      await waitFor(
        () => asked.every((a) => set!.runsOf(a.tag).length > 0) && asked.some((a) => streamedChars(set!, a.messageId) > 20),
        15_000,
        () => `every answer running\n${set!.evidence()}`,
      );
      const victim = [0, 1].sort(
        (x, y) => set!.runs.filter((r) => r.replica === y).length - set!.runs.filter((r) => r.replica === x).length,
      )[0]!;
      const survivor = 1 - victim;
      const orphans = asked.filter(
        (a) => set!.runsOf(a.tag)[0]!.replica === victim && !answersTo(set!.lark, a.messageId).some((x) => x.endedAt),
      );
      expect(orphans.length, 'answers streaming on the replica about to die').toBeGreaterThan(0);
      await set.kill(victim);
      const killedAt = set.list[victim]!.killedAt!;
      await set.waitForAnswers(asked, 30_000);
      const v = verdict(set);
      expect(problems(v, EVERYTHING_BUT_REFUSALS), evidence(problems(v))).toEqual([]);
      // Each orphan: finished by the survivor in the card the victim had sent, taken over within 10 s (+ margin).
      for (const a of orphans) {
        const card = answerCard(set, a.messageId)?.card;
        const victimWrote = set.writes({ replica: victim }).some((w) => w.chatId === a.chatId);
        const taken = set.writes({ replica: survivor, after: killedAt }).find((w) => w.chatId === a.chatId);
        expect({ tag: a.tag, victimWrote, survivorWrote: taken !== undefined, card: card?.cardId !== undefined }, evidence([])).toEqual({
          tag: a.tag,
          victimWrote: true,
          survivorWrote: true,
          card: true,
        });
        expect(taken!.at - killedAt, `${a.tag}: kill → the survivor's first write in its chat`).toBeLessThanOrEqual(10_000 + MARGIN_MS);
      }
    },
  );

  it(
    'kill -9 mid-answer of a Kocoro agent (its tools run here): the answer the survivor starts again says so in its card, the others do not',
    { timeout: 90_000 },
    async () => {
      set = await Replicas.start({
        replicas: 2,
        redis,
        agent: 'kocoro',
        replyMode: 'card',
        answerWords: 80,
        chunkChars: 6,
        chunkDelayMs: 40,
        seed: 9,
      });
      const asked = await set.askMany({ chats: 6, perChat: 1, everyMs: 0 });
      await waitFor(
        () => asked.every((a) => set!.runsOf(a.tag).length > 0) && asked.some((a) => streamedChars(set!, a.messageId) > 20),
        15_000,
        () => `every answer running\n${set!.evidence()}`,
      );
      const victim = set.runs.filter((r) => r.replica === 0).length >= set.runs.filter((r) => r.replica === 1).length ? 0 : 1;
      const orphans = new Set(
        asked
          .filter((a) => set!.runsOf(a.tag)[0]!.replica === victim && !answersTo(set!.lark, a.messageId).some((x) => x.endedAt))
          .map((a) => a.tag),
      );
      expect(orphans.size, 'answers running on the replica about to die').toBeGreaterThan(0);
      await set.kill(victim);
      await set.waitForAnswers(asked, 30_000);
      const restarted = (a: Asked) =>
        answersTo(set!.lark, a.messageId).at(-1)?.text.includes('started again after an interruption') ?? false;
      expect(
        asked.map((a) => ({ tag: a.tag, cards: answersTo(set!.lark, a.messageId).length, restarted: restarted(a) })),
        evidence([]),
      ).toEqual(asked.map((a) => ({ tag: a.tag, cards: 1, restarted: orphans.has(a.tag) })));
    },
  );

  it('a replica paused (SIGSTOP) past its lease and resumed writes nothing more for the chats it lost', { timeout: 90_000 }, async () => {
    set = await Replicas.start({ replicas: 2, redis, replyMode: 'card', answerWords: 200, chunkChars: 6, chunkDelayMs: 50, seed: 6 });
    const asked = await set.askMany({ chats: 6, perChat: 1, everyMs: 0 });
    await waitFor(
      () => asked.every((a) => set!.runsOf(a.tag).length > 0) && asked.some((a) => streamedChars(set!, a.messageId) > 20),
      15_000,
      () => `every answer running\n${set!.evidence()}`,
    );
    const counts = [0, 1].map((i) => set!.runs.filter((r) => r.replica === i).length);
    const paused = counts[0]! >= counts[1]! ? 0 : 1;
    const survivor = 1 - paused;
    const itsChats = new Set(asked.filter((a) => set!.runsOf(a.tag)[0]!.replica === paused).map((a) => a.chatId));
    set.pause(paused);
    const pausedAt = set.list[paused]!.pausedAt!;
    // Past the ~6 s lease and the 10 s takeover bound; one more message in each of its chats meanwhile.
    await sleep(3_000);
    const more = [...itsChats].map((chatId) =>
      set!.ask(
        asked.findIndex((a) => a.chatId === chatId),
        1,
      ),
    );
    await sleep(7_000 + MARGIN_MS);
    const lost = new Set(
      set
        .writes({ replica: survivor, after: pausedAt })
        .map((w) => w.chatId)
        .filter((c): c is string => c !== undefined && itsChats.has(c)),
    );
    set.resume(paused);
    const resumedAt = set.list[paused]!.resumedAt!;
    await set.waitForAnswers([...asked, ...more], 30_000);
    await sleep(2_000);
    const late = set.writes({ replica: paused, after: resumedAt }).filter((w) => w.chatId && lost.has(w.chatId));
    expect(
      [...lost].length,
      evidence([`the survivor took over none of the paused replica's ${itsChats.size} chats within ${Date.now() - pausedAt} ms`]),
    ).toBe(itsChats.size);
    expect(
      late.map((w) => `${w.method} ${w.path} +${w.at - resumedAt} ms → ${w.status}`),
      evidence(['writes of the resumed replica in chats it lost']),
    ).toEqual([]);
    const v = verdict(set);
    expect(problems(v, EVERYTHING_BUT_REFUSALS), evidence(problems(v))).toEqual([]);
  });
});

describe('Redis trouble and the app’s limits', () => {
  it('Redis killed and restarted mid-load: nothing acked is lost, each answered once, in order', { timeout: 90_000 }, async () => {
    set = await Replicas.start({ replicas: 2, redis, replyMode: 'message', chunkChars: 16, chunkDelayMs: 5, seed: 7 });
    const load = set.askMany({ chats: 20, perChat: 6, everyMs: 25 });
    await sleep(1_000);
    await redis.kill();
    await sleep(1_500);
    await redis.restart();
    const asked = await load;
    // The platform gives up on a push after its re-pushes (0.5 + 1 + 2 + 4 s): wait for each to be acked or given up.
    await waitFor(
      () => asked.every((a) => set!.lark.pushes().find((p) => p.pushId === a.pushId)!.acked || Date.now() - a.at > 12_000),
      20_000,
      () => 'every push settled',
    );
    const acked = asked.filter((a) => set!.lark.pushes().find((p) => p.pushId === a.pushId)!.acked);
    await set.waitForAnswers(acked, 45_000).catch(() => undefined);
    const v = verdict(set, { asked: acked });
    expect(
      problems(v, ['unanswered', 'doubled', 'misnamed', 'incomplete', 'outOfOrder', 'streaming']),
      evidence([`${acked.length} of ${asked.length} acked`, ...problems(v)]),
    ).toEqual([]);
  });

  it(
    '160 DMs at once to an instant agent on 2 replicas: 0 refusals by the platform (one limiter for the app)',
    { timeout: 90_000 },
    async () => {
      set = await Replicas.start({ replicas: 2, redis, replyMode: 'card', answerWords: 3, chunkChars: 100, seed: 8 });
      const asked = await set.askMany({ chats: 160, perChat: 1, everyMs: 0 });
      await set.waitForAnswers(asked, 60_000);
      const v = verdict(set);
      const byApi = new Map<string, number>();
      for (const h of v.refusals) byApi.set(`${h.api} ${h.code}`, (byApi.get(`${h.api} ${h.code}`) ?? 0) + 1);
      expect(v.refusals.length, evidence([`refusals: ${JSON.stringify([...byApi])}`, ...set.refusalEvidence()])).toBe(0);
      expect(problems(v, EVERYTHING_BUT_REFUSALS), evidence(problems(v))).toEqual([]);
    },
  );
});
