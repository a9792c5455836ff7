import { Agent } from 'node:https';
import { describe, expect, it, vi } from 'vitest';
import * as lark from '@larksuiteoapi/node-sdk';
import { onCleanup, silentLogger, startFake } from './sdk-test-kit.js';
import { testCertificate } from './index.js';
import type { FakeLarkPlatform } from './index.js';

// The app-registration device flow behind the SDK's `registerApp` (lark/README.md §5.15), run with the real
// `registerApp` against the fake's HTTPS accounts hosts.

const NEW_APP = { appId: 'cli_00000000000000aa', appSecret: 'registered-secret', openId: 'ou_scanner000000000000000000000001' };

/**
 * `registerApp` always uses https through the SDK's exported `defaultHttpInstance` (an axios instance): trust
 * the test certificate on that instance only, for this test only.
 */
async function startAccounts(): Promise<{ fake: FakeLarkPlatform; domain: string; larkDomain: string }> {
  const tls = await testCertificate();
  const fake = await startFake({ accountsTls: tls });
  const defaults = (lark.defaultHttpInstance as unknown as { defaults: { httpsAgent?: unknown } }).defaults;
  const previous = defaults.httpsAgent;
  const agent = new Agent({ ca: tls.cert });
  defaults.httpsAgent = agent;
  onCleanup(() => {
    defaults.httpsAgent = previous;
    agent.destroy();
  });
  const hosts = fake.accountsHosts;
  if (!hosts) throw new Error('accountsTls was given');
  return { fake, domain: hosts.feishu, larkDomain: hosts.lark };
}

interface Run {
  result: Promise<Awaited<ReturnType<typeof lark.registerApp>>>;
  qr: Array<{ url: string; expireIn: number }>;
  statuses: Array<{ status: string; interval?: number }>;
}

function register(domain: string, larkDomain: string): Run {
  const qr: Run['qr'] = [];
  const statuses: Run['statuses'] = [];
  const abort = new AbortController();
  onCleanup(() => abort.abort());
  const result = lark.registerApp({
    domain,
    larkDomain,
    signal: abort.signal,
    onQRCodeReady: (info) => qr.push(info),
    onStatusChange: (info) => statuses.push(info),
  });
  return { result, qr, statuses };
}

async function rejection(p: Promise<unknown>): Promise<{ code?: string; description?: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string; description?: string };
  }
  throw new Error('expected registerApp to fail');
}

