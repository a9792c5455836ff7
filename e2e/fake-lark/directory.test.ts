import { describe, expect, it } from 'vitest';
import { APP, codeOf, newClient, startFake } from './sdk-test-kit.js';

// People in the contact range (§5.10) and the groups the bot is in, driven through the official SDK.

const PEOPLE = Array.from({ length: 7 }, (_, i) => ({ openId: `ou_person${String(i).padStart(24, '0')}`, name: `Person ${i}` }));

describe('fake-lark directory', () => {
  it('lists users of the root department with paging and the documented item shape', async () => {
    const fake = await startFake();
    fake.setContactUsers(APP.appId, [...PEOPLE, { openId: 'ou_alice0000000000000000000000001', name: '爱丽丝', enName: 'Alice', avatarUrl: 'https://example.test/a.png' }]);
    const client = newClient(fake);
    const first = await client.contact.v3.user.findByDepartment({ params: { department_id: '0', user_id_type: 'open_id', page_size: 5 } });
    expect(first).toMatchObject({ code: 0, data: { has_more: true, page_token: '5' } });
    expect(first.data?.items?.[0]).toMatchObject({ open_id: PEOPLE[0]!.openId, name: 'Person 0' });
    const second = await client.contact.v3.user.findByDepartment({ params: { department_id: '0', user_id_type: 'open_id', page_size: 5, page_token: first.data?.page_token } });
    expect(second.data?.has_more).toBe(false);
    expect(second.data?.items?.map((u) => u.name)).toEqual(['Person 5', 'Person 6', '爱丽丝']);
    expect(second.data?.items?.[2]).toMatchObject({ en_name: 'Alice', avatar: { avatar_72: 'https://example.test/a.png' } });
    const other = await client.contact.v3.user.findByDepartment({ params: { department_id: 'od_other', user_id_type: 'open_id' } });
    expect(other.data?.items).toEqual([]);
  });

  it('answers 99991672 without a contact scope and 41050 when the contact range is empty', async () => {
    const fake = await startFake();
    const client = newClient(fake);
    const list = () => client.contact.v3.user.findByDepartment({ params: { department_id: '0', user_id_type: 'open_id' } });
    fake.setContactRangeEmpty(APP.appId);
    expect(await codeOf(list())).toBe(41050);
    fake.setContactRangeEmpty(APP.appId, false);
    fake.setGrantedScopes(APP.appId, ['im:message']);
    expect(await codeOf(list())).toBe(99991672);
    expect(await codeOf(client.im.v1.chat.list({ params: {} }))).toBe(99991672);
  });

  it('lists the groups the bot is in', async () => {
    const fake = await startFake();
    fake.setBotChats(APP.appId, [
      { chatId: 'oc_a', name: 'Release crew' },
      { chatId: 'oc_b', name: 'Design' },
    ]);
    const client = newClient(fake);
    const res = await client.im.v1.chat.list({ params: { page_size: 1 } });
    expect(res).toMatchObject({ code: 0, data: { has_more: true, items: [{ chat_id: 'oc_a', name: 'Release crew', chat_status: 'normal' }] } });
    const next = await client.im.v1.chat.list({ params: { page_size: 1, page_token: res.data?.page_token } });
    expect(next.data?.items?.map((c) => c.chat_id)).toEqual(['oc_b']);
  });
});
