import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeCard, FakeLarkPlatform } from '../../fakes/lark';
import { FakeOpenAi } from '../../fakes/openai/server';
import { APP, postText, RuntimeHarness } from '../../support/runtime-harness';
import { HeadlessProcess } from '../../support/headless-process';
import { startPrivateRedis } from '../../support/redis-server';
import { FakeKocoro } from '../../fakes/kocoro/server';
import { WebhookServer } from '@core/webhook/server';

/**
 * Webhook mode end to end (issue 21; lark/README.md §4, §11): `npm run headless -- --webhook
 * 127.0.0.1:0` with one bot set to `receive: webhook`, the fake platform POSTing signed, encrypted
 * requests to the address it prints.
 */
const ENCRYPT_KEY = 'enc-key-webhook-0001';
const TOKEN = 'vtok-webhook-0001';
const DELETE = { tool: 'bash', args: { command: 'rm notes.txt', description: 'Delete the notes file' }, approval: true };

let lark: FakeLarkPlatform;
let model: FakeOpenAi;
let dir: string;
let proc: HeadlessProcess | undefined;

beforeEach(async () => {
  lark = await FakeLarkPlatform.start({ apps: [APP] });
  model = await FakeOpenAi.start({ apiKey: 'sk-model-key-0042' });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-webhook-'));
});
afterEach(async () => {
  if (proc && proc.child.exitCode === null && proc.child.signalCode === null) {
    proc.kill('SIGKILL');
    await proc.exited;
  }
  proc = undefined;
  await lark.close();
  await model.close();
  await fs.rm(dir, { recursive: true, force: true });
});

async function startHeadless(bot: object = {}, args: string[] = []): Promise<HeadlessProcess> {
  const file = path.join(dir, 'config.json');
  const config = {
    agents: [
      { id: 'echo', name: 'Echo', provider: { type: 'echo' } },
      {
        id: 'assistant',
        name: 'Assistant',
        provider: { type: 'openai', baseUrl: model.baseUrl, apiKey: 'sk-model-key-0042', model: 'test' },
      },
    ],
    bots: [
      {
        id: 'team-bot',
        platform: 'feishu',
        appId: APP.appId,
        appSecret: 'env:TEST_APP_SECRET',
        encryptKey: 'env:TEST_ENCRYPT_KEY',
        verificationToken: 'env:TEST_TOKEN',
        receive: 'webhook',
        agentId: 'echo',
        domain: lark.url,
        replyMode: { dm: 'message', group: 'message' },
        ...bot,
      },
    ],
  };
  await fs.writeFile(file, JSON.stringify(config));
  proc = HeadlessProcess.start(['--config', file, '--data-dir', path.join(dir, 'data'), '--webhook', '127.0.0.1:0', ...args], {
    TEST_APP_SECRET: APP.appSecret,
    TEST_ENCRYPT_KEY: ENCRYPT_KEY,
    TEST_TOKEN: TOKEN,
  });
  return proc;
}

/** The Stop button's value on a streaming card. */
function stopValue(card: FakeCard): unknown {
  const elements = (card.json.body as { elements: Array<{ tag: string; behaviors?: Array<{ value: unknown }> }> }).elements;
  return elements.find((e) => e.tag === 'button')?.behaviors?.[0]?.value;
}

