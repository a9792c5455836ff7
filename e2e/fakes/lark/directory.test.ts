import { describe, expect, it } from 'vitest';
import { APP, codeOf, newClient, startFake } from './sdk-test-kit.js';

// People in the contact range (lark/README.md §5.10) and the groups the bot is in, driven through the official SDK.

const PEOPLE = Array.from({ length: 7 }, (_, i) => ({ openId: `ou_person${String(i).padStart(24, '0')}`, name: `Person ${i}` }));

describe('fake-lark directory', () => {
  it('lists users of the root department with paging and the documented item shape', async () => {
    const fake = await startFake();
    fake.setContactUsers(APP.appId, [
      ...PEOPLE,
      { openId: 'ou_alice0000000000000000000000001', name: '爱丽丝', enName: 'Alice', avatarUrl: 'https://example.test/a.png' },
    ]);
    const client = newClient(fake);
    const first = await client.contact.v3.user.findByDepartment({ params: { department_id: '0', user_id_type: 'open_id', page_size: 5 } });
    expect(first).toMatchObject({ code: 0, data: { has_more: true, page_token: '5' } });
    expect(first.data?.items?.[0]).toMatchObject({ open_id: PEOPLE[0]!.openId, name: 'Person 0' });
    const second = await client.contact.v3.user.findByDepartment({
      params: { department_id: '0', user_id_type: 'open_id', page_size: 5, page_token: first.data?.page_token },
    });
    expect(second.data?.has_more).toBe(false);
    expect(second.data?.items?.map((u) => u.name)).toEqual(['Person 5', 'Person 6', '爱丽丝']);
    expect(second.data?.items?.[2]).toMatchObject({ en_name: 'Alice', avatar: { avatar_72: 'https://example.test/a.png' } });
    const other = await client.contact.v3.user.findByDepartment({ params: { department_id: 'od_other', user_id_type: 'open_id' } });
    expect(other.data?.items).toEqual([]);
  });

  it('lists sub-departments (direct or all descendants) and the users of each department', async () => {
    const fake = await startFake();
    fake.setContactDepartments(APP.appId, [
      { departmentId: 'od_eng', parentId: '0', name: 'Engineering' },
      { departmentId: 'od_sales', parentId: '0', name: 'Sales' },
      { departmentId: 'od_infra', parentId: 'od_eng', name: 'Infra' },
      { departmentId: 'od_db', parentId: 'od_infra', name: 'Databases' },
    ]);
    fake.setContactUsers(APP.appId, [PEOPLE[0]!, { ...PEOPLE[1]!, departmentId: 'od_db' }, { ...PEOPLE[2]!, departmentId: 'od_db' }]);
    const client = newClient(fake);
    const children = (department_id: string, params: { fetch_child?: boolean; page_size?: number; page_token?: string } = {}) =>
      client.contact.v3.department.children({ path: { department_id }, params: { department_id_type: 'open_department_id', ...params } });

    const direct = await children('0');
    expect(direct).toMatchObject({ code: 0, data: { has_more: false } });
    expect(direct.data?.items?.map((d) => d.open_department_id)).toEqual(['od_eng', 'od_sales']);
    expect(direct.data?.items?.[0]).toMatchObject({ name: 'Engineering', parent_department_id: '0', status: { is_deleted: false } });

    const first = await children('0', { fetch_child: true, page_size: 3 });
    expect(first).toMatchObject({ code: 0, data: { has_more: true, page_token: '3' } });
    expect(first.data?.items?.map((d) => d.open_department_id)).toEqual(['od_eng', 'od_sales', 'od_infra']);
    const rest = await children('0', { fetch_child: true, page_size: 3, page_token: first.data?.page_token });
    expect(rest.data).toMatchObject({
      has_more: false,
      items: [{ open_department_id: 'od_db', parent_department_id: 'od_infra', member_count: 2 }],
    });
    expect((await children('od_infra', { fetch_child: true })).data?.items?.map((d) => d.open_department_id)).toEqual(['od_db']);
    expect((await children('od_sales')).data?.items).toEqual([]);

    const users = (department_id: string) =>
      client.contact.v3.user.findByDepartment({
        params: { department_id, department_id_type: 'open_department_id', user_id_type: 'open_id' },
      });
    expect((await users('0')).data?.items?.map((u) => u.name)).toEqual(['Person 0']);
    expect((await users('od_db')).data?.items).toMatchObject([{ name: 'Person 1', department_ids: ['od_db'] }, { name: 'Person 2' }]);
    expect((await users('od_eng')).data?.items).toEqual([]);

    fake.setGrantedScopes(APP.appId, ['im:message']);
    expect(await codeOf(children('0', { fetch_child: true }))).toBe(99991672);
    fake.setGrantedScopes(APP.appId, undefined);
    fake.setContactRangeEmpty(APP.appId);
    expect(await codeOf(children('0'))).toBe(41050);
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
    expect(res).toMatchObject({
      code: 0,
      data: { has_more: true, items: [{ chat_id: 'oc_a', name: 'Release crew', chat_status: 'normal' }] },
    });
    const next = await client.im.v1.chat.list({ params: { page_size: 1, page_token: res.data?.page_token } });
    expect(next.data?.items?.map((c) => c.chat_id)).toEqual(['oc_b']);
  });
});