describe('fake-lark app registration (lark.registerApp over HTTPS)', () => {
  it('approves after two pending polls and creates a working app', async () => {
    const { fake, domain, larkDomain } = await startAccounts();
    fake.registration.script({ pendingPolls: 2, outcome: 'approve', ...NEW_APP, appName: 'Scanned Bot' });
    const run = register(domain, larkDomain);

    expect(await run.result).toEqual({
      client_id: NEW_APP.appId,
      client_secret: NEW_APP.appSecret,
      user_info: { open_id: NEW_APP.openId, tenant_brand: 'feishu' },
    });
    expect(run.statuses).toEqual([{ status: 'polling' }, { status: 'polling' }]);
    const reg = fake.registration.last();
    expect(reg).toMatchObject({
      state: 'approved',
      claimed: true,
      beganOn: 'feishu',
      beginForm: { action: 'begin', archetype: 'PersonalAgent', auth_method: 'client_secret', request_user_info: 'open_id' },
    });
    expect(reg?.polls.map((p) => [p.host, p.status, p.answer.error ?? 'ok'])).toEqual([
      ['feishu', 400, 'authorization_pending'],
      ['feishu', 400, 'authorization_pending'],
      ['feishu', 200, 'ok'],
    ]);
    // The QR link is begin's verification_uri_complete with the SDK's own parameters.
    const qr = new URL(run.qr[0]?.url ?? '');
    expect(qr.searchParams.get('user_code')).toBe(reg?.userCode);
    expect(qr.searchParams.get('from')).toBe('sdk');
    expect(run.qr[0]?.expireIn).toBe(600);
    // Exactly the form the SDK sends, on the accounts host.
    const posts = fake.requests({ method: 'POST', path: '/oauth/v1/app/registration' });
    expect(posts).toHaveLength(4);
    expect(posts[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(posts[0]?.headers.host).toBe(domain);
    expect(posts[0]?.headers['user-agent']).toMatch(/^oapi-node-sdk\/1\.74/);
    expect(posts[0]?.body).toBe('action=begin&archetype=PersonalAgent&auth_method=client_secret&request_user_info=open_id');
    expect(posts[1]?.body).toBe(`action=poll&device_code=${reg?.deviceCode}`);

    // The returned credentials work: tokens, the app's own info (owner = the scanning user), the long connection.
    const client = new lark.Client({
      appId: NEW_APP.appId,
      appSecret: NEW_APP.appSecret,
      domain: fake.url,
      cache: new lark.DefaultCache(),
      loggerLevel: lark.LoggerLevel.fatal,
      logger: silentLogger,
    });
    const me = await client.application.v6.application.get({ path: { app_id: 'me' }, params: { lang: 'en_us' } });
    expect(me.data?.app).toMatchObject({ app_id: NEW_APP.appId, app_name: 'Scanned Bot', owner: { owner_id: NEW_APP.openId } });
    const ws = new lark.WSClient({ ...NEW_APP, domain: fake.url, loggerLevel: lark.LoggerLevel.fatal, logger: silentLogger });
    onCleanup(() => ws.close({ force: true }));
    void ws.start({ eventDispatcher: new lark.EventDispatcher({ loggerLevel: lark.LoggerLevel.fatal, logger: silentLogger }) });
    await fake.waitForConnections(NEW_APP.appId);
  });

  it('on slow_down the SDK waits 5 s more before it polls again', async () => {
    const { fake, domain, larkDomain } = await startAccounts();
    fake.registration.script({ slowDownOnPoll: 1, ...NEW_APP });
    // Only the SDK's poll timer is faked; the sockets and the fake run in real time.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    onCleanup(() => void vi.useRealTimers());
    const run = register(domain, larkDomain);
    await vi.waitFor(() => expect(run.statuses).toEqual([{ status: 'slow_down', interval: 5 }]));

    await vi.advanceTimersByTimeAsync(4_900);
    expect(fake.registration.last()?.polls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect((await run.result).client_id).toBe(NEW_APP.appId);
    expect(fake.registration.last()?.polls.map((p) => p.answer.error ?? 'ok')).toEqual(['slow_down', 'ok']);
  });

  it('fails with access_denied when the user declines', async () => {
    const { fake, domain, larkDomain } = await startAccounts();
    fake.registration.script({ pendingPolls: 1, outcome: 'deny', errorDescription: 'user declined' });
    const run = register(domain, larkDomain);
    expect(await rejection(run.result)).toEqual({ code: 'access_denied', description: 'user declined' });
    expect(fake.registration.last()?.state).toBe('denied');
    expect(fake.registration.last()?.appId).toBeUndefined();
  });

  it('fails with expired_token when the code expires, scripted or by expires_in', async () => {
    const { fake, domain, larkDomain } = await startAccounts();
    fake.registration.script({ pendingPolls: 2, outcome: 'expire' });
    const scripted = register(domain, larkDomain);
    expect(await rejection(scripted.result)).toMatchObject({ code: 'expired_token' });
    expect(fake.registration.last()?.polls).toHaveLength(3);

    // Nobody scans: pending until expires_in (here 0.3 s; the SDK's own timer or the fake's answer ends it).
    fake.registration.script({ pendingPolls: 1_000, interval: 0.05, expiresIn: 0.3 });
    const timedOut = register(domain, larkDomain);
    expect(await rejection(timedOut.result)).toMatchObject({ code: 'expired_token' });
  });

  it('switches once to the Lark accounts host on tenant_brand "lark"', async () => {
    const { fake, domain, larkDomain } = await startAccounts();
    fake.registration.script({ pendingPolls: 1, tenantBrand: 'lark', ...NEW_APP });
    const run = register(domain, larkDomain);
    expect(await run.result).toEqual({
      client_id: NEW_APP.appId,
      client_secret: NEW_APP.appSecret,
      user_info: { open_id: NEW_APP.openId, tenant_brand: 'lark' },
    });
    expect(run.statuses).toEqual([{ status: 'polling' }, { status: 'domain_switched' }]);
    const polls = fake.registration.last()?.polls ?? [];
    expect(polls.map((p) => p.host)).toEqual(['feishu', 'feishu', 'lark']);
    // The Feishu host names the app and the brand but keeps the secret for the Lark host.
    expect(polls[1]?.answer).toEqual({ client_id: NEW_APP.appId, user_info: { tenant_brand: 'lark' } });
    expect(fake.requests({ path: '/oauth/v1/app/registration' }).map((r) => r.headers.host)).toEqual([domain, domain, domain, larkDomain]);
  });
});

describe('fake-lark app registration over plain HTTP (fake.url)', () => {
  const post = (url: string, form: Record<string, string>, contentType = 'application/x-www-form-urlencoded') =>
    fetch(`${url}/oauth/v1/app/registration`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: new URLSearchParams(form),
    });

  it('answers begin and poll as the accounts host does; credentials are handed out once', async () => {
    const fake = await startFake();
    fake.registration.script({ interval: 5, expiresIn: 300, ...NEW_APP });
    const begin = await post(fake.url, {
      action: 'begin',
      archetype: 'PersonalAgent',
      auth_method: 'client_secret',
      request_user_info: 'open_id',
    });
    expect(begin.status).toBe(200);
    const b = (await begin.json()) as Record<string, unknown>;
    expect(b).toMatchObject({
      interval: 5,
      expires_in: 300,
      device_code: expect.any(String),
      user_code: expect.stringMatching(/^[A-Z]{4}-[A-Z]{4}$/),
    });
    expect(b.verification_uri_complete).toBe(`https://open.feishu.cn/page/cli?user_code=${String(b.user_code)}`);

    const poll = () => post(fake.url, { action: 'poll', device_code: String(b.device_code) });
    const first = await poll();
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ client_id: NEW_APP.appId, client_secret: NEW_APP.appSecret });
    const again = await poll();
    expect([again.status, await again.json()]).toEqual([400, { error: 'invalid_grant', error_description: 'device_code already used' }]);

    const unknown = await post(fake.url, { action: 'poll', device_code: 'nope' });
    expect([unknown.status, ((await unknown.json()) as { error: string }).error]).toEqual([400, 'invalid_grant']);
    const notForm = await post(fake.url, { action: 'begin' }, 'application/json');
    expect([notForm.status, ((await notForm.json()) as { error: string }).error]).toEqual([400, 'invalid_request']);
  });

  it('without a script nobody scans: every poll is authorization_pending', async () => {
    const fake = await startFake();
    const b = (await (await post(fake.url, { action: 'begin' })).json()) as { device_code: string };
    for (let i = 0; i < 3; i++) {
      const r = await post(fake.url, { action: 'poll', device_code: b.device_code });
      expect([r.status, await r.json()]).toEqual([400, { error: 'authorization_pending' }]);
    }
    expect(fake.registration.last()).toMatchObject({ state: 'pending', script: undefined });
  });
});
