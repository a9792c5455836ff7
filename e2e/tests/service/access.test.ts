import { afterEach, describe, expect, it } from 'vitest';
import { APP, postText, ServiceHarness } from '../../support/service-harness';

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

  it('applies changed access rules to the next message without dropping the connection or restarting the bot', async () => {
    h = await ServiceHarness.create();
    const agent = await h.createModelAgent();
    const view = await h.createBot(agent.id);
    await h.waitForEvent('bot.status', (s) => s.botId === view.id && s.state === 'connected');
    await h.lark.waitForConnections(APP.appId);
    const [connection] = h.lark.connections(APP.appId);
    const before = h.lark.pushMessage(APP.appId, { chatType: 'p2p', senderOpenId: BOB.openId, text: 'open door' });
    expect(postText((await h.lark.waitForMessages({ replyTo: before.messageId }))[0]!.content)).toBe('You said: open door');
    const statusesBefore = h.events('bot.status').length;

    await h.call('bots.update', { id: view.id, access: { dm: 'allowlist', dmAllow: [ALICE.openId] } });
    const bob = h.lark.pushMessage(APP.appId, { chatType: 'p2p', senderOpenId: BOB.openId, text: 'still me' });
    await h.lark.waitForAck(bob.push.pushId);
    const alice = h.lark.pushMessage(APP.appId, { chatType: 'p2p', senderOpenId: ALICE.openId, text: 'allowed' });
    expect(postText((await h.lark.waitForMessages({ replyTo: alice.messageId }))[0]!.content)).toBe('You said: allowed');
    expect(h.lark.sentMessages({ replyTo: bob.messageId })).toHaveLength(0);
    expect(h.logger.records.find((r) => r.event === 'message.ignored' && r.messageId === bob.messageId)).toMatchObject({
      rule: 'dm_not_allowed',
    });
    // The same long connection throughout, and no connecting/stopped flicker in the status.
    expect(h.lark.connections(APP.appId).map((c) => c.id)).toEqual([connection!.id]);
    expect(
      h
        .events('bot.status')
        .slice(statusesBefore)
        .map((s) => s.state),
    ).not.toContain('connecting');
    expect(h.logger.records.filter((r) => r.event === 'bot.stopped')).toHaveLength(0);

    // And back: Bob is answered again, still on the same connection.
    await h.call('bots.update', { id: view.id, access: { dm: 'open' } });
    const again = h.lark.pushMessage(APP.appId, { chatType: 'p2p', senderOpenId: BOB.openId, text: 'back' });
    expect(postText((await h.lark.waitForMessages({ replyTo: again.messageId }))[0]!.content)).toBe('You said: back');
    expect(h.lark.connections(APP.appId).map((c) => c.id)).toEqual([connection!.id]);
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

  it('finds a person in a nested sub-department by name, once even when listed twice', async () => {
    h = await ServiceHarness.create();
    const agent = await h.createModelAgent();
    const view = await h.createBot(agent.id);
    h.lark.setContactDepartments(APP.appId, [
      { departmentId: 'od_eng', parentId: '0', name: 'Engineering' },
      { departmentId: 'od_infra', parentId: 'od_eng', name: 'Infra' },
      { departmentId: 'od_db', parentId: 'od_infra', name: 'Databases' },
    ]);
    const dana = { openId: 'ou_dana0000000000000000000000001', name: 'Dana Zhou' };
    h.lark.setContactUsers(APP.appId, [
      BOB,
      { ...dana, departmentId: 'od_db' },
      { ...dana, departmentId: 'od_eng' },
      { ...ALICE, departmentId: 'od_infra' },
    ]);
    expect(await h.call('bots.searchPeople', { id: view.id, query: 'dana' })).toEqual([dana]);
    expect(await h.call('bots.searchPeople', { id: view.id, query: 'ALICE' })).toEqual([ALICE]);
    expect(await h.call('bots.searchPeople', { id: view.id, query: '' })).toHaveLength(3);
    expect(h.lark.requests({ path: '/open-apis/contact/v3/departments/0/children' })[0]?.query).toMatchObject({
      fetch_child: 'true',
      department_id_type: 'open_department_id',
    });
  });

  it('searches the root department alone when the department listing is refused for lack of department authority', async () => {
    h = await ServiceHarness.create();
    const agent = await h.createModelAgent();
    const view = await h.createBot(agent.id);
    h.lark.setContactDepartments(APP.appId, [{ departmentId: 'od_eng', parentId: '0', name: 'Engineering' }]);
    h.lark.setContactUsers(APP.appId, [ALICE, { ...BOB, departmentId: 'od_eng' }]);
    h.lark.failNext(
      { path: /\/contact\/v3\/departments\/0\/children$/ },
      { status: 403, body: { code: 40004, msg: 'no dept authority error' } },
    );
    expect(await h.call('bots.searchPeople', { id: view.id, query: '' })).toEqual([ALICE]);
  });

  it('stops listing departments once the result cap is reached', async () => {
    h = await ServiceHarness.create();
    const agent = await h.createModelAgent();
    const view = await h.createBot(agent.id);
    const departments = Array.from({ length: 5 }, (_, i) => ({ departmentId: `od_team${i}`, parentId: '0', name: `Team ${i}` }));
    h.lark.setContactDepartments(APP.appId, departments);
    h.lark.setContactUsers(
      APP.appId,
      departments.flatMap((d, i) =>
        Array.from({ length: 30 }, (_, j) => ({
          openId: `ou_p${i}_${String(j).padStart(26, '0')}`,
          name: `Person ${i}-${j}`,
          departmentId: d.departmentId,
        })),
      ),
    );
    const people = await h.call('bots.searchPeople', { id: view.id, query: 'person' });
    expect(people).toHaveLength(50);
    expect(new Set(people.map((p) => p.openId)).size).toBe(50);
    // Root (empty), team 0 (30) and team 1 (20 more) reach the cap: teams 2–4 are never listed.
    const listed = h.lark.requests({ path: '/open-apis/contact/v3/users/find_by_department' }).map((r) => r.query.department_id);
    expect(listed).toEqual(['0', 'od_team0', 'od_team1']);
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
