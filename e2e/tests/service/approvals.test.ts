import { afterEach, describe, expect, it } from 'vitest';
import { FakeKocoro } from '../../fakes/kocoro/server';
import { APP, ServiceHarness } from '../../support/service-harness';

let h: ServiceHarness | undefined;
let kocoro: FakeKocoro | undefined;
afterEach(async () => {
  await h?.dispose();
  await kocoro?.close();
  h = undefined;
  kocoro = undefined;
});

const ASKER = 'ou_asker000000000001';

describe('tool approvals through the app', () => {
  it('a request is announced, listed and decided once; the settings are saved and shown', async () => {
    kocoro = await FakeKocoro.start({
      tools: [{ tool: 'bash', args: { command: 'rm notes.txt' }, approval: true }],
      replyInDoneOnly: true,
    });
    h = await ServiceHarness.create();
    const agent = await h.call('agents.create', {
      name: 'Kocoro',
      provider: { type: 'kocoro', url: kocoro.url, stateDir: kocoro.stateDir, agent: 'default' },
    });
    const bot = await h.createBot(agent.id, { approvers: ['ou_approver000000001'], usageFooter: true });
    expect(bot).toMatchObject({ approvals: 'chat', approvers: ['ou_approver000000001'], usageFooter: true });
    expect(await h.failure('bots.update', { id: bot.id, approvers: ['alice'] })).toMatchObject({
      code: 'invalid_input',
      field: 'approvers.0',
      message: 'approvers.0: must be open_ids (ou_…)',
    });
    const updated = await h.call('bots.update', { id: bot.id, approvals: 'dm', approvers: [] });
    expect(updated).toMatchObject({ approvals: 'dm', approvers: [], usageFooter: true });
    await h.waitForEvent('bot.status', (s) => s.botId === bot.id && s.state === 'connected');
    await h.lark.waitForConnections(APP.appId);

    const dm = h.lark.pushMessage(APP.appId, { chatType: 'p2p', senderOpenId: ASKER, text: 'delete my notes' });
    const changed = await h.waitForEvent('approvals.changed', (e) => e.added !== undefined);
    expect(changed.added).toMatchObject({ botId: bot.id, tool: 'bash', askerOpenId: ASKER, question: 'delete my notes', chatType: 'p2p' });
    const [pending] = await h.call('approvals.list', {});
    expect(pending).toMatchObject({ requestId: kocoro.approvals[0]!.requestId, detail: 'rm notes.txt', alwaysAllowOffered: true });

    expect(await h.call('approvals.decide', { botId: bot.id, requestId: pending!.requestId, decision: 'deny' })).toEqual({ decided: true });
    expect(kocoro.approvals[0]!.decision).toBe('deny');
    expect(await h.failure('approvals.decide', { botId: bot.id, requestId: pending!.requestId, decision: 'allow' })).toMatchObject({
      code: 'not_found',
      message: 'This request was already decided or has ended.',
    });
    expect(await h.failure('approvals.decide', { botId: 'nobody', requestId: 'apr_1', decision: 'allow' })).toMatchObject({
      code: 'not_found',
      field: 'botId',
    });
    await h.lark.waitForMessages({ replyTo: dm.messageId }, 2);
    expect(await h.call('approvals.list', {})).toEqual([]);
  });
});
