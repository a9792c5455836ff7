import { describe, expect, it } from 'vitest';
import { consoleLinks, REQUIRED_SCOPES } from '@shared/lark-console';
import type { WebhookEvidence } from '@shared/webhook';
import { LarkApiError } from '../lark/errors';
import { silentLogger } from '../log/logger';
import { checkSetup, type Evidence } from './setup-check';
import { SetupMonitor } from './setup-monitor';

const URL = 'https://bots.example.com/webhook/b';
const BOT = { id: 'b', platform: 'feishu' as const, appId: 'cli_0123456789abcdef', receive: 'webhook' as const, requestUrl: URL };
const NOTHING_SEEN: Evidence = { connected: false, messageArrived: false, cardActionArrived: false };
const LINKS = consoleLinks('feishu', BOT.appId);

const WEBHOOK_APP = {
  status: 1,
  online_version_id: 'v1',
  event: { subscription_type: 'webhook', request_url: URL, subscribed_events: ['im.message.receive_v1'] },
  callback_info: { callback_type: 'webhook', request_url: URL, subscribed_callbacks: ['card.action.trigger'] },
};

/** The three REST answers as the platform gives them (lark/app-facts.ts parses them). */
function api(app: object | LarkApiError = WEBHOOK_APP, connections = 0) {
  return {
    verifyCredentials: async () => undefined,
    botInfo: async () => ({ openId: 'ou_bot', name: 'Bot', activateStatus: 2 }),
    getJson: async (_op: string, url: string) => {
      if (url.endsWith('/scopes')) return { code: 0, data: { scopes: REQUIRED_SCOPES.map((s) => ({ scope_name: s, grant_status: 1 })) } };
      if (url.endsWith('/applications/me')) {
        if (app instanceof LarkApiError) throw app;
        return { code: 0, data: { app: { app_id: BOT.appId, ...app } } };
      }
      return { code: 0, data: { online_instance_cnt: connections } };
    },
  };
}

const seen = (webhook: WebhookEvidence): Evidence => ({ ...NOTHING_SEEN, webhook });
const item = (report: Awaited<ReturnType<typeof checkSetup>>, id: string) => report.items.find((i) => i.id === id)!;

