import { afterEach, describe, expect, it } from 'vitest';
import type { BacklogPolicy } from '@shared/config-schema';
import type { PushMessageInput } from '../../fakes/lark';
import { sentTimeText } from '@core/runtime/intake/backlog';
import { APP, postText, RuntimeHarness } from '../../support/runtime-harness';

let h: RuntimeHarness;
afterEach(async () => {
  await h?.dispose();
});

const HALF_AN_HOUR_AGO = () => Date.now() - 30 * 60_000;
// The time as the note says it, with the date when it was another day (just after midnight).
const hhmm = (at: number) => sentTimeText(at, Date.now());

async function startWith(backlog?: BacklogPolicy): Promise<void> {
  h = await RuntimeHarness.create();
  await h.start(h.config([h.bot({ agentId: 'echo', ...(backlog ? { backlog } : {}) })]));
  await h.lark.waitForConnections(APP.appId);
}

async function push(m: PushMessageInput): Promise<string> {
  const { messageId, push: record } = h.lark.pushMessage(APP.appId, m);
  await h.lark.waitForAck(record.pushId);
  return messageId;
}

async function replyTo(messageId: string): Promise<string> {
  const [reply] = await h.lark.waitForMessages({ replyTo: messageId });
  return postText(reply!.content);
}

describe('messages that arrive late (the night with the lid closed)', () => {
  it('note (the default): answered, saying first when it was asked; a fresh message is answered as usual', async () => {
    await startWith();
    const at = HALF_AN_HOUR_AGO();
    const late = await push({ chatType: 'p2p', text: 'still there?', createTime: at });
    expect(await replyTo(late)).toBe(`_You asked this at ${hhmm(at)}, while I was offline._\n\nstill there?`);
    const fresh = await push({ chatType: 'p2p', text: 'and now?' });
    expect(await replyTo(fresh)).toBe('and now?');
  });

  it('answer: late messages are answered as if they were new', async () => {
    await startWith('answer');
    const late = await push({ chatType: 'p2p', text: 'old question', createTime: HALF_AN_HOUR_AGO() });
    expect(await replyTo(late)).toBe('old question');
  });

  it('skip: none is answered, and each chat is told once to ask again', async () => {
    await startWith('skip');
    const first = await push({ chatType: 'p2p', chatId: 'oc_dm_a', text: 'one', createTime: HALF_AN_HOUR_AGO() });
    const second = await push({ chatType: 'p2p', chatId: 'oc_dm_a', text: 'two', createTime: HALF_AN_HOUR_AGO() });
    const other = await push({ chatType: 'p2p', chatId: 'oc_dm_b', text: 'three', createTime: HALF_AN_HOUR_AGO() });
    expect(await replyTo(first)).toBe('I was offline — please ask again if it still matters.');
    expect(await replyTo(other)).toBe('I was offline — please ask again if it still matters.');
    const fresh = await push({ chatType: 'p2p', chatId: 'oc_dm_a', text: 'now then' });
    expect(await replyTo(fresh)).toBe('now then');
    expect(h.lark.sentMessages({ replyTo: second })).toHaveLength(0);
    expect(h.lark.sentMessages({ chatId: 'oc_dm_a' })).toHaveLength(2);
    expect(h.events('message.ignored').filter((e) => e.rule === 'backlog')).toHaveLength(3);
  });

  it('hold: kept, counted on the status, listed, and answered or skipped by the owner, also after a restart', async () => {
    await startWith('hold');
    const at = HALF_AN_HOUR_AGO();
    const a = await push({ chatType: 'p2p', chatId: 'oc_dm_a', text: 'please answer me', createTime: at });
    const b = await push({ chatType: 'p2p', chatId: 'oc_dm_b', text: 'never mind', createTime: at });
    await expect.poll(() => h.manager.statuses()[0]?.held).toBe(2);
    expect(h.lark.sentMessages({ replyTo: a })).toHaveLength(0);

    // A restart keeps them held, not answered.
    await h.manager.stopAll(1000);
    await h.start(h.config([h.bot({ agentId: 'echo', backlog: 'hold' })]));
    await h.lark.waitForConnections(APP.appId);
    await expect.poll(() => h.manager.statuses()[0]?.held).toBe(2);
    const held = await h.manager.held('team-bot')!.list();
    expect(held).toEqual([
      expect.objectContaining({ messageId: a, chatId: 'oc_dm_a', preview: 'please answer me', sentAt: at }),
      expect.objectContaining({ messageId: b, chatId: 'oc_dm_b', preview: 'never mind', sentAt: at }),
    ]);

    expect(await h.manager.held('team-bot')!.resolve([a], 'answer')).toBe(1);
    expect(await replyTo(a)).toBe(`_You asked this at ${hhmm(at)}, while I was offline._\n\nplease answer me`);
    expect(await h.manager.held('team-bot')!.resolve([b], 'skip')).toBe(1);
    await expect.poll(() => h.manager.statuses()[0]?.held).toBe(0);
    expect(await h.manager.held('team-bot')!.list()).toEqual([]);
    expect(h.lark.sentMessages({ replyTo: b })).toHaveLength(0);
  });
});
