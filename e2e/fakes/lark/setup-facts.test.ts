import { describe, expect, it, vi } from 'vitest';
import * as lark from '@larksuiteoapi/node-sdk';
import { APP, caught, codeOf, newClient, onCleanup, silentLogger, startFake } from './sdk-test-kit.js';
import type { FakeLarkPlatform } from './index.js';

// What an app can read about its own setup (lark/README.md §5.12, §5.15), driven through the official SDK:
// its scopes, its own info (event and callback modes, subscriptions, versions) and its long connections.

const getMe = (client: lark.Client, lang: 'zh_cn' | 'en_us' | 'ja_jp' = 'en_us') =>
  client.application.v6.application.get({ path: { app_id: 'me' }, params: { lang } });

function startWs(fake: FakeLarkPlatform): lark.WSClient {
  const ws = new lark.WSClient({
    appId: APP.appId,
    appSecret: APP.appSecret,
    domain: fake.url,
    loggerLevel: lark.LoggerLevel.fatal,
    logger: silentLogger,
  });
  onCleanup(() => ws.close({ force: true }));
  void ws.start({ eventDispatcher: new lark.EventDispatcher({ loggerLevel: lark.LoggerLevel.fatal, logger: silentLogger }) });
  return ws;
}

describe('fake-lark scope status (application.v6.scope.list)', () => {
  it('lists the requested scopes with grant_status 1/2 and scope_type, as the SDK typings read them', async () => {
    const fake = await startFake();
    fake.setGrantedScopes(APP.appId, ['im:message', 'application:application:self_manage']);
    const list = await newClient(fake).application.v6.scope.list();
    expect(list.code).toBe(0);
    const scopes = list.data?.scopes ?? [];
    expect(scopes).toContainEqual({ scope_name: 'im:message', grant_status: 1, scope_type: 'tenant' });
    expect(scopes).toContainEqual({ scope_name: 'cardkit:card:write', grant_status: 2, scope_type: 'tenant' });
    // A scope granted beyond the product's set is listed too.
    expect(scopes).toContainEqual({ scope_name: 'application:application:self_manage', grant_status: 1, scope_type: 'tenant' });
  });
});

