import { afterEach, describe, expect, it } from 'vitest';
import { APP, postText, ServiceHarness } from './service-harness';

let h: ServiceHarness;
afterEach(async () => {
  await h?.dispose();
});

const ALICE = { openId: 'ou_alice0000000000000000000000001', name: 'Alice Wang', avatarUrl: 'https://example.test/alice.png' };
const BOB = { openId: 'ou_bob0000000000000000000000000001', name: 'Bob Li' };

describe('bot access in the UI', () => {
  it('shows the defaults when access was never set, saves changes and applies them to the running bot', async () => {
    h = await ServiceHarness.create();
    const agent = await h.createModelAgent();
    const view = await h.createBot(agent.id);
    expect(view.access).toEqual({ dm: 'open', dmAllow: [], group: 'mention', groupAllow: [], bots: 'ignore' });

    const updated = await h.call('bots.update', { id: view.id, access: { dm: 'allowlist', dmAllow: [ALICE.openId, ALICE.openId, ' '] } });
    expect(updated.access).toEqual({ dm: 'allowlist', dmAllow: [ALICE.openId], group: 'mention', groupAllow: [], bots: 'ignore' });
    // Only the fields given change.
    const again = await h.call('bots.update', { id: view.id, access: { group: 'all' } });
    expect(again.access).toMatchObject({ dm: 'allowlist', dmAllow: [ALICE.openId], group: 'all' });

    await h.waitForEvent('bot.status', (s) => s.botId === view.id && s.state === 'connected');
    await h.lark.waitForConnections(APP.appId);
    const bob = h.lark.pushMessage(APP.appId, { chatType: 'p2p', senderOpenId: BOB.openId, text: 'hi' });
    await h.lark.waitForAck(bob.push.pushId);
    const alice = h.lark.pushMessage(APP.appId, { chatType: 'p2p', senderOpenId: ALICE.openId, text: 'hello' });
    const [reply] = await h.lark.waitForMessages({ replyTo: alice.messageId });
    expect(postText(reply!.content)).toBe('You said: hello');
    expect(h.lark.sentMessages({ replyTo: bob.messageId })).toHaveLength(0);
  });

  it('creates a bot with access rules', async () => {
    h = await ServiceHarness.create();
    const agent = await h.createModelAgent();
    const view = await h.createBot(agent.id, { access: { group: 'off', bots: 'mention' } });
    expect(view.access).toEqual({ dm: 'open', dmAllow: [], group: 'off', groupAllow: [], bots: 'mention' });
  });

  it('finds people and groups by name through the bot credentials', async () => {
    h = await ServiceHarness.create();
    const agent = await h.createModelAgent();
    const view = await h.createBot(agent.id);
    h.lark.setContactUsers(APP.appId, [ALICE, BOB, { openId: 'ou_carol000000000000000000000001', name: 'Carol' }]);
    h.lark.setBotChats(APP.appId, [
      { chatId: 'oc_release', name: 'Release crew' },
      { chatId: 'oc_design', name: 'Design review' },
    ]);
    expect(await h.call('bots.searchPeople', { id: view.id, query: 'ali' })).toEqual([ALICE]);
    expect(await h.call('bots.searchPeople', { id: view.id, query: '' })).toHaveLength(3);
    expect(await h.call('bots.searchChats', { id: view.id, query: 'REV' })).toEqual([{ chatId: 'oc_design', name: 'Design review' }]);
    expect(await h.failure('bots.searchChats', { id: 'nope', query: '' })).toMatchObject({ code: 'not_found' });
  });

  it('says which permission is missing when the platform refuses the contact or chat API', async () => {
    h = await ServiceHarness.create();
    const agent = await h.createModelAgent();
    const view = await h.createBot(agent.id);
    h.lark.setGrantedScopes(APP.appId, ['im:message', 'im:message:send_as_bot']);
    const people = await h.failure('bots.searchPeople', { id: view.id, query: 'a' });
    expect(people).toMatchObject({ code: 'unauthorized' });
    expect(people.message).toMatch(/lacks the contact permission \(scope contact:contact\.base:readonly\)/);
    expect(people.message).toContain(`/app/${APP.appId}/auth?q=contact:contact.base:readonly`);
    const chats = await h.failure('bots.searchChats', { id: view.id, query: '' });
    expect(chats).toMatchObject({ code: 'unauthorized' });
    expect(chats.message).toMatch(/scope im:chat:readonly/);

    h.lark.setGrantedScopes(APP.appId, undefined);
    h.lark.setContactRangeEmpty(APP.appId);
    const range = await h.failure('bots.searchPeople', { id: view.id, query: '' });
    expect(range).toMatchObject({ code: 'unauthorized' });
    expect(range.message).toMatch(/contact range/);
  });
});
