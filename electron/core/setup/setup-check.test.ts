import { describe, expect, it } from 'vitest';
import { REQUIRED_SCOPES } from '@shared/lark-console';
import { LarkApiError } from '../lark/errors';
import { checkSetup, type Evidence } from './setup-check';

const BOT = { id: 'b', platform: 'feishu' as const, appId: 'cli_0123456789abcdef' };
const NOTHING_SEEN: Evidence = { connected: false, messageArrived: false, cardActionArrived: false };

interface Facts {
  scopes?: string[];
  app?: object | LarkApiError;
  connections?: number;
  credentials?: LarkApiError;
}

/** The three REST answers as the platform gives them (lark/app-facts.ts parses them). */
function api(f: Facts) {
  const scopes = f.scopes ?? [...REQUIRED_SCOPES];
  return {
    verifyCredentials: async () => {
      if (f.credentials) throw f.credentials;
    },
    botInfo: async () => ({ openId: 'ou_bot', name: 'Bot', activateStatus: 2 }),
    getJson: async (_op: string, url: string) => {
      if (url.endsWith('/scopes')) return { code: 0, data: { scopes: scopes.map((s) => ({ scope_name: s, grant_status: 1 })) } };
      if (url.endsWith('/applications/me')) {
        if (f.app instanceof LarkApiError) throw f.app;
        return { code: 0, data: { app: { app_id: BOT.appId, ...(f.app ?? HEALTHY_APP) } } };
      }
      return { code: 0, data: { online_instance_cnt: f.connections ?? 0 } };
    },
  };
}

const HEALTHY_APP = {
  status: 1,
  online_version_id: 'v1',
  event: { subscription_type: 'websocket', subscribed_events: ['im.message.receive_v1'] },
  callback_info: { callback_type: 'websocket', subscribed_callbacks: ['card.action.trigger'] },
};

const item = (report: Awaited<ReturnType<typeof checkSetup>>, id: string) => report.items.find((i) => i.id === id)!;
const maybe = (report: Awaited<ReturnType<typeof checkSetup>>, id: string) => report.items.find((i) => i.id === id);

