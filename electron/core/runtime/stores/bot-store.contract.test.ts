/**
 * The guarantees of bot-store.ts, one suite run against every implementation: the files in a bot's
 * folder, and Redis (a private redis-server, e2e/support/redis-server.ts), as built in
 * e2e/support/bot-store-backends.ts. What only a store shared by several processes promises (a
 * second replica, a request made just before a run elsewhere starts watching) runs against Redis alone.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { fileBackend, redisBackend } from '@e2e/support/bot-store-backends';
import { MemoryLogger } from '@e2e/support/memory-logger';
import type { BotStore } from './bot-store';
import type { InboxEntry } from './inbox';

const DAY = 24 * 60 * 60 * 1000;
let apps = 0;
const entry = (messageId: string, receivedAt: number, extra: Partial<InboxEntry> = {}): InboxEntry => ({
  messageId,
  chatId: 'oc_1',
  receivedAt,
  event: { message_id: messageId },
  attempts: 0,
  ...extra,
});

describe.each([fileBackend(), redisBackend()])('$name', (backend) => {
  let app: string;
  let clock: number;
  let logger: MemoryLogger;
  const open = (): Promise<BotStore> => backend.open(app, { now: () => clock, logger });

  beforeAll(() => backend.start());
  afterAll(() => backend.stop());
  // Each test has an app of its own: nothing it leaves behind reaches another.
  beforeEach(() => {
    app = `cli_contract_${++apps}_${Math.random().toString(36).slice(2, 8)}`;
    clock = Date.now();
    logger = new MemoryLogger();
  });
  afterEach(() => backend.closeAll());

  describe('seen messages (dedupe)', () => {
    it('sees an id once its add has resolved, and no id never added', async () => {
      const store = await open();
      await store.dedupe.add('om_1');
      expect(await store.dedupe.has('om_1')).toBe(true);
      expect(await store.dedupe.has('om_2')).toBe(false);
    });

    it('sees every id of a burst added at once', async () => {
      const store = await open();
      const ids = Array.from({ length: 100 }, (_, i) => `om_${i}`);
      await Promise.all(ids.map((id) => store.dedupe.add(id)));
      expect(await Promise.all(ids.map((id) => store.dedupe.has(id)))).toEqual(ids.map(() => true));
    });

    it('remembers an id for 24 hours, then forgets it', async () => {
      const store = await open();
      await store.dedupe.add('om_1');
      clock += DAY - 60_000;
      expect(await store.dedupe.has('om_1')).toBe(true);
      clock += 120_000;
      expect(await store.dedupe.has('om_1')).toBe(false);
    });

    it('still sees the ids after the store is opened again', async () => {
      await (await open()).dedupe.add('om_1');
      expect(await (await open()).dedupe.has('om_1')).toBe(true);
    });
  });

  describe('inbox', () => {
    it('lists the entries oldest received first, and not one removed', async () => {
      const store = await open();
      await store.inbox.put(entry('om_b', 2));
      await store.inbox.put(entry('om_c', 3));
      await store.inbox.put(entry('om_a', 1));
      expect((await store.inbox.list()).map((e) => e.messageId)).toEqual(['om_a', 'om_b', 'om_c']);
      await store.inbox.remove({ messageId: 'om_b', chatId: 'oc_1' });
      expect((await store.inbox.list()).map((e) => e.messageId)).toEqual(['om_a', 'om_c']);
    });

    it('keeps one entry per message: a second put replaces it whole', async () => {
      const store = await open();
      await store.inbox.put(entry('om_a', 1, { held: true }));
      const replaced = entry('om_a', 1, { attempts: 2, reply: { cards: [{ cardId: 'c1', createdAt: 5 }] } });
      await store.inbox.put(replaced);
      expect(await store.inbox.list()).toEqual([replaced]);
    });

    it('takes the removal of an entry that is not there as no error', async () => {
      const store = await open();
      await expect(store.inbox.remove({ messageId: 'om_never', chatId: 'oc_1' })).resolves.toBeUndefined();
    });

    it('accepts a message whole: its entry listed and its id seen once accept resolves, also after opening again', async () => {
      const store = await open();
      await store.accept(entry('om_a', 1));
      expect(await store.inbox.list()).toEqual([entry('om_a', 1)]);
      expect(await store.dedupe.has('om_a')).toBe(true);
      const again = await open();
      expect(await again.inbox.list()).toEqual([entry('om_a', 1)]);
      expect(await again.dedupe.has('om_a')).toBe(true);
      expect(await again.dedupe.has('om_b')).toBe(false);
    });

    it('keeps the entries when the store is opened again', async () => {
      await (await open()).inbox.put(entry('om_a', 1));
      expect(await (await open()).inbox.list()).toEqual([entry('om_a', 1)]);
    });

    it('sets an unreadable entry aside as it was and logs it, listing the others', async () => {
      const store = await open();
      await store.inbox.put(entry('om_ok', 1));
      await backend.damageInbox(app, 'om_bad');
      expect(await store.inbox.list()).toEqual([entry('om_ok', 1)]);
      expect(await backend.inboxSetAside(app)).toEqual(['{not json']);
      expect(logger.records.filter((r) => r.event === 'inbox.corrupt_entry')).toHaveLength(1);
      expect(await store.inbox.list()).toEqual([entry('om_ok', 1)]);
    });
  });

  describe('conversation memory', () => {
    const exchange = (n: number) => [
      { role: 'user' as const, text: `question ${n}`, messageId: `om_q${n}` },
      { role: 'assistant' as const, text: `answer ${n}`, messageId: `om_a${n}` },
    ];

    it('shows the newest 20 turns, oldest first', async () => {
      const store = await open();
      for (let n = 1; n <= 12; n++) await store.conversations.record('chat:oc_1', exchange(n));
      const history = await store.conversations.history('chat:oc_1');
      expect(history).toHaveLength(20);
      expect(history[0]).toEqual({ role: 'user', text: 'question 3' });
      expect(history.at(-1)).toEqual({ role: 'assistant', text: 'answer 12' });
    });

    it('shows only the newest turns within 24,000 characters, counted as JavaScript counts them', async () => {
      const store = await open();
      // 10,000 characters each, 30,000 bytes in UTF-8: a budget counted in bytes would keep none.
      for (const n of [1, 2, 3]) await store.conversations.record('chat:oc_1', [{ role: 'user', text: `${n}${'你'.repeat(9_999)}` }]);
      expect((await store.conversations.history('chat:oc_1')).map((t) => t.text[0])).toEqual(['2', '3']);
      // Astral characters are two units each, as in `text.length`.
      await store.conversations.record('chat:oc_2', [{ role: 'user', text: '😀'.repeat(7_000) }]);
      await store.conversations.record('chat:oc_2', [{ role: 'user', text: '😀'.repeat(6_000) }]);
      expect((await store.conversations.history('chat:oc_2')).map((t) => t.text.length)).toEqual([12_000]);
    });

    it('does not remember a user message twice (an answer repeated after a crash)', async () => {
      const store = await open();
      await store.conversations.record('chat:oc_1', exchange(1));
      await store.conversations.record('chat:oc_1', [{ role: 'user', text: 'question 1 again', messageId: 'om_q1' }]);
      expect(await store.conversations.history('chat:oc_1')).toEqual([
        { role: 'user', text: 'question 1' },
        { role: 'assistant', text: 'answer 1' },
      ]);
    });

    it('knows which messages, the user’s and the replies, are part of the conversation', async () => {
      const store = await open();
      await store.conversations.record('chat:oc_1', exchange(1));
      expect(await store.conversations.includes('chat:oc_1', 'om_q1')).toBe(true);
      expect(await store.conversations.includes('chat:oc_1', 'om_a1')).toBe(true);
      expect(await store.conversations.includes('chat:oc_1', 'om_other')).toBe(false);
      expect(await store.conversations.includes('chat:oc_2', 'om_q1')).toBe(false);
    });

    it('forgets the conversation on clear, and remembers afresh after it', async () => {
      const store = await open();
      await store.conversations.record('chat:oc_1', exchange(1));
      await store.conversations.record('thread:omt_1', exchange(2));
      await store.conversations.clear('chat:oc_1');
      expect(await store.conversations.history('chat:oc_1')).toEqual([]);
      expect(await (await open()).conversations.history('chat:oc_1')).toEqual([]);
      await store.conversations.record('chat:oc_1', exchange(1));
      expect(await store.conversations.history('chat:oc_1')).toHaveLength(2);
      expect(await store.conversations.history('thread:omt_1')).toHaveLength(2);
    });

    it('takes calls on one conversation in the order they were made, even all at once', async () => {
      const store = await open();
      const calls: Array<Promise<void>> = [];
      for (let n = 1; n <= 5; n++) calls.push(store.conversations.record('chat:oc_1', exchange(n)));
      calls.push(store.conversations.clear('chat:oc_1'));
      for (let n = 6; n <= 9; n++) calls.push(store.conversations.record('chat:oc_1', exchange(n)));
      await Promise.all(calls);
      const texts = (await store.conversations.history('chat:oc_1')).map((t) => t.text);
      expect(texts).toEqual([6, 7, 8, 9].flatMap((n) => [`question ${n}`, `answer ${n}`]));
    });

    it('keeps the conversation when the store is opened again', async () => {
      await (await open()).conversations.record('chat:oc_1', exchange(1));
      expect(await (await open()).conversations.history('chat:oc_1')).toHaveLength(2);
    });
  });

  describe('the bot’s record', () => {
    it('takes an update at once in current, and gives a copy', async () => {
      const store = await open();
      store.state.update({ lastMessageAt: 5, botTurns: { oc_1: 2 } });
      const current = store.state.current;
      expect(current).toEqual({ lastMessageAt: 5, botTurns: { oc_1: 2 } });
      current.botTurns.oc_1 = 99;
      expect(store.state.current.botTurns.oc_1).toBe(2);
    });

    it('has everything updated on disk once flush resolves: a store opened again reads it', async () => {
      const store = await open();
      const view = {
        requestId: 'r1',
        tool: 'shell',
        title: 'Run ls',
        detail: 'ls',
        askerOpenId: 'ou_1',
        fromGroup: false,
        alwaysAllowOffered: false,
      };
      const approvalCards = [{ requestId: 'r1', cardId: 'c1', createdAt: 3, view }];
      store.state.update({ lastMessageAt: 5, botTurns: { oc_1: 2, oc_2: 1 } });
      store.state.update({ approvalCards });
      store.state.update({ botTurns: { oc_1: 3 } });
      await store.state.flush();
      expect((await open()).state.current).toEqual({ lastMessageAt: 5, botTurns: { oc_1: 3 }, approvalCards });
    });

    it('writes an update by itself within about a second', async () => {
      const store = await open();
      store.state.update({ lastMessageAt: 7 });
      await vi.waitFor(async () => expect((await open()).state.current.lastMessageAt).toBe(7), { timeout: 3_000, interval: 300 });
    });

    it.runIf(backend.shared)('keeps the loop-guard counts of two processes that counted different chats', async () => {
      const [a, b] = [await open(), await open()];
      a.state.update({ botTurns: { oc_a: 2 }, lastMessageAt: 10 });
      b.state.update({ botTurns: { oc_b: 3 }, lastMessageAt: 9 });
      await Promise.all([a.state.flush(), b.state.flush()]);
      a.state.update({ botTurns: { oc_a: 4 } });
      await a.state.flush();
      expect((await open()).state.current).toEqual({ lastMessageAt: 10, botTurns: { oc_a: 4, oc_b: 3 } });
    });
  });

  describe('stop signals', () => {
    it('calls a watcher once for a request made while it watches, and no more once it stopped watching', async () => {
      const store = await open();
      const onStop = vi.fn();
      const other = vi.fn();
      const unwatch = store.stops.watch('om_1', onStop);
      store.stops.watch('om_2', other);
      await store.stops.request('om_1');
      // A request comes back over the channel too: still once.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(onStop).toHaveBeenCalledTimes(1);
      unwatch();
      await store.stops.request('om_1');
      expect(onStop).toHaveBeenCalledTimes(1);
      expect(other).not.toHaveBeenCalled();
    });

    it('reaches a run in the same process at once, before the request has resolved', async () => {
      const store = await open();
      const onStop = vi.fn();
      store.stops.watch('om_1', onStop);
      const requested = store.stops.request('om_1');
      expect(onStop).toHaveBeenCalledTimes(1);
      await requested;
    });

    it.runIf(backend.shared)('stops a run that starts watching just after the request', async () => {
      const store = await open();
      await store.stops.request('om_1');
      const onStop = vi.fn();
      store.stops.watch('om_1', onStop);
      await vi.waitFor(() => expect(onStop).toHaveBeenCalledTimes(1));
    });

    it.runIf(backend.shared)('carries a request to a second replica, watching before or after it', async () => {
      const [first, second] = [await open(), await open()];
      const before = vi.fn();
      second.stops.watch('om_1', before);
      await first.stops.request('om_1');
      await vi.waitFor(() => expect(before).toHaveBeenCalledTimes(1));
      const after = vi.fn();
      second.stops.watch('om_1', after);
      await vi.waitFor(() => expect(after).toHaveBeenCalledTimes(1));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(before).toHaveBeenCalledTimes(1);
    });
  });
});
