import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { APP, APP2, MODEL_KEY, postText, ServiceHarness } from '../../support/service-harness';

let h: ServiceHarness;
afterEach(async () => {
  await h?.dispose();
});

const BOT_MENTION = { key: '@_user_1', openId: APP.botOpenId, name: APP.botName, mentionedType: 'bot' as const };
const ENCRYPT_KEY = 'encrypt-key-0123456789';

/** A port on loopback that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('creating a bot in the UI', () => {
  it('connects it, answers a DM and reports the message as received, then answered', async () => {
    h = await ServiceHarness.create();
    const agent = await h.createModelAgent();
    const view = await h.createBot(agent.id, { displayName: 'Team Bot', encryptKey: ENCRYPT_KEY });
    expect(view).toMatchObject({
      id: 'feishu-a1b2c3d4',
      platform: 'feishu',
      appId: APP.appId,
      agentId: 'model',
      displayName: 'Team Bot',
      domain: h.lark.url,
      enabled: true,
      hasAppSecret: true,
      hasEncryptKey: true,
      managedBy: 'app',
    });
    expect(view.status.state).toBe('connecting');
    expect(h.events('bots.changed')).toHaveLength(1);

    const connected = await h.waitForEvent('bot.status', (s) => s.botId === view.id && s.state === 'connected');
    expect(connected).toMatchObject({ botName: APP.botName, botOpenId: APP.botOpenId });
    await h.lark.waitForConnections(APP.appId);

    const dm = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'When is the release?' });
    const [reply] = await h.lark.waitForMessages({ replyTo: dm.messageId });
    expect(postText(reply!.content)).toBe('You said: When is the release?');
    await h.waitForEvent('bot.activity', (a) => a.messageId === dm.messageId && a.stage === 'answered');
    const stages = h.events('bot.activity').filter((a) => a.messageId === dm.messageId);
    expect(stages.map((a) => a.stage)).toEqual(['received', 'answered']);
    expect(stages[0]).toMatchObject({ botId: view.id, chatType: 'p2p', preview: 'When is the release?' });

    // In a group the preview is what the agent sees: the bot's own @mention removed.
    const group = h.lark.pushMessage(APP.appId, {
      chatType: 'group',
      chatId: 'oc_group1',
      text: `@_user_1 summarise ${'this thread '.repeat(20)}`,
      mentions: [BOT_MENTION],
    });
    await h.waitForEvent('bot.activity', (a) => a.messageId === group.messageId && a.stage === 'answered');
    const received = h.events('bot.activity').find((a) => a.messageId === group.messageId)!;
    expect(received.preview.startsWith('summarise this thread')).toBe(true);
    expect([...received.preview].length).toBeLessThanOrEqual(120);

    const activity = await h.call('bots.activity', { id: view.id });
    expect(activity.map((a) => [a.messageId, a.stage])).toEqual([
      [dm.messageId, 'received'],
      [dm.messageId, 'answered'],
      [group.messageId, 'received'],
      [group.messageId, 'answered'],
    ]);
    const [listed] = await h.call('bots.list', {});
    expect(listed!.status).toMatchObject({ state: 'connected', lastMessageAt: expect.any(Number) });
  });

  it('reports an answer the agent could not give as failed', async () => {
    h = await ServiceHarness.create();
    const agent = await h.call('agents.create', {
      name: 'Broken',
      provider: { type: 'openai', baseUrl: h.model.baseUrl, model: 'm', apiKey: 'sk-wrong-key-000000' },
    });
    const bot = await h.createBot(agent.id);
    await h.lark.waitForConnections(APP.appId);
    const dm = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'hello?' });
    const [reply] = await h.lark.waitForMessages({ replyTo: dm.messageId });
    expect(postText(reply!.content)).toMatch(/API key was rejected/);
    await h.waitForEvent('bot.activity', (a) => a.botId === bot.id && a.stage === 'failed');
  });

  it('never shows a secret in any result, event or log line', async () => {
    h = await ServiceHarness.create({
      config: ({ lark }) => ({
        agents: [{ id: 'echo', name: 'Echo', provider: { type: 'echo' } }],
        bots: [
          {
            id: 'cfg-bot',
            platform: 'lark',
            appId: APP2.appId,
            appSecret: APP2.appSecret,
            encryptKey: 'config-encrypt-key-42',
            agentId: 'echo',
            domain: lark.url,
          },
        ],
      }),
    });
    await h.service.start();
    const agent = await h.createModelAgent();
    const bot = await h.createBot(agent.id, { encryptKey: ENCRYPT_KEY });
    await h.lark.waitForConnections(APP.appId);
    await h.call('bots.checkCredentials', { platform: 'feishu', appId: APP.appId, appSecret: 'wrong-secret-to-check', domain: h.lark.url });
    await h.call('bots.update', { id: bot.id, appSecret: APP.appSecret, displayName: 'Renamed' });
    const dm = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'hi' });
    await h.lark.waitForMessages({ replyTo: dm.messageId });
    const { runId } = await h.call('agents.test', { id: agent.id, text: 'ping' });
    await h.waitForEvent('agent.test', (e) => e.runId === runId && (e.done === true || e.error !== undefined));
    await h.call('bots.list', {});
    await h.call('agents.list', {});
    await h.call('bots.activity', { id: bot.id });
    await h.call('app.info', {});

    const everything = JSON.stringify({ results: h.results, events: h.seen, logs: h.logger.records, statuses: h.service.statuses() });
    for (const secret of [APP.appSecret, APP2.appSecret, ENCRYPT_KEY, 'config-encrypt-key-42', MODEL_KEY, 'wrong-secret-to-check']) {
      expect(everything).not.toContain(secret);
    }
    expect(await h.call('bots.list', {})).toEqual([
      expect.objectContaining({ id: 'cfg-bot', managedBy: 'config', hasAppSecret: true, hasEncryptKey: true }),
      expect.objectContaining({ id: bot.id, managedBy: 'app', hasAppSecret: true, hasEncryptKey: true }),
    ]);
    // The secrets themselves are in the vault, a file only this user can read.
    const saved = JSON.parse(await fs.readFile(h.vaultFile, 'utf8')) as { secrets: Record<string, string> };
    expect(saved.secrets).toEqual({
      [`bot:${bot.id}:appSecret`]: APP.appSecret,
      [`bot:${bot.id}:encryptKey`]: ENCRYPT_KEY,
      [`agent:${agent.id}:apiKey`]: MODEL_KEY,
    });
    if (process.platform !== 'win32') expect((await fs.stat(h.vaultFile)).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(path.join(h.dataDir, 'kocoro.json'), 'utf8')).not.toContain(APP.appSecret);
  });

  it('refuses a second bot for an App ID that is already registered, naming the bot', async () => {
    h = await ServiceHarness.create({
      config: ({ lark }) => ({
        agents: [{ id: 'echo', name: 'Echo', provider: { type: 'echo' } }],
        bots: [{ id: 'cfg-bot', platform: 'lark', appId: APP2.appId, appSecret: APP2.appSecret, agentId: 'echo', domain: lark.url }],
      }),
    });
    await h.createBot('echo', { displayName: 'Team Bot' });
    const again = await h.failure('bots.create', { platform: 'lark', appId: APP.appId, appSecret: APP.appSecret, agentId: 'echo' });
    expect(again).toMatchObject({
      code: 'conflict',
      field: 'appId',
      message: expect.stringMatching(/already registered as bot "Team Bot" \(feishu-a1b2c3d4\)/),
    });
    const configApp = await h.failure('bots.create', {
      platform: 'lark',
      appId: APP2.appId.toUpperCase().replace('CLI_', 'cli_'),
      appSecret: APP2.appSecret,
      agentId: 'echo',
    });
    expect(configApp).toMatchObject({ code: 'conflict', field: 'appId', message: expect.stringMatching(/cfg-bot/) });
    expect(await h.call('bots.list', {})).toHaveLength(2);
  });

  it('validates input at the contract boundary, naming the field', async () => {
    h = await ServiceHarness.create({ config: () => ({ agents: [{ id: 'echo', name: 'Echo', provider: { type: 'echo' } }], bots: [] }) });
    const badAppId = await h.failure('bots.create', { platform: 'feishu', appId: 'cli_123', appSecret: 's', agentId: 'echo' });
    expect(badAppId).toMatchObject({
      code: 'invalid_input',
      field: 'appId',
      message: expect.stringMatching(/cli_ followed by 16 hex characters/),
    });
    expect(
      await h.failure('bots.create', { platform: 'feishu', appId: APP.appId, appSecret: APP.appSecret, agentId: 'nobody' }),
    ).toMatchObject({ code: 'not_found', field: 'agentId' });
    expect(await h.failure('bots.update', { id: 'nobody' })).toMatchObject({ code: 'not_found', field: 'id' });
    expect(h.lark.requests({ path: '/open-apis/auth/v3/tenant_access_token/internal' })).toHaveLength(0);
  });

  it('keeps config-file bots read-only', async () => {
    h = await ServiceHarness.create({
      config: ({ lark }) => ({
        agents: [{ id: 'echo', name: 'Echo', provider: { type: 'echo' } }],
        bots: [{ id: 'cfg-bot', platform: 'feishu', appId: APP.appId, appSecret: APP.appSecret, agentId: 'echo', domain: lark.url }],
      }),
    });
    await h.service.start();
    await expect.poll(() => h.service.statuses()).toEqual([expect.objectContaining({ botId: 'cfg-bot', state: 'connected' })]);
    for (const [method, input] of [
      ['bots.update', { id: 'cfg-bot', displayName: 'x' }],
      ['bots.setEnabled', { id: 'cfg-bot', enabled: false }],
      ['bots.remove', { id: 'cfg-bot' }],
    ] as const) {
      expect(await h.failure(method, input)).toMatchObject({
        code: 'read_only',
        field: 'id',
        message: expect.stringContaining(h.configFile),
      });
    }
    expect(h.lark.connections(APP.appId)).toHaveLength(1);
  });
});

describe('checking credentials', () => {
  it('says the credentials are right, asking the platform once', async () => {
    h = await ServiceHarness.create();
    expect(
      await h.call('bots.checkCredentials', { platform: 'feishu', appId: APP.appId, appSecret: APP.appSecret, domain: `${h.lark.url}/` }),
    ).toEqual({ ok: true });
  });

  it('says which part is wrong when the platform refuses the secret, without retrying', async () => {
    h = await ServiceHarness.create();
    const result = await h.call('bots.checkCredentials', {
      platform: 'feishu',
      appId: APP.appId,
      appSecret: 'not-the-secret',
      domain: h.lark.url,
    });
    expect(result).toEqual({
      ok: false,
      reason: 'credentials',
      message: 'The App ID or App Secret is wrong (code 10014: app secret invalid). Copy both again from Credentials & Basic Info.',
    });
    expect(h.lark.requests({ path: '/open-apis/auth/v3/tenant_access_token/internal' })).toHaveLength(1);
  });

  it('names the host it cannot reach', async () => {
    h = await ServiceHarness.create();
    const port = await closedPort();
    const started = Date.now();
    const result = await h.call('bots.checkCredentials', {
      platform: 'lark',
      appId: APP.appId,
      appSecret: APP.appSecret,
      domain: `http://127.0.0.1:${port}`,
    });
    expect(result).toEqual({
      ok: false,
      reason: 'network',
      message: `Cannot reach 127.0.0.1:${port}: connection refused. Check your network or the Open Platform URL.`,
    });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('passes on any other platform answer with its code', async () => {
    h = await ServiceHarness.create();
    h.lark.failNext(
      { path: '/open-apis/auth/v3/tenant_access_token/internal' },
      { status: 400, body: { code: 99991401, msg: 'ip not allowed' } },
    );
    const result = await h.call('bots.checkCredentials', {
      platform: 'feishu',
      appId: APP.appId,
      appSecret: APP.appSecret,
      domain: h.lark.url,
    });
    expect(result).toMatchObject({
      ok: false,
      reason: 'platform',
      message: expect.stringMatching(/code 99991401: ip not allowed.*IP whitelist/),
    });
  });
});

describe('managing a bot', () => {
  it('pauses a bot (no connection at the platform) and resumes it', async () => {
    h = await ServiceHarness.create();
    const agent = await h.createModelAgent();
    const bot = await h.createBot(agent.id);
    await h.lark.waitForConnections(APP.appId);

    const paused = await h.call('bots.setEnabled', { id: bot.id, enabled: false });
    expect(paused).toMatchObject({ enabled: false, status: { state: 'stopped' } });
    await expect.poll(() => h.lark.connections(APP.appId).length).toBe(0);
    // The SDK reconnects by itself after a second; a paused bot must not.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(h.lark.connections(APP.appId)).toHaveLength(0);
    expect(h.service.statuses()).toEqual([expect.objectContaining({ botId: bot.id, state: 'stopped' })]);

    const resumed = await h.call('bots.setEnabled', { id: bot.id, enabled: true });
    expect(resumed.enabled).toBe(true);
    await h.lark.waitForConnections(APP.appId);
    await expect.poll(() => h.service.statuses()[0]?.state).toBe('connected');
  });

  it('restores and starts the UI-created bots in a new service over the same data dir', async () => {
    h = await ServiceHarness.create();
    const agent = await h.createModelAgent();
    const bot = await h.createBot(agent.id, { displayName: 'Team Bot' });
    const paused = await h.createBot(agent.id, { appId: APP2.appId, appSecret: APP2.appSecret });
    await h.call('bots.setEnabled', { id: paused.id, enabled: false });
    await h.lark.waitForConnections(APP.appId);
    await h.service.stop(1_000);
    await expect.poll(() => h.lark.connections(APP.appId).length).toBe(0);

    await h.open();
    expect(await h.call('bots.list', {})).toEqual([
      expect.objectContaining({
        id: bot.id,
        displayName: 'Team Bot',
        enabled: true,
        hasAppSecret: true,
        status: expect.objectContaining({ state: 'stopped' }),
      }),
      expect.objectContaining({ id: paused.id, enabled: false }),
    ]);
    await h.service.start();
    await expect
      .poll(() => h.service.statuses())
      .toEqual([
        expect.objectContaining({ botId: bot.id, state: 'connected' }),
        expect.objectContaining({ botId: paused.id, state: 'stopped' }),
      ]);
    await h.lark.waitForConnections(APP.appId);
    const dm = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'after restart' });
    const [reply] = await h.lark.waitForMessages({ replyTo: dm.messageId });
    expect(postText(reply!.content)).toBe('You said: after restart');
    expect(h.lark.connections(APP2.appId)).toHaveLength(0);
  });

  it('switches the agent, reconnecting once, and renames without reconnecting', async () => {
    h = await ServiceHarness.create({ config: () => ({ agents: [{ id: 'echo', name: 'Echo', provider: { type: 'echo' } }], bots: [] }) });
    const agent = await h.createModelAgent();
    const bot = await h.createBot(agent.id);
    await h.lark.waitForConnections(APP.appId);
    const [first] = h.lark.connections(APP.appId);

    await h.call('bots.update', { id: bot.id, displayName: 'Desk Helper' });
    expect(h.lark.connections(APP.appId)).toEqual([expect.objectContaining({ id: first!.id })]);

    const updated = await h.call('bots.update', { id: bot.id, agentId: 'echo', displayName: '' });
    expect(updated).toMatchObject({ agentId: 'echo' });
    expect(updated.displayName).toBeUndefined();
    await expect.poll(() => h.lark.connections(APP.appId).map((c) => c.id)).not.toContain(first!.id);
    await h.lark.waitForConnections(APP.appId);
    expect(h.lark.connections(APP.appId)).toHaveLength(1);
    const dm = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'echo me' });
    const [reply] = await h.lark.waitForMessages({ replyTo: dm.messageId });
    expect(postText(reply!.content)).toBe('echo me');
  });

  it('fails a bot whose new secret is wrong, and recovers when it is corrected', async () => {
    h = await ServiceHarness.create();
    const agent = await h.createModelAgent();
    const bot = await h.createBot(agent.id);
    await h.lark.waitForConnections(APP.appId);
    await h.call('bots.update', { id: bot.id, appSecret: 'a-wrong-secret' });
    const failed = await h.waitForEvent('bot.status', (s) => s.state === 'failed');
    expect(failed.reason).toMatch(/App ID or App Secret is wrong/);
    await h.call('bots.update', { id: bot.id, appSecret: APP.appSecret });
    await expect.poll(() => h.service.statuses()[0]?.state).toBe('connected');
  });

  it('does not start a UI bot whose app the config file now also uses, and says why', async () => {
    h = await ServiceHarness.create();
    const agent = await h.createModelAgent();
    const bot = await h.createBot(agent.id);
    await h.service.stop(100);
    await h.open(({ lark }) => ({
      agents: [{ id: 'echo', name: 'Echo', provider: { type: 'echo' } }],
      bots: [{ id: 'cfg-bot', platform: 'feishu', appId: APP.appId, appSecret: APP.appSecret, agentId: 'echo', domain: lark.url }],
    }));
    await h.service.start();
    const statuses = h.service.statuses();
    expect(statuses.find((s) => s.botId === bot.id)).toMatchObject({
      state: 'failed',
      reason: expect.stringMatching(/also bot cfg-bot in the config file.*Remove one/),
    });
    await expect.poll(() => h.service.statuses().find((s) => s.botId === 'cfg-bot')?.state).toBe('connected');
    await expect.poll(() => h.lark.connections(APP.appId).length).toBe(1);
    // The person can fix it from the UI.
    await h.call('bots.remove', { id: bot.id });
    expect((await h.call('bots.list', {})).map((b) => b.id)).toEqual(['cfg-bot']);
  });

  it('asks for the App Secret again when the vault no longer has it', async () => {
    h = await ServiceHarness.create();
    const agent = await h.createModelAgent();
    const bot = await h.createBot(agent.id);
    await h.service.stop(100);
    await h.vault.delete(`bot:${bot.id}:appSecret`);
    await h.open();
    await h.service.start();
    const [view] = await h.call('bots.list', {});
    expect(view).toMatchObject({
      hasAppSecret: false,
      status: { state: 'failed', reason: expect.stringMatching(/enter the App Secret again/) },
    });
    await h.call('bots.update', { id: bot.id, appSecret: APP.appSecret });
    await expect.poll(() => h.service.statuses()[0]?.state).toBe('connected');
  });

  it('removes a bot: connection closed, record, secrets and data folder gone', async () => {
    h = await ServiceHarness.create();
    const agent = await h.createModelAgent();
    const bot = await h.createBot(agent.id, { encryptKey: ENCRYPT_KEY });
    await h.lark.waitForConnections(APP.appId);
    const dm = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'leave a trace' });
    await h.lark.waitForMessages({ replyTo: dm.messageId });
    const folder = path.join(h.dataDir, 'bots', bot.id);
    expect((await fs.stat(folder)).isDirectory()).toBe(true);

    expect(await h.call('bots.remove', { id: bot.id })).toEqual({ removed: true });
    await expect(fs.stat(folder)).rejects.toThrow(/ENOENT/);
    await expect.poll(() => h.lark.connections(APP.appId).length).toBe(0);
    expect(await h.call('bots.list', {})).toEqual([]);
    expect(await h.vault.get(`bot:${bot.id}:appSecret`)).toBeUndefined();
    expect(await h.vault.get(`bot:${bot.id}:encryptKey`)).toBeUndefined();
    expect(await h.failure('bots.activity', { id: bot.id })).toMatchObject({ code: 'not_found' });
    expect(h.events('bots.changed').length).toBeGreaterThanOrEqual(2);

    // The same app can be registered again afterwards.
    await h.createBot(agent.id);
    await h.lark.waitForConnections(APP.appId);
  });

  it('reconnects every bot at once after the machine wakes up', async () => {
    h = await ServiceHarness.create();
    const agent = await h.createModelAgent();
    await h.createBot(agent.id);
    await h.lark.waitForConnections(APP.appId);
    const [before] = h.lark.connections(APP.appId);
    h.service.reconnectAll();
    await expect.poll(() => h.lark.connections(APP.appId).some((c) => c.id !== before!.id && c.pings > 0)).toBe(true);
    await expect.poll(() => h.lark.connections(APP.appId).length).toBe(1);
    await expect.poll(() => h.service.statuses()[0]?.state).toBe('connected');
  });
});