describe('the setup check', () => {
  it('says all is well for a well set-up app, counting its own connection', async () => {
    const report = await checkSetup(BOT, api({ connections: 1 }), { ...NOTHING_SEEN, connected: true });
    expect(report.items.map((i) => [i.id, i.state])).toEqual([
      ['credentials', 'ok'],
      ['bot', 'ok'],
      ['scopes', 'ok'],
      ['events', 'ok'],
      ['callback', 'ok'],
      ['version', 'ok'],
      ['connections', 'ok'],
    ]);
    expect(report).toMatchObject({ problems: 0, blocking: false });
  });

  it('names each missing scope with what it breaks, links exactly those, and blocks when no message can arrive', async () => {
    const report = await checkSetup(BOT, api({ scopes: REQUIRED_SCOPES.filter((s) => s !== 'im:message.p2p_msg:readonly') }), NOTHING_SEEN);
    const scopes = item(report, 'scopes');
    expect(scopes).toMatchObject({ state: 'problem', blocking: false });
    expect(scopes.missingScopes).toEqual([
      { scope: 'im:message.p2p_msg:readonly', breaks: 'the bot will not receive direct messages', required: false },
    ]);
    expect(scopes.link).toBe(
      'https://open.feishu.cn/app/cli_0123456789abcdef/auth?q=im:message.p2p_msg:readonly&op_from=openapi&token_type=tenant',
    );
    const none = await checkSetup(BOT, api({ scopes: [] }), NOTHING_SEEN);
    expect(item(none, 'scopes')).toMatchObject({ blocking: true, message: expect.stringMatching(/^10 of the 10 permissions are missing/) });
  });

  it('finds events not on the long connection, no callback, no published version', async () => {
    const report = await checkSetup(
      BOT,
      api({
        app: {
          event: { subscription_type: 'webhook', subscribed_events: [] },
          callback_info: { callback_type: 'websocket', subscribed_callbacks: [] },
          unaudit_version_id: 'v2',
        },
      }),
      NOTHING_SEEN,
    );
    expect(item(report, 'events')).toMatchObject({
      state: 'problem',
      blocking: true,
      link: 'https://open.feishu.cn/app/cli_0123456789abcdef/event',
    });
    expect(item(report, 'events').message).toMatch(/Receive events through persistent connection/);
    expect(item(report, 'callback')).toMatchObject({ state: 'problem', blocking: false });
    expect(item(report, 'version')).toMatchObject({ state: 'problem', message: expect.stringMatching(/tenant admin to approve/) });
    expect(report).toMatchObject({ problems: 3, blocking: true });
  });

  it('without the self-manage scope says what it cannot check, offers the scope, and infers from what arrived', async () => {
    const denied = new LarkApiError('permission', 99991672, 'Access denied', 'grant the scope');
    const before = await checkSetup(BOT, api({ app: denied }), NOTHING_SEEN);
    expect(item(before, 'events')).toMatchObject({
      state: 'unknown',
      link: expect.stringContaining('q=application:application:self_manage'),
    });
    expect(item(before, 'version').message).toMatch(/optional permission application:application:self_manage/);
    expect(before.problems).toBe(0);
    const after = await checkSetup(BOT, api({ app: denied }), { connected: true, messageArrived: true, cardActionArrived: true });
    expect(item(after, 'events')).toMatchObject({ state: 'ok', message: expect.stringMatching(/A message arrived/) });
    expect(item(after, 'callback').state).toBe('ok');
  });

  it('sees another program on the connection: above 0 before connecting, above 1 once connected', async () => {
    expect(item(await checkSetup(BOT, api({ connections: 1 }), NOTHING_SEEN), 'connections')).toMatchObject({
      state: 'problem',
      blocking: true,
    });
    const connected = await checkSetup(BOT, api({ connections: 2 }), { ...NOTHING_SEEN, connected: true });
    expect(item(connected, 'connections').message).toMatch(/^Another program is connected to this app; Feishu will split the messages/);
    // Just after a reconnect the second one may be this computer's old connection: not called a problem yet.
    const reconnected = await checkSetup(BOT, api({ connections: 2 }), { ...NOTHING_SEEN, connected: true, justReconnected: true });
    expect(item(reconnected, 'connections')).toMatchObject({ state: 'unknown', message: expect.stringMatching(/old connection/) });
  });

  it('counts the live replicas on a shared state store as its own connections, and still sees a stranger beside them', async () => {
    const replicas = { ...NOTHING_SEEN, connected: true, replicas: 3 };
    const ours = item(await checkSetup(BOT, api({ connections: 3 }), replicas), 'connections');
    expect(ours).toMatchObject({ state: 'ok', message: expect.stringMatching(/Kocoro's own \(3 replicas on the shared state store\)/) });
    // A replica between two connections (reconnecting) is no stranger either.
    expect(item(await checkSetup(BOT, api({ connections: 2 }), replicas), 'connections').state).toBe('ok');

    const stranger = item(await checkSetup(BOT, api({ connections: 4 }), replicas), 'connections');
    expect(stranger).toMatchObject({ state: 'problem', blocking: true });
    expect(stranger.message).toMatch(
      /^Another program is connected to this app, besides Kocoro's 3 replicas on the shared state store; Feishu will split .* Kocoro on another computer that does not share this state store/,
    );
    const strangers = item(await checkSetup(BOT, api({ connections: 5 }), replicas), 'connections');
    expect(strangers.message).toMatch(/^Another program is connected to this app \(2 of them\), besides Kocoro's 3 replicas/);
  });

  it('`--check` (not connected here) counts the replicas running elsewhere; unreadable replicas are "could not be checked", not a stranger', async () => {
    const elsewhere = { ...NOTHING_SEEN, replicas: 2 };
    expect(item(await checkSetup(BOT, api({ connections: 2 }), elsewhere), 'connections').state).toBe('ok');
    expect(item(await checkSetup(BOT, api({ connections: 3 }), elsewhere), 'connections')).toMatchObject({ state: 'problem' });
    // The one replica is this process: as without a shared state store.
    const alone = item(await checkSetup(BOT, api({ connections: 2 }), { ...NOTHING_SEEN, connected: true, replicas: 1 }), 'connections');
    expect(alone.message).toMatch(/^Another program is connected to this app; Feishu will split the messages between it and Kocoro\./);

    const unread = item(
      await checkSetup(BOT, api({ connections: 3 }), { ...NOTHING_SEEN, connected: true, replicas: null }),
      'connections',
    );
    expect(unread).toMatchObject({ state: 'unknown', message: expect.stringMatching(/could not be read from the state store/) });
    expect(
      item(await checkSetup(BOT, api({ connections: 1 }), { ...NOTHING_SEEN, connected: true, replicas: null }), 'connections').state,
    ).toBe('ok');
  });

  it('stops at wrong credentials, and tells an unreachable platform apart', async () => {
    const wrong = await checkSetup(
      BOT,
      api({ credentials: new LarkApiError('credentials', 10014, 'app secret invalid', '') }),
      NOTHING_SEEN,
    );
    expect(wrong.items).toEqual([expect.objectContaining({ id: 'credentials', state: 'problem', blocking: true })]);
    const offline = new LarkApiError('transient', undefined, 'connect ECONNREFUSED', '', undefined, undefined, [], 'connection refused');
    const unreachable = await checkSetup(BOT, api({ credentials: offline }), NOTHING_SEEN);
    expect(unreachable.items).toEqual([expect.objectContaining({ id: 'credentials', state: 'unknown' })]);
  });

  it('an app that says nothing about its event and callback settings gets "unknown" until a message or click shows they work', async () => {
    const silent = { online_version_id: 'v1' };
    const before = await checkSetup(BOT, api({ app: silent }), NOTHING_SEEN);
    expect([item(before, 'events').state, item(before, 'callback').state]).toEqual(['unknown', 'unknown']);
    expect(before.problems).toBe(0);
    const after = await checkSetup(BOT, api({ app: silent }), { connected: false, messageArrived: true, cardActionArrived: true });
    expect([item(after, 'events').state, item(after, 'callback').state]).toEqual(['ok', 'ok']);
  });
});

describe('who can use tools on this computer', () => {
  const kocoro = { provider: { type: 'kocoro' as const, agent: 'default' } };
  const program = { provider: { type: 'command' as const, command: 'agent.sh' } };
  const model = { provider: { type: 'echo' as const } };

  it('warns, without blocking, when an agent that runs tools here answers anyone in the organization; says what still guards it', async () => {
    const open = maybe(await checkSetup(BOT, api({}), NOTHING_SEEN, Date.now, kocoro), 'exposure');
    expect(open).toMatchObject({ state: 'problem', blocking: false });
    expect(open!.message).toMatch(/answers anyone in the organization, in a direct message or any group/);
    expect(open!.message).toMatch(/with no approvers yet, each one waits for you in the app/);
    const guarded = maybe(await checkSetup({ ...BOT, approvers: ['ou_owner'] }, api({}), NOTHING_SEEN, Date.now, kocoro), 'exposure');
    expect(guarded!.message).toMatch(/only the bot’s approvers may allow each one/);
    const programOpen = maybe(await checkSetup({ ...BOT, access: { group: 'off' } }, api({}), NOTHING_SEEN, Date.now, program), 'exposure');
    expect(programOpen).toMatchObject({ state: 'problem' });
    expect(programOpen!.message).toMatch(/in a direct message\. Its agent is a program on this computer/);
  });

  it('is fine once the bot answers only allowlists, and absent for an agent that runs nothing here', async () => {
    const narrowed = { ...BOT, access: { dm: 'allowlist' as const, dmAllow: ['ou_a'], groupAllow: ['oc_team'] } };
    expect(maybe(await checkSetup(narrowed, api({}), NOTHING_SEEN, Date.now, kocoro), 'exposure')).toMatchObject({ state: 'ok' });
    expect(maybe(await checkSetup(BOT, api({}), NOTHING_SEEN, Date.now, model), 'exposure')).toBeUndefined();
  });
});