describe('fake-lark app info (application.v6.application.get, app_id "me")', () => {
  it('answers the documented fields: modes, subscriptions, versions, owner', async () => {
    const fake = await startFake();
    const client = newClient(fake);
    const res = await getMe(client);
    expect(res.code).toBe(0);
    const app = res.data?.app;
    expect(app).toMatchObject({
      app_id: APP.appId,
      app_name: APP.botName,
      status: 1,
      scene_type: 0,
      online_version_id: expect.stringMatching(/^oav_[0-9a-f]{32}$/),
      owner: { type: 2, owner_id: expect.stringMatching(/^ou_/) },
      event: { subscription_type: 'websocket', subscribed_events: ['im.message.receive_v1'] },
      callback_info: { callback_type: 'websocket', subscribed_callbacks: ['card.action.trigger'] },
      secret: APP.appSecret,
      i18n: [{ i18n_key: 'en_us', name: APP.botName }],
    });
    expect(app?.creator_id).toBe(app?.owner?.owner_id);
    expect(app?.unaudit_version_id).toBeUndefined();
    expect(app?.scopes).toContainEqual({ scope: 'im:message', token_types: ['tenant'] });
    // The app's own id reads the same app; another app's is refused, a malformed one is invalid.
    const byId = await client.application.v6.application.get({ path: { app_id: APP.appId }, params: { lang: 'zh_cn' } });
    expect(byId.data?.app?.app_id).toBe(APP.appId);
    const other = (app_id: string) => client.application.v6.application.get({ path: { app_id }, params: { lang: 'zh_cn' } });
    expect(await codeOf(other('cli_fedcba9876543210'))).toBe(210508);
    expect(await codeOf(other('nope'))).toBe(210503);
  });

  it('reflects what a test set: webhook mode, missing subscriptions, never published, one in review', async () => {
    const fake = await startFake();
    fake.setAppInfo(APP.appId, {
      eventMode: 'webhook',
      eventRequestUrl: 'https://bot.example.com/lark/events',
      subscribedEvents: [],
      callbackMode: null,
      subscribedCallbacks: [],
      onlineVersionId: null,
      unauditVersionId: 'oav_review0000000000000000000000001',
      status: 2,
    });
    const app = (await getMe(newClient(fake), 'zh_cn')).data?.app;
    expect(app?.event).toEqual({ subscription_type: 'webhook', request_url: 'https://bot.example.com/lark/events', subscribed_events: [] });
    expect(app?.callback_info).toEqual({ subscribed_callbacks: [] });
    expect(app?.online_version_id).toBeUndefined();
    expect(app).toMatchObject({ unaudit_version_id: 'oav_review0000000000000000000000001', status: 2 });
    // setAppInfo patches: fields not given stay as they were.
    fake.setAppInfo(APP.appId, { subscribedEvents: ['im.message.receive_v1'] });
    expect(fake.appInfo(APP.appId)).toMatchObject({
      eventMode: 'webhook',
      subscribedEvents: ['im.message.receive_v1'],
      onlineVersionId: null,
    });
  });

  it('needs lang (99992402 field validation failed) and one of its two scopes (99991672)', async () => {
    const fake = await startFake();
    const client = newClient(fake);
    const noLang = await caught(client.request({ method: 'GET', url: '/open-apis/application/v6/applications/me' }));
    expect(noLang.response?.status).toBe(400);
    expect(noLang.response?.data).toMatchObject({
      code: 99992402,
      msg: 'field validation failed',
      error: { field_violations: [{ field: 'lang', description: 'lang is required' }] },
    });
    const badLang = await caught(
      client.request({ method: 'GET', url: '/open-apis/application/v6/applications/me', params: { lang: 'fr_fr' } }),
    );
    expect(badLang.response?.data.code).toBe(99992402);

    fake.setGrantedScopes(APP.appId, ['im:message']);
    const denied = await caught(getMe(client));
    expect(denied.response?.status).toBe(400);
    expect(denied.response?.data.code).toBe(99991672);
    expect(denied.response?.data.error?.permission_violations).toEqual([
      { type: 'action_scope_required', subject: 'application:application:self_manage' },
      { type: 'action_scope_required', subject: 'admin:app.info:readonly' },
    ]);
    fake.setGrantedScopes(APP.appId, ['admin:app.info:readonly']);
    expect((await getMe(client)).code).toBe(0);
  });
});

describe('fake-lark long-connection count (event.v1.connection.get)', () => {
  it('counts the app’s real sockets plus the other clients a test set', async () => {
    const fake = await startFake();
    const client = newClient(fake);
    const count = async () => (await client.event.v1.connection.get()).data?.online_instance_cnt;
    expect(await client.event.v1.connection.get()).toEqual({ code: 0, msg: '', data: { online_instance_cnt: 0 } });

    const ws = startWs(fake);
    await fake.waitForConnections(APP.appId);
    expect(await count()).toBe(1);
    fake.setOtherConnections(APP.appId, 2);
    expect(await count()).toBe(3);
    // The second namespace the SDK generates for the same route.
    expect((await client.event.connection.get()).data?.online_instance_cnt).toBe(3);

    ws.close({ force: true });
    await vi.waitFor(() => expect(fake.connections(APP.appId)).toHaveLength(0));
    expect(await count()).toBe(2);
    expect(fake.requests({ path: '/open-apis/event/v1/connection' })).toHaveLength(5);
  });

  it('needs no scope and is limited to 10 calls a second', async () => {
    const fake = await startFake();
    fake.setGrantedScopes(APP.appId, []);
    const client = newClient(fake);
    for (let i = 0; i < 10; i++) expect((await client.event.v1.connection.get()).code).toBe(0);
    const limited = await caught(client.event.v1.connection.get());
    expect(limited.response?.status).toBe(429);
    expect(limited.response?.data.code).toBe(99991400);
    expect(limited.response?.headers['x-ogw-ratelimit-limit']).toBe('10');
  });
});