describe('webhook mode (npm run headless -- --webhook)', () => {
  it('answers a signed, encrypted DM once; the same request replayed gets no second answer; the challenge both ways', async () => {
    const p = await startHeadless();
    const url = await p.waitForStderr(/^Webhook: (http:\/\/127\.0\.0\.1:\d+\/webhook\/team-bot)$/m);
    const connected = await p.waitForLog('bot.connected', { bot: 'team-bot' });
    expect(connected.reason).toMatch(/by webhook/);
    lark.setWebhook(APP.appId, { url, encryptKey: ENCRYPT_KEY, verificationToken: TOKEN });

    for (const encrypt of [true, false]) {
      const verification = await lark.verifyWebhookUrl(APP.appId, { encrypt });
      expect(verification).toMatchObject({ encrypted: encrypt, answered: true });
    }

    const m = lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'hello over https' });
    const acked = await lark.waitForAck(m.push.pushId);
    expect(acked.via).toBe('webhook');
    await p.waitForLog('reply.sent', { messageId: m.messageId });
    expect(lark.sentMessages({ replyTo: m.messageId }).map((r) => postText(r.content))).toEqual(['hello over https']);

    // The same bytes again (a replay, or a re-push not signed afresh): 200, and no second answer.
    const { request, messageId } = lark.webhookRequest(APP.appId, { message: { chatType: 'p2p', text: 'once only' } });
    expect((await lark.sendWebhook(APP.appId, request)).status).toBe(200);
    await p.waitForLog('reply.sent', { messageId });
    expect((await lark.sendWebhook(APP.appId, request)).status).toBe(200);
    await p.waitForLog('message.duplicate', { messageId });
    await new Promise((r) => setTimeout(r, 300));
    expect(lark.sentMessages({ replyTo: messageId! })).toHaveLength(1);
    expect(p.stdout + p.stderr).not.toContain(ENCRYPT_KEY);
    expect(p.stdout + p.stderr).not.toContain(TOKEN);
  });

  it('refuses a wrong signature, a two-day-old timestamp, a wrong token and a body altered by one byte: logged, no answer', async () => {
    const p = await startHeadless();
    const url = await p.waitForStderr(/^Webhook: (http:\/\/\S+)$/m);
    await p.waitForLog('bot.connected', { bot: 'team-bot' });
    lark.setWebhook(APP.appId, { url, encryptKey: ENCRYPT_KEY, verificationToken: TOKEN });

    const cases: Array<{
      reason: string;
      build: () => { request: { headers: Record<string, string>; body: Buffer }; messageId?: string };
    }> = [
      {
        reason: 'signature-mismatch',
        build: () => lark.webhookRequest(APP.appId, { message: { text: 'a' } }, { encryptKey: 'not-the-key' }),
      },
      {
        reason: 'timestamp-stale',
        build: () => lark.webhookRequest(APP.appId, { message: { text: 'b' } }, { timestamp: Math.floor(Date.now() / 1000) - 2 * 86_400 }),
      },
      { reason: 'token-mismatch', build: () => lark.webhookRequest(APP.appId, { message: { text: 'c' } }, { token: 'vtok-wrong' }) },
      {
        reason: 'signature-mismatch',
        build: () => {
          const built = lark.webhookRequest(APP.appId, { message: { text: 'd' } });
          const body = Buffer.from(built.request.body);
          body[body.length - 3] = body[body.length - 3] === 0x41 ? 0x42 : 0x41;
          return { ...built, request: { ...built.request, body } };
        },
      },
    ];
    for (const { reason, build } of cases) {
      const { request, messageId } = build();
      const res = await lark.sendWebhook(APP.appId, request);
      expect(res.status).toBe(401);
      await p.waitForLog('webhook.refused', { bot: 'team-bot', reason });
      expect(lark.sentMessages({ replyTo: messageId! })).toHaveLength(0);
    }
    expect(p.lines().filter((l) => l.event === 'message.accepted')).toHaveLength(0);
    expect(p.child.exitCode).toBeNull();
  });

  it('acknowledges a message before the agent finishes, and answers a Stop click over the webhook with its toast within 3 s', async () => {
    const LONG = Array.from({ length: 200 }, (_, i) => `sentence ${i}.`).join(' ');
    model.options = { ...model.options, chunkChars: 4, chunkDelayMs: 30, reply: () => LONG };
    // Lark: the bot speaks English.
    const p = await startHeadless({ agentId: 'assistant', replyMode: undefined, platform: 'lark' });
    const url = await p.waitForStderr(/^Webhook: (http:\/\/\S+)$/m);
    await p.waitForLog('bot.connected', { bot: 'team-bot' });
    lark.setWebhook(APP.appId, { url, encryptKey: ENCRYPT_KEY, verificationToken: TOKEN });

    const { messageId, push } = lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'go on and on' });
    const acked = await lark.waitForAck(push.pushId);
    expect(acked.ackLatencyMs!).toBeLessThan(3_000);
    // The agent streams for seconds more: the platform had its 200 long before.
    expect(p.lines().some((l) => l.event === 'reply.sent' && l.messageId === messageId)).toBe(false);

    const cardOf = () => {
      const message = lark.sentMessages({ replyTo: messageId }).find((m) => m.cardId);
      return message && { message, card: lark.card(message.cardId!)! };
    };
    await expect
      .poll(() => cardOf()?.card.ops.some((op) => op.kind === 'content' && op.content!.length > 10), { timeout: 10_000 })
      .toBe(true);
    const { message, card } = cardOf()!;
    const click = lark.pushCardAction(APP.appId, { openMessageId: message.messageId, openChatId: message.chatId, value: stopValue(card) });
    const ack = await lark.waitForAck(click.pushId);
    expect(ack.via).toBe('webhook');
    expect(ack.ackData).toMatchObject({ toast: { type: 'info', content: 'Stopped' } });
    expect(ack.ackLatencyMs!).toBeLessThan(3_000);
    await p.waitForLog('reply.sent', { messageId });
    await expect.poll(() => lark.cardText(card.cardId)?.endsWith('\n\n_Stopped._')).toBe(true);
  });

  it(
    'a message that cannot be stored (its state store away) is answered 5xx, and its re-push once back is answered once',
    { timeout: 60_000 },
    async () => {
      const redis = await startPrivateRedis();
      try {
        const p = await startHeadless({}, ['--state', redis.url]);
        const url = await p.waitForStderr(/^Webhook: (http:\/\/\S+)$/m);
        await p.waitForLog('bot.connected', { bot: 'team-bot' });
        lark.setWebhook(APP.appId, { url, encryptKey: ENCRYPT_KEY, verificationToken: TOKEN });
        await redis.kill();
        const m = lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'while the store is away' });
        await expect
          .poll(() => lark.pushes().find((r) => r.pushId === m.push.pushId)?.webhookAttempts?.[0]?.outcome, { timeout: 10_000 })
          .toBe('server-error');
        await redis.restart();
        const acked = await lark.waitForAck(m.push.pushId, 30_000);
        expect(acked.attempts).toBeGreaterThan(1);
        await p.waitForLog('reply.sent', { messageId: m.messageId }, 20_000);
        await new Promise((r) => setTimeout(r, 300));
        expect(lark.sentMessages({ replyTo: m.messageId })).toHaveLength(1);
      } finally {
        proc?.kill('SIGKILL');
        await proc?.exited;
        await redis.dispose();
      }
    },
  );

  it('two replicas on one Redis behind a load balancer: each message answered once, in order per chat', { timeout: 90_000 }, async () => {
    const redis = await startPrivateRedis();
    const replicas: HeadlessProcess[] = [];
    const targets: string[] = [];
    // The load balancer: each request to the next replica in turn, body and headers as they came.
    let turn = 0;
    const balancer = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const target = new URL(req.url ?? '/', targets[turn++ % targets.length]);
        const out = http.request(target, { method: req.method, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        out.on('error', () => res.writeHead(502).end());
        out.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => balancer.listen(0, '127.0.0.1', resolve));
    try {
      const file = path.join(dir, 'replicas.json');
      const bot = {
        id: 'team-bot',
        platform: 'feishu',
        appId: APP.appId,
        appSecret: APP.appSecret,
        encryptKey: ENCRYPT_KEY,
        verificationToken: TOKEN,
        receive: 'webhook',
        agentId: 'echo',
        domain: lark.url,
        replyMode: { dm: 'message', group: 'message' },
      };
      await fs.writeFile(file, JSON.stringify({ agents: [{ id: 'echo', name: 'Echo', provider: { type: 'echo' } }], bots: [bot] }));
      for (const n of [0, 1]) {
        const args = ['--config', file, '--data-dir', path.join(dir, `data-${n}`), '--state', redis.url, '--webhook', '127.0.0.1:0'];
        const replica = HeadlessProcess.start(args);
        replicas.push(replica);
        targets.push(new URL(await replica.waitForStderr(/^Webhook: (http:\/\/\S+)$/m)).origin);
        await replica.waitForLog('bot.connected', { bot: 'team-bot' });
      }
      const { port } = balancer.address() as AddressInfo;
      lark.setWebhook(APP.appId, { url: `http://127.0.0.1:${port}/webhook/team-bot`, encryptKey: ENCRYPT_KEY, verificationToken: TOKEN });

      const sent = new Map<string, Array<{ messageId: string; text: string }>>();
      for (let i = 0; i < 24; i++) {
        const person = `ou_lbperson${String(i % 4).padStart(24, '0')}`;
        const text = `question ${i} from ${i % 4}`;
        const m = lark.pushMessage(APP.appId, { chatType: 'p2p', senderOpenId: person, text });
        sent.set(person, [...(sent.get(person) ?? []), { messageId: m.messageId, text }]);
        await new Promise((r) => setTimeout(r, 40));
      }
      const all = [...sent.values()].flat();
      await expect
        .poll(() => all.filter((m) => lark.sentMessages({ replyTo: m.messageId }).length > 0).length, { timeout: 30_000 })
        .toBe(24);
      await new Promise((r) => setTimeout(r, 500));
      for (const m of all) expect(lark.sentMessages({ replyTo: m.messageId }).map((r) => postText(r.content))).toEqual([m.text]);
      for (const [person, messages] of sent) {
        const answeredAt = messages.map((m) => lark.sentMessages({ replyTo: m.messageId })[0]!.createdAt);
        expect(answeredAt, `${person}: answers in the order asked`).toEqual([...answeredAt].sort((a, b) => a - b));
      }
      // Both replicas took requests and answered some.
      for (const replica of replicas) expect(replica.lines().filter((l) => l.event === 'reply.sent').length).toBeGreaterThan(0);
    } finally {
      for (const replica of replicas) {
        replica.kill('SIGKILL');
        await replica.exited;
      }
      await new Promise((resolve) => balancer.close(resolve));
      await redis.dispose();
    }
  });

  it('exits 2 naming the flag when --webhook is not [HOST:]PORT', async () => {
    const p = await startHeadless({}, ['--webhook', 'http://nope:80']);
    expect((await p.exited).code).toBe(2);
    expect(p.stderr).toMatch(/--webhook: "http:\/\/nope:80" is not \[HOST:\]PORT/);
  });

  it('a webhook bot without its Verification Token fails to start, naming the field', async () => {
    const p = await startHeadless({ verificationToken: undefined });
    const failed = await p.waitForLog('bot.failed', { bot: 'team-bot' });
    expect(failed.reason).toMatch(/verificationToken is missing/);
  });
});

