import { describe, expect, it } from 'vitest';
import type { CardOp, ReplyInput } from '../api';
import { CARD_OP_INTERVAL_MS, CardHandle, type CardKitApi } from './card-handle';

/** One clock for pacing and the wall: sleeping moves it on at once. */
function fakeClock(start = 1_700_000_000_000) {
  const clock = {
    t: start,
    now: () => clock.t,
    wallClock: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
    },
  };
  return clock;
}

interface Call {
  kind: string;
  at: number;
  cardId?: string;
  sequence?: number;
  uuid?: string;
  to?: string;
  input?: Omit<ReplyInput, 'replyInThread' | 'chatId'> | ReplyInput;
}

/** Records every call with the clock's time; `gate` holds a call until released, `fail` makes calls of a kind reject. */
function fakeApi(clock: { now: () => number }) {
  const calls: Call[] = [];
  const fail = new Set<string>();
  const held: Array<() => void> = [];
  let gate = false;
  const record = async (call: Omit<Call, 'at'>) => {
    calls.push({ ...call, at: clock.now() });
    if (gate) await new Promise<void>((resolve) => held.push(resolve));
    if (fail.has(call.kind)) throw new Error(`${call.kind} failed`);
  };
  const op =
    (kind: string) =>
    async (cardId: string, ...rest: unknown[]) => {
      const { sequence, uuid } = rest.at(-1) as CardOp;
      await record({ kind, cardId, sequence, uuid });
    };
  const api: CardKitApi = {
    createCard: async () => {
      await record({ kind: 'create' });
      return 'card_1';
    },
    updateCard: op('update'),
    setCardSettings: op('settings'),
    setCardText: async (cardId, _element, _content, o) => {
      await op('content')(cardId, o);
      return { retryInMs: 0 };
    },
    replyMessage: async (messageId, input) => {
      await record({ kind: 'reply', to: messageId, input });
      return { messageId: 'om_card' };
    },
    sendToUser: async (openId, input) => {
      await record({ kind: 'dm', to: openId, input });
      return { messageId: 'om_dm' };
    },
  };
  return {
    api,
    calls,
    fail,
    hold: () => void (gate = true),
    release: () => {
      gate = false;
      for (const resolve of held.splice(0)) resolve();
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const sequences = (calls: Call[]) => calls.filter((c) => c.sequence !== undefined).map((c) => c.sequence!);

describe('CardHandle', () => {
  it('numbers interleaved operations in tenths of a second since creation, strictly increasing, each with its own uuid', async () => {
    const clock = fakeClock();
    const { api, calls } = fakeApi(clock);
    const card = new CardHandle({ api, ...clock });
    const created = await card.create({ schema: '2.0' });
    expect(created).toEqual({ cardId: 'card_1', createdAt: clock.t });
    await Promise.all([card.update({}), card.streamText('stream_md', 'a'), card.settings({}), card.streamText('steps_md', 'b')]);
    clock.t += 5_000;
    await card.update({});
    const seqs = sequences(calls);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
    // 130 ms apart: 1.3 s, 2.6 s, 3.9 s, 5.2 s after creation; then 5 s later.
    expect(seqs).toEqual([2, 3, 4, 6, 56]);
    expect(calls.filter((c) => c.uuid).map((c) => c.uuid)).toEqual(['u_card_1_2', 'c_card_1_3', 's_card_1_4', 'c_card_1_6', 'u_card_1_56']);
  });

  it('never repeats or goes back on a sequence number when operations come faster than the tenths of a second', async () => {
    const clock = fakeClock();
    const { api, calls } = fakeApi(clock);
    const card = new CardHandle({ api, ...clock, minIntervalMs: 0 });
    await card.create({});
    await Promise.all(Array.from({ length: 5 }, () => card.update({})));
    expect(sequences(calls)).toEqual([1, 2, 3, 4, 5]);
  });

  it('taken up again after a restart, from the kept creation time, goes on past the last number the earlier run used', async () => {
    const clock = fakeClock();
    const first = fakeApi(clock);
    const before = new CardHandle({ api: first.api, ...clock });
    const entity = await before.create({});
    for (let i = 0; i < 4; i++) await before.streamText('stream_md', `text ${i}`);
    const last = sequences(first.calls).at(-1)!;
    // A restart within the process: the new run starts the moment the old one stopped.
    const second = fakeApi(clock);
    const after = new CardHandle({ api: second.api, ...clock }, entity);
    expect(after.entity).toEqual(entity);
    await after.update({});
    await after.settings({});
    expect(sequences(second.calls)[0]!).toBeGreaterThan(last);
    expect(sequences(second.calls)[1]!).toBeGreaterThan(sequences(second.calls)[0]!);
  });

  it("taken over by a replica whose own clock is 3 s behind, goes on past the last number, counted on the API's shared clock", async () => {
    // The state store's clock, which both replicas read (LarkApi.clock); sleeping moves it on.
    const shared = fakeClock();
    const first = fakeApi(shared);
    const before = new CardHandle({ api: { ...first.api, clock: shared.now }, now: shared.now, sleep: shared.sleep });
    const entity = await before.create({});
    for (let i = 0; i < 4; i++) await before.streamText('stream_md', `text ${i}`);
    const last = sequences(first.calls).at(-1)!;
    // The other replica paces on its own clock, 3 s behind.
    const behind = { now: () => shared.t - 3_000, sleep: shared.sleep };
    const second = fakeApi(behind);
    const after = new CardHandle({ api: { ...second.api, clock: shared.now }, ...behind }, entity);
    await after.update({});
    await after.settings({});
    const [firstAfter, secondAfter] = sequences(second.calls);
    expect(firstAfter!).toBeGreaterThan(last);
    expect(secondAfter!).toBeGreaterThan(firstAfter!);
    // Counted on that replica's own clock, the numbers would go back (the platform refuses them, 300317).
    const own = fakeApi(behind);
    await new CardHandle({ api: own.api, ...behind, wallClock: behind.now }, entity).update({});
    expect(sequences(own.calls)[0]!).toBeLessThan(last);
  });

  it('runs its operations one at a time, in the order asked for', async () => {
    const clock = fakeClock();
    const { api, calls, hold, release } = fakeApi(clock);
    const card = new CardHandle({ api, ...clock });
    await card.create({});
    hold();
    const done: string[] = [];
    const ops = [
      card.update({}).then(() => done.push('update')),
      card.streamText('stream_md', 'x').then(() => done.push('content')),
      card.settings({}).then(() => done.push('settings')),
    ];
    await tick();
    expect(calls.map((c) => c.kind)).toEqual(['create', 'update']);
    release();
    await Promise.all(ops);
    expect(calls.map((c) => c.kind)).toEqual(['create', 'update', 'content', 'settings']);
    expect(done).toEqual(['update', 'content', 'settings']);
  });

  it('goes on after a failed operation: that one rejects, the next runs with the next number', async () => {
    const clock = fakeClock();
    const { api, calls, fail } = fakeApi(clock);
    const card = new CardHandle({ api, ...clock });
    await card.create({});
    fail.add('update');
    const failed = card.update({});
    const next = card.settings({});
    await expect(failed).rejects.toThrow('update failed');
    await expect(next).resolves.toBeUndefined();
    expect(calls.map((c) => c.kind)).toEqual(['create', 'update', 'settings']);
    expect(calls[2]!.sequence!).toBeGreaterThan(calls[1]!.sequence!);
  });

  it('refuses operations on a card never created, without holding up the queue', async () => {
    const clock = fakeClock();
    const { api, calls, fail } = fakeApi(clock);
    const card = new CardHandle({ api, ...clock });
    fail.add('create');
    await expect(card.create({})).rejects.toThrow('create failed');
    await expect(card.update({})).rejects.toThrow('never created');
    expect(card.cardId).toBeUndefined();
    expect(card.entity).toBeUndefined();
    expect(calls.map((c) => c.kind)).toEqual(['create']);
  });

  it('keeps operations on one card the interval apart, counting the create and the send, but never delays those two', async () => {
    const clock = fakeClock();
    const { api, calls } = fakeApi(clock);
    const card = new CardHandle({ api, ...clock });
    await card.create({});
    await card.send({ replyTo: { messageId: 'om_q', inThread: false } }, 'uuid-1');
    expect(calls[1]!.at).toBe(calls[0]!.at);
    await Promise.all([card.update({}), card.streamText('stream_md', 'x'), card.settings({})]);
    const times = calls.map((c) => c.at);
    for (let i = 2; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(CARD_OP_INTERVAL_MS);
    expect(card.readyAt).toBe(times.at(-1)! + CARD_OP_INTERVAL_MS);
    // Time already passed counts: no wait when the interval is over.
    clock.t += 1_000;
    const at = clock.t;
    await card.update({});
    expect(calls.at(-1)!.at).toBe(at);
  });

  it('a card taken up again waits the interval before its first operation (the earlier run may have just operated it)', async () => {
    const clock = fakeClock();
    const { api, calls } = fakeApi(clock);
    const start = clock.t;
    const card = new CardHandle({ api, ...clock }, { cardId: 'card_9', createdAt: start - 60_000 });
    await card.update({});
    expect(calls[0]).toMatchObject({ kind: 'update', cardId: 'card_9', at: start + CARD_OP_INTERVAL_MS, sequence: 602 });
  });

  it('sends the card as a reply (in the thread, paced by its chat) or to a person by open_id, with the uuid given', async () => {
    const clock = fakeClock();
    const { api, calls } = fakeApi(clock);
    const reply = new CardHandle({ api, ...clock });
    await reply.create({});
    expect(await reply.send({ replyTo: { messageId: 'om_q', inThread: true, chatId: 'oc_1' } }, 'uuid-r')).toBe('om_card');
    const dm = new CardHandle({ api, ...clock });
    await dm.create({});
    expect(await dm.send({ toUser: 'ou_1' }, 'uuid-d')).toBe('om_dm');
    const content = JSON.stringify({ type: 'card', data: { card_id: 'card_1' } });
    expect(calls.filter((c) => c.to)).toEqual([
      expect.objectContaining({
        kind: 'reply',
        to: 'om_q',
        input: { msgType: 'interactive', content, uuid: 'uuid-r', replyInThread: true, chatId: 'oc_1' },
      }),
      expect.objectContaining({ kind: 'dm', to: 'ou_1', input: { msgType: 'interactive', content, uuid: 'uuid-d' } }),
    ]);
  });
});