describe('the setup check of a webhook bot', () => {
  it('says all is well when the console sends both to this bot’s request URL and signed requests arrive', async () => {
    const report = await checkSetup(BOT, api(WEBHOOK_APP, 3), seen({ lastGoodAt: 1_000 }));
    expect(report.items.map((i) => [i.id, i.state])).toEqual([
      ['credentials', 'ok'],
      ['bot', 'ok'],
      ['scopes', 'ok'],
      ['events', 'ok'],
      ['callback', 'ok'],
      ['version', 'ok'],
      // No long connection of its own: other connections are no concern of a webhook bot.
      ['requests', 'ok'],
    ]);
    expect(item(report, 'events').message).toContain(URL);
    expect(report).toMatchObject({ problems: 0, blocking: false });
  });

  it('names a console still on the long connection, with the URL to enter', async () => {
    const app = {
      ...WEBHOOK_APP,
      event: { subscription_type: 'websocket', subscribed_events: ['im.message.receive_v1'] },
      callback_info: { callback_type: 'websocket', subscribed_callbacks: ['card.action.trigger'] },
    };
    const report = await checkSetup(BOT, api(app), NOTHING_SEEN);
    expect(item(report, 'events')).toMatchObject({ state: 'problem', blocking: true, link: LINKS.events });
    expect(item(report, 'events').message).toContain(`enter ${URL} as the Request URL`);
    expect(item(report, 'callback')).toMatchObject({ state: 'problem', blocking: false, link: LINKS.callbacks });
  });

  it('names a request URL in the console that is not this bot’s (a trailing slash or the host’s case aside)', async () => {
    const elsewhere = { ...WEBHOOK_APP, event: { ...WEBHOOK_APP.event, request_url: 'https://old.example.com/lark/events' } };
    const events = item(await checkSetup(BOT, api(elsewhere), NOTHING_SEEN), 'events');
    expect(events).toMatchObject({ state: 'problem', blocking: true });
    expect(events.message).toContain('https://old.example.com/lark/events');
    expect(events.message).toContain(URL);

    const same = { ...WEBHOOK_APP, event: { ...WEBHOOK_APP.event, request_url: 'https://BOTS.example.com/webhook/b/' } };
    expect(item(await checkSetup(BOT, api(same), NOTHING_SEEN), 'events').state).toBe('ok');
  });

  it('names an event or callback not subscribed', async () => {
    const app = {
      ...WEBHOOK_APP,
      event: { ...WEBHOOK_APP.event, subscribed_events: ['im.chat.member.bot.added_v1'] },
      callback_info: { ...WEBHOOK_APP.callback_info, subscribed_callbacks: ['url.preview.get'] },
    };
    const report = await checkSetup(BOT, api(app), NOTHING_SEEN);
    expect(item(report, 'events')).toMatchObject({ state: 'problem', blocking: true });
    expect(item(report, 'events').message).toContain('im.message.receive_v1 is not subscribed');
    expect(item(report, 'callback')).toMatchObject({ state: 'problem', blocking: false });
  });

  it('says "could not be read" when the app’s info does not show the request URL or the modes, never a problem', async () => {
    const noUrl = {
      ...WEBHOOK_APP,
      event: { subscription_type: 'webhook', subscribed_events: ['im.message.receive_v1'] },
      callback_info: { callback_type: 'webhook', subscribed_callbacks: ['card.action.trigger'] },
    };
    const report = await checkSetup(BOT, api(noUrl), NOTHING_SEEN);
    expect(item(report, 'events').state).toBe('ok');
    expect(item(report, 'events').message).toContain('could not be read');

    const silent = { status: 1, online_version_id: 'v1' };
    const before = await checkSetup(BOT, api(silent), NOTHING_SEEN);
    expect([item(before, 'events').state, item(before, 'callback').state]).toEqual(['unknown', 'unknown']);
    expect(before.problems).toBe(0);
    const after = await checkSetup(BOT, api(silent), { ...seen({ lastGoodAt: 5 }), cardActionArrived: true });
    expect([item(after, 'events').state, item(after, 'callback').state]).toEqual(['ok', 'ok']);

    const denied = new LarkApiError('permission', 99991672, 'Access denied', 'no permission');
    const unread = await checkSetup(BOT, api(denied), NOTHING_SEEN);
    expect(['events', 'callback', 'version'].map((id) => item(unread, id).state)).toEqual(['unknown', 'unknown', 'unknown']);
    expect(unread.problems).toBe(0);
  });

  it('until the first signed request: "no request from the platform yet", with what to check', async () => {
    const requests = item(await checkSetup(BOT, api(), NOTHING_SEEN), 'requests');
    expect(requests).toMatchObject({ state: 'unknown', blocking: false });
    expect(requests.message).toContain('No request from the platform yet');
    expect(requests.message).toContain(URL);
    expect(requests.message).toContain('--webhook');

    const { requestUrl: _none, ...noBase } = BOT;
    const withoutUrl = item(await checkSetup(noBase, api(), NOTHING_SEEN), 'requests');
    expect(withoutUrl.message).toContain('Settings has the public URL of this server');
  });

  it('names a signature, decryption or token mismatch seen at the endpoint, until a good request follows', async () => {
    const signature = item(await checkSetup(BOT, api(), seen({ lastProblem: { reason: 'signature', at: 10 } })), 'requests');
    expect(signature).toMatchObject({ state: 'problem', blocking: true, link: LINKS.encryption });
    expect(signature.message).toContain('the Encrypt Key in Kocoro does not match the console’s');

    const decrypt = item(await checkSetup(BOT, api(), seen({ lastGoodAt: 5, lastProblem: { reason: 'decrypt', at: 10 } })), 'requests');
    expect(decrypt.message).toContain('the Encrypt Key in Kocoro does not match the console’s');

    const token = item(await checkSetup(BOT, api(), seen({ lastProblem: { reason: 'token', at: 10 } })), 'requests');
    expect(token.message).toContain('the Verification Token in Kocoro does not match the console’s');

    const clock = item(await checkSetup(BOT, api(), seen({ lastProblem: { reason: 'timestamp', at: 10 } })), 'requests');
    expect(clock).toMatchObject({ state: 'problem' });
    expect(clock.message).toContain('clock');

    const fixed = item(await checkSetup(BOT, api(), seen({ lastGoodAt: 20, lastProblem: { reason: 'signature', at: 10 } })), 'requests');
    expect(fixed.state).toBe('ok');
  });

  it('leaves a long-connection bot’s check as it was: no requests item', async () => {
    const { receive: _webhook, requestUrl: _url, ...longConnection } = BOT;
    const report = await checkSetup(
      longConnection,
      api(
        {
          ...WEBHOOK_APP,
          event: { subscription_type: 'websocket', subscribed_events: ['im.message.receive_v1'] },
          callback_info: { callback_type: 'websocket', subscribed_callbacks: ['card.action.trigger'] },
        },
        1,
      ),
      { ...NOTHING_SEEN, connected: true },
    );
    expect(report.items.map((i) => i.id)).not.toContain('requests');
    expect(report.problems).toBe(0);
  });
});

describe('the setup monitor of a webhook bot', () => {
  it('checks again when the endpoint’s record changes what the requests item says, and only then', async () => {
    let evidence: WebhookEvidence = {};
    const reports: string[] = [];
    let calls = 0;
    const counted = api();
    const monitor = new SetupMonitor({
      bot: () => ({ id: BOT.id, platform: BOT.platform, appId: BOT.appId, receive: 'webhook' }),
      requestUrl: () => URL,
      webhook: () => evidence,
      agent: { provider: { type: 'echo' } } as never,
      api: {
        ...counted,
        getJson: (op: string, url: string) => {
          calls += 1;
          return counted.getJson(op, url);
        },
      },
      log: silentLogger,
      now: Date.now,
      onReport: (r) => reports.push(r.items.find((i) => i.id === 'requests')!.state),
    });
    await monitor.check(true);
    expect(reports).toEqual(['unknown']);

    const settle = () => new Promise((r) => setTimeout(r, 20));
    monitor.webhookChanged();
    await settle();
    expect(reports).toHaveLength(1);

    evidence = { lastProblem: { reason: 'signature', at: 10 } };
    monitor.webhookChanged();
    await settle();
    expect(reports).toEqual(['unknown', 'problem']);
    monitor.webhookChanged();
    await settle();
    expect(reports).toHaveLength(2);

    evidence = { lastProblem: { reason: 'signature', at: 10 }, lastGoodAt: 20 };
    monitor.webhookChanged();
    await settle();
    expect(reports).toEqual(['unknown', 'problem', 'ok']);
    expect(calls).toBeGreaterThan(0);
    monitor.close();
  });
});