describe('webhook mode in process (BotManager with a WebhookServer)', () => {
  let h: RuntimeHarness | undefined;
  let daemon: FakeKocoro | undefined;
  let server: WebhookServer | undefined;
  afterEach(async () => {
    await h?.dispose();
    await daemon?.close();
    await server?.close(0);
    h = daemon = server = undefined;
  });

  it('an approver’s Allow on the approval card comes back over the webhook within 3 s and the answer follows; the bot opened no long connection', async () => {
    const APPROVER = 'ou_approver000000001';
    daemon = await FakeKocoro.start({ approvalTimeoutMs: 60_000, replyInDoneOnly: true, tools: [DELETE] });
    h = await RuntimeHarness.create();
    server = await WebhookServer.start({ port: 0, logger: h.logger });
    const agent = {
      id: 'kocoro',
      name: 'Kocoro',
      provider: { type: 'kocoro' as const, url: daemon.url, stateDir: daemon.stateDir, agent: 'default' },
    };
    const bot = h.bot({
      agentId: 'kocoro',
      replyMode: undefined,
      approvers: [APPROVER],
      receive: 'webhook',
      encryptKey: ENCRYPT_KEY,
      verificationToken: TOKEN,
    });
    await h.start({ agents: [agent], bots: [bot] }, { webhook: server });
    h.lark.setWebhook(APP.appId, { url: server.urlFor('team-bot'), encryptKey: ENCRYPT_KEY, verificationToken: TOKEN });
    expect(h.manager.status('team-bot')).toMatchObject({
      state: 'connected',
      reason: "by webhook: waiting for the platform's first request",
    });

    const { messageId } = h.lark.pushMessage(APP.appId, {
      chatType: 'p2p',
      senderOpenId: 'ou_asker000000000001',
      text: 'please delete my notes',
    });
    const isApproval = (c: FakeCard) => JSON.stringify(c.json).includes('"kocoro":"approval"');
    const cardsOf = () => h!.lark.sentMessages({ replyTo: messageId }).filter((m) => m.cardId);
    await expect.poll(() => cardsOf().find((m) => isApproval(h!.lark.card(m.cardId!)!)), { timeout: 5_000 }).toBeDefined();
    const sent = cardsOf().find((m) => isApproval(h!.lark.card(m.cardId!)!))!;
    const value = { kocoro: 'approval', requestId: daemon.approvals.at(-1)!.requestId, decision: 'allow' };
    const click = h.lark.pushCardAction(APP.appId, {
      openMessageId: sent.messageId,
      openChatId: sent.chatId,
      operatorOpenId: APPROVER,
      value,
    });
    const ack = await h.lark.waitForAck(click.pushId);
    expect(ack.via).toBe('webhook');
    expect(ack.ackLatencyMs!).toBeLessThan(3_000);
    expect(ack.ackData).toMatchObject({ toast: { type: 'success', content: 'Allowed' } });
    expect(daemon.approvals[0]!.decision).toBe('allow');
    await expect.poll(() => h!.events('reply.sent').some((e) => e.messageId === messageId), { timeout: 10_000 }).toBe(true);
    expect(h.manager.status('team-bot')).toMatchObject({ state: 'connected', reason: 'by webhook' });
    expect(h.lark.connections(APP.appId)).toHaveLength(0);
  });
});
