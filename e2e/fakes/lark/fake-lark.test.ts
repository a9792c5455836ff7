import { afterEach, describe, expect, it } from 'vitest';
import * as lark from '@larksuiteoapi/node-sdk';
import WebSocket from 'ws';
import { FakeLarkPlatform, FrameMethod, buildMessageReceiveEvent, decodeFrame, encodeFrame } from './index.js';
import type { FakeLarkOptions, Frame } from './index.js';

// Conformance: the fake is exercised through the official SDK's own clients, so it cannot drift
// from what the SDK actually sends and accepts.

const APP = {
  appId: 'cli_0123456789abcdef',
  appSecret: 'secret-0123',
  botName: 'Desk Assistant',
  botOpenId: 'ou_bot0000000000000000000000000001',
};

type Log = (...msg: unknown[]) => void;
type SdkLogger = { error: Log; warn: Log; info: Log; debug: Log; trace: Log };
const silentLogger: SdkLogger = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} };

type Handlers = Record<string, (data: Record<string, unknown>) => unknown>;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startFake(opts: FakeLarkOptions = {}): Promise<FakeLarkPlatform> {
  const fake = await FakeLarkPlatform.start({ apps: [APP], ackTimeoutMs: 300, repushDelaysMs: [20, 20], ...opts });
  cleanups.push(() => fake.close());
  return fake;
}

interface StartedWs {
  ws: lark.WSClient;
  errors: Error[];
  reconnected: () => number;
}

function startWs(
  fake: FakeLarkPlatform,
  handlers: Handlers,
  extra: { appSecret?: string; logger?: SdkLogger; loggerLevel?: lark.LoggerLevel; onError?: (e: Error) => void } = {},
): StartedWs {
  const errors: Error[] = [];
  let reconnects = 0;
  const ws = new lark.WSClient({
    appId: APP.appId,
    appSecret: extra.appSecret ?? APP.appSecret,
    domain: fake.url,
    loggerLevel: extra.loggerLevel ?? lark.LoggerLevel.error,
    logger: extra.logger ?? silentLogger,
    onError: (e: Error) => {
      errors.push(e);
      extra.onError?.(e);
    },
    onReconnected: () => {
      reconnects += 1;
    },
  });
  cleanups.push(() => ws.close({ force: true }));
  const dispatcher = new lark.EventDispatcher({ loggerLevel: lark.LoggerLevel.error, logger: silentLogger }).register(handlers);
  void ws.start({ eventDispatcher: dispatcher });
  return { ws, errors, reconnected: () => reconnects };
}

// Each client gets its own token cache: the SDK's default cache is process-global and keyed by app
// id, so a token issued by an earlier test's fake would leak into the next test.
const newClient = (fake: FakeLarkPlatform, appSecret = APP.appSecret): lark.Client =>
  new lark.Client({
    appId: APP.appId,
    appSecret,
    domain: fake.url,
    cache: new lark.DefaultCache(),
    loggerLevel: lark.LoggerLevel.fatal,
    logger: silentLogger,
  });

function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function caught(
  p: Promise<unknown>,
): Promise<{ message?: string; isAxiosError?: boolean; response?: { status: number; data: { code: number } } }> {
  try {
    await p;
  } catch (err) {
    return err as Awaited<ReturnType<typeof caught>>;
  }
  throw new Error('expected the call to fail');
}

describe('fake-lark long connection against the official WSClient', () => {
  it('serves discovery with a usable URL, accepts the socket and answers the first ping with a pong the SDK applies', async () => {
    const fake = await startFake();
    const pongApplied = deferred();
    const logger: SdkLogger = {
      ...silentLogger,
      trace: (msg) => {
        if (String(msg).includes('update wsConfig with pong data')) pongApplied.resolve();
      },
    };
    startWs(fake, {}, { logger, loggerLevel: lark.LoggerLevel.trace });

    await fake.waitForConnections(APP.appId);
    await pongApplied.promise;

    const [discovery] = fake.requests({ method: 'POST', path: '/callback/ws/endpoint' });
    expect(discovery?.body).toEqual({ AppID: APP.appId, AppSecret: APP.appSecret });
    const [upgrade] = fake.requests({ path: '/ws/v2' });
    expect(Object.keys(upgrade?.query ?? {})).toEqual(['fpid', 'aid', 'device_id', 'access_key', 'service_id', 'ticket']);
    const [conn] = fake.connections(APP.appId);
    expect(conn?.pings).toBeGreaterThanOrEqual(1);
    expect(conn?.deviceId).toBe(upgrade?.query.device_id);
  });

  it('dispatches im.message.receive_v1 with flattened fields and records the 200 ack', async () => {
    const fake = await startFake();
    const received = deferred<Record<string, unknown>>();
    startWs(fake, { 'im.message.receive_v1': (data) => void received.resolve(data) });
    await fake.waitForConnections(APP.appId);

    const sent = fake.pushMessage(APP.appId, {
      chatType: 'group',
      chatId: 'oc_group1',
      text: '@_user_1 hello',
      senderOpenId: 'ou_alice',
      mentions: [{ key: '@_user_1', openId: APP.botOpenId, name: APP.botName, mentionedType: 'bot' }],
      threadId: 'omt_abc',
    });
    const data = await received.promise;
    const record = await fake.waitForAck(sent.push.pushId);

    expect(data).toMatchObject({
      schema: '2.0',
      event_id: sent.eventId,
      event_type: 'im.message.receive_v1',
      app_id: APP.appId,
      sender: { sender_id: { open_id: 'ou_alice' }, sender_type: 'user' },
      message: {
        message_id: sent.messageId,
        chat_id: 'oc_group1',
        chat_type: 'group',
        thread_id: 'omt_abc',
        message_type: 'text',
        content: JSON.stringify({ text: '@_user_1 hello' }),
        mentions: [{ key: '@_user_1', id: { open_id: APP.botOpenId, user_id: null }, name: APP.botName, mentioned_type: 'bot' }],
      },
    });
    expect(record).toMatchObject({ acked: true, ackCode: 200, attempts: 1, eventId: sent.eventId, eventType: 'im.message.receive_v1' });
    expect(record.ackData).toBeUndefined();
    expect(record.deliveredTo).toEqual([fake.connections(APP.appId)[0]?.id]);
  });

  it('reassembles a 2-fragment push sent out of order and dispatches it once', async () => {
    const fake = await startFake();
    const seen: string[] = [];
    startWs(fake, { 'im.message.receive_v1': (data) => void seen.push(String(data.event_id)) });
    await fake.waitForConnections(APP.appId);

    const app = { appId: APP.appId, tenantKey: 'tk', verificationToken: 'v' };
    const built = buildMessageReceiveEvent(app, { text: 'x'.repeat(2000) });
    const push = fake.push(APP.appId, built.envelope, { fragments: 2, outOfOrder: true });
    const record = await fake.waitForAck(push.pushId);

    expect(record.acked).toBe(true);
    expect(seen).toEqual([built.eventId]);
  });

  it('splits payloads above fragmentBytes into several frames that the SDK reassembles', async () => {
    const fake = await startFake({ fragmentBytes: 128 });
    const texts: string[] = [];
    startWs(fake, { 'im.message.receive_v1': (data) => void texts.push((data.message as { content: string }).content) });
    await fake.waitForConnections(APP.appId);

    const text = '多字节 '.repeat(100);
    const sent = fake.pushMessage(APP.appId, { text });
    await fake.waitForAck(sent.push.pushId);
    expect(texts).toEqual([JSON.stringify({ text })]);
  });

  it('re-pushes the same event after a handler throws (ack code 500), and gives up after the retries', async () => {
    const fake = await startFake({ repushDelaysMs: [20] });
    const calls: string[] = [];
    startWs(fake, {
      'im.message.receive_v1': (data) => {
        const message = data.message as { content: string };
        calls.push(String(data.event_id));
        if (message.content.includes('always') || calls.filter((id) => id === data.event_id).length === 1) throw new Error('boom');
      },
    });
    await fake.waitForConnections(APP.appId);

    const once = fake.pushMessage(APP.appId, { text: 'fails once' });
    const recovered = await fake.waitForAck(once.push.pushId);
    expect(recovered).toMatchObject({ acked: true, ackCode: 200, attempts: 2 });
    expect(calls.filter((id) => id === once.eventId)).toHaveLength(2);

    const always = fake.pushMessage(APP.appId, { text: 'always fails' });
    await expect(fake.waitForAck(always.push.pushId)).rejects.toThrow(/never acked.*2 attempt/);
    expect(always.push).toMatchObject({ acked: false, ackCode: 500, attempts: 2 });
  });

  it('re-pushes when the handler is slower than ackTimeoutMs and ignores the late ack', async () => {
    const fake = await startFake({ ackTimeoutMs: 100, repushDelaysMs: [10] });
    const secondDelivery = deferred();
    let calls = 0;
    startWs(fake, {
      'im.message.receive_v1': async () => {
        calls += 1;
        // The first delivery only finishes once the platform has already re-pushed.
        if (calls === 1) await secondDelivery.promise;
        else secondDelivery.resolve();
      },
    });
    await fake.waitForConnections(APP.appId);

    const sent = fake.pushMessage(APP.appId, { text: 'slow' });
    const record = await fake.waitForAck(sent.push.pushId);
    expect(record).toMatchObject({ acked: true, ackCode: 200, attempts: 2 });
    expect(calls).toBe(2);
  });

  it('delivers card.action.trigger as a type:event frame and decodes the handler result from the ack', async () => {
    const fake = await startFake();
    const received = deferred<Record<string, unknown>>();
    startWs(fake, {
      'card.action.trigger': (data) => {
        received.resolve(data);
        return { toast: { type: 'success', content: 'ok' } };
      },
    });
    await fake.waitForConnections(APP.appId);

    const push = fake.pushCardAction(APP.appId, { openMessageId: 'om_card', openChatId: 'oc_chat', value: { action: 'approve' } });
    const record = await fake.waitForAck(push.pushId);
    const data = await received.promise;

    expect(record.ackData).toEqual({ toast: { type: 'success', content: 'ok' } });
    expect(record.eventType).toBe('card.action.trigger');
    // lark/README.md §3.1: the flattened event.token (card token) overwrites header.token.
    expect(String(data.token)).toMatch(/^c-/);
    expect(data).toMatchObject({
      action: { value: { action: 'approve' }, tag: 'button' },
      context: { open_message_id: 'om_card', open_chat_id: 'oc_chat' },
    });
  });

  it('gets no ack for a type:card frame (the SDK ignores it)', async () => {
    const fake = await startFake({ ackTimeoutMs: 150, repushDelaysMs: [] });
    let calls = 0;
    startWs(fake, { 'card.action.trigger': () => void (calls += 1) });
    await fake.waitForConnections(APP.appId);

    const push = fake.push(
      APP.appId,
      { schema: '2.0', header: { event_id: 'e1', event_type: 'card.action.trigger' }, event: {} },
      { frameType: 'card' },
    );
    await expect(fake.waitForAck(push.pushId)).rejects.toThrow(/never acked/);
    expect(push).toMatchObject({ acked: false, attempts: 1 });
    expect(push.ackCode).toBeUndefined();
    expect(calls).toBe(0);
  });

  it('queues pushes until a client connects, and the SDK reconnects (new discovery) after dropConnections', async () => {
    const fake = await startFake();
    const seen: string[] = [];
    const queued = fake.pushMessage(APP.appId, { text: 'before connect' });
    const client = startWs(fake, { 'im.message.receive_v1': (data) => void seen.push(String(data.event_id)) });

    await fake.waitForAck(queued.push.pushId);
    expect(seen).toEqual([queued.eventId]);
    const first = fake.connections(APP.appId)[0]?.id;

    fake.dropConnections(APP.appId);
    expect(fake.connections(APP.appId)).toHaveLength(0);
    await fake.waitForConnections(APP.appId);

    expect(fake.connections(APP.appId)[0]?.id).not.toBe(first);
    expect(fake.requests({ path: '/callback/ws/endpoint' })).toHaveLength(2);
    expect(client.reconnected()).toBe(1);
    const after = fake.pushMessage(APP.appId, { text: 'after reconnect' });
    await fake.waitForAck(after.push.pushId);
  });

  it('a discovery error with data:{URL:""} is terminal for the SDK (onError, no retry)', async () => {
    const fake = await startFake();
    fake.setDiscoveryError(APP.appId, { code: 1000040346, msg: 'app_id is invalid' });
    const failed = deferred<Error>();
    const client = startWs(fake, {}, { onError: (e) => failed.resolve(e) });

    expect((await failed.promise).message).toContain('1000040346');
    expect(client.ws.getConnectionStatus().state).toBe('failed');
    expect(fake.requests({ path: '/callback/ws/endpoint' })).toHaveLength(1);
  });

  it('rejects wrong credentials at discovery with 1000040346', async () => {
    const fake = await startFake();
    const failed = deferred<Error>();
    startWs(fake, {}, { appSecret: 'wrong', onError: (e) => failed.resolve(e) });
    expect((await failed.promise).message).toContain('code=1000040346');
  });
});

describe('fake-lark long connection wire details (raw socket)', () => {
  async function discover(fake: FakeLarkPlatform): Promise<string> {
    const res = await fetch(`${fake.url}/callback/ws/endpoint`, {
      method: 'POST',
      body: JSON.stringify({ AppID: APP.appId, AppSecret: APP.appSecret }),
    });
    const body = (await res.json()) as { data: { URL: string } };
    return body.data.URL;
  }

  function openRaw(url: string): Promise<{ socket: WebSocket; frames: Frame[]; next: () => Promise<Frame> }> {
    const socket = new WebSocket(url);
    cleanups.push(() => socket.terminate());
    const frames: Frame[] = [];
    let waiting: ((f: Frame) => void) | undefined;
    socket.on('message', (data: Buffer) => {
      const frame = decodeFrame(data);
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w(frame);
      } else frames.push(frame);
    });
    const next = (): Promise<Frame> => {
      const queued = frames.shift();
      return queued ? Promise.resolve(queued) : new Promise((resolve) => (waiting = resolve));
    };
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve({ socket, frames, next }));
      socket.once('error', reject);
    });
  }

  const ping = (service: number): Uint8Array =>
    encodeFrame({ SeqID: 0, LogID: 0, service, method: FrameMethod.control, headers: [{ key: 'type', value: 'ping' }] });

  it('sends pong with ClientConfig, all five data headers per fragment, last fragment first when outOfOrder', async () => {
    const clientConfig = { PingInterval: 7, ReconnectCount: 3, ReconnectInterval: 2, ReconnectNonce: 0 };
    const fake = await startFake({ clientConfig, ackTimeoutMs: 5000 });
    const url = await discover(fake);
    const service = Number(new URL(url).searchParams.get('service_id'));
    const raw = await openRaw(url);

    raw.socket.send(ping(service));
    const pong = await raw.next();
    expect(pong).toMatchObject({ method: FrameMethod.control, service, headers: [{ key: 'type', value: 'pong' }] });
    expect(JSON.parse(Buffer.from(pong.payload ?? []).toString())).toEqual(clientConfig);

    const push = fake.push(
      APP.appId,
      { schema: '2.0', header: { event_id: 'e', event_type: 't' }, event: { pad: 'é'.repeat(50) } },
      { fragments: 3, outOfOrder: true },
    );
    const got = [await raw.next(), await raw.next(), await raw.next()];
    const headers = got.map((f) => Object.fromEntries(f.headers.map((h) => [h.key, h.value])));
    expect(headers.map((h) => h.seq)).toEqual(['2', '0', '1']);
    for (const h of headers) {
      expect(Object.keys(h).sort()).toEqual(['message_id', 'seq', 'sum', 'trace_id', 'type']);
      expect(h).toMatchObject({ type: 'event', message_id: push.pushId, sum: '3' });
    }
    const ordered = [got[1], got[2], got[0]].map((f) => Buffer.from(f?.payload ?? []));
    expect(JSON.parse(Buffer.concat(ordered).toString('utf8'))).toMatchObject({ event: { pad: 'é'.repeat(50) } });

    // Ack like the SDK: echo the completing frame, add a negative biz_rt, payload {code:200,data}.
    const last = got[2] as Frame;
    raw.socket.send(
      encodeFrame({
        ...last,
        headers: [...last.headers, { key: 'biz_rt', value: '-6' }],
        payload: Buffer.from(JSON.stringify({ code: 200, data: Buffer.from(JSON.stringify({ ok: 1 })).toString('base64') })),
      }),
    );
    const record = await fake.waitForAck(push.pushId);
    expect(record).toMatchObject({ acked: true, ackCode: 200, ackData: { ok: 1 } });
    expect(record.ackLatencyMs).toBeGreaterThanOrEqual(0);
  });

  it('refuses upgrades without a live discovery ticket, reuse of a ticket, and injected handshake rejections', async () => {
    const fake = await startFake();
    const url = await discover(fake);
    const status = (u: string): Promise<{ code: number; headers: Record<string, string | string[] | undefined> }> =>
      new Promise((resolve) => {
        const socket = new WebSocket(u);
        socket.on('unexpected-response', (_req, res) => {
          resolve({ code: res.statusCode ?? 0, headers: res.headers });
          socket.terminate();
        });
        socket.on('open', () => {
          resolve({ code: 101, headers: {} });
          socket.terminate();
        });
        socket.on('error', () => {});
      });

    const forged = new URL(url);
    forged.searchParams.set('access_key', 'nope');
    expect((await status(forged.toString())).code).toBe(514);
    // The forged attempt consumed the ticket.
    expect((await status(url)).code).toBe(514);

    fake.rejectHandshakes(APP.appId, { status: 514, autherrcode: 1000040350, msg: 'exceed connection limit' });
    const refused = await status(await discover(fake));
    expect(refused.code).toBe(514);
    expect(refused.headers).toMatchObject({
      'handshake-status': '514',
      'handshake-autherrcode': '1000040350',
      'handshake-msg': 'exceed connection limit',
    });

    fake.rejectHandshakes(APP.appId, null);
    expect((await status(await discover(fake))).code).toBe(101);
  });
});

describe('fake-lark REST against the official Client', () => {
  it('creates one message for two replies with the same uuid, threaded under the pushed message', async () => {
    const fake = await startFake();
    const client = newClient(fake);
    const incoming = fake.pushMessage(APP.appId, {
      chatType: 'group',
      chatId: 'oc_team',
      text: 'hi',
      threadId: 'omt_t1',
      rootId: 'om_root',
    });

    const request = {
      path: { message_id: incoming.messageId },
      data: { msg_type: 'text', content: JSON.stringify({ text: 'hello back' }), uuid: 'reply-1' },
    };
    const first = await client.im.v1.message.reply(request);
    const second = await client.im.v1.message.reply(request);

    expect(second.data?.message_id).toBe(first.data?.message_id);
    expect(first).toMatchObject({
      code: 0,
      data: {
        chat_id: 'oc_team',
        parent_id: incoming.messageId,
        root_id: 'om_root',
        thread_id: 'omt_t1',
        msg_type: 'text',
        body: { content: '{"text":"hello back"}' },
        sender: { id: APP.appId, id_type: 'app_id', sender_type: 'app' },
      },
    });
    const messages = await fake.waitForMessages({ replyTo: incoming.messageId });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      chatId: 'oc_team',
      uuid: 'reply-1',
      threadId: 'omt_t1',
      rootId: 'om_root',
      content: '{"text":"hello back"}',
    });
    expect(fake.requests({ method: 'POST', path: /\/reply$/ })).toHaveLength(2);
  });

  it('opens a thread on reply_in_thread and sends to a user into their p2p chat', async () => {
    const fake = await startFake();
    const client = newClient(fake);
    const dm = fake.pushMessage(APP.appId, { chatType: 'p2p', senderOpenId: 'ou_bob', text: 'hey' });

    const threaded = await client.im.v1.message.reply({
      path: { message_id: dm.messageId },
      data: { msg_type: 'text', content: '{"text":"a"}', reply_in_thread: true },
    });
    const again = await client.im.v1.message.reply({
      path: { message_id: dm.messageId },
      data: { msg_type: 'text', content: '{"text":"b"}' },
    });
    expect(threaded.data?.thread_id).toMatch(/^omt_/);
    expect(again.data?.thread_id).toBe(threaded.data?.thread_id);

    const sent = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: 'ou_bob', msg_type: 'text', content: '{"text":"c"}' },
    });
    expect(sent.data?.chat_id).toBe(fake.sentMessages({ replyTo: dm.messageId })[0]?.chatId);

    const unknown = await client.im.v1.message.reply({
      path: { message_id: 'om_never_seen' },
      data: { msg_type: 'text', content: '{"text":"d"}' },
    });
    expect(unknown.data?.chat_id).toBe('unknown');
  });

  it('validates msg_type, content and size with 230001 / 230025', async () => {
    const fake = await startFake();
    const client = newClient(fake);
    const send = (data: { msg_type: string; content: string }) =>
      caught(client.im.v1.message.create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_x', ...data } }));

    expect((await send({ msg_type: 'bogus', content: '{}' })).response?.data.code).toBe(230001);
    expect((await send({ msg_type: 'text', content: 'not json' })).response?.data.code).toBe(230001);
    const tooLong = await send({ msg_type: 'interactive', content: JSON.stringify({ t: 'x'.repeat(31 * 1024) }) });
    expect(tooLong.response).toMatchObject({ status: 400, data: { code: 230025 } });
    expect(fake.sentMessages()).toHaveLength(0);
  });

  it('surfaces failNext as an AxiosError with the injected body, then serves normally', async () => {
    const fake = await startFake();
    const client = newClient(fake);
    fake.failNext(
      { method: 'POST', path: '/open-apis/im/v1/messages' },
      { status: 400, body: { code: 230020, msg: 'trigger frequency limit' } },
    );
    const create = () =>
      client.im.v1.message.create({
        params: { receive_id_type: 'chat_id' },
        data: { receive_id: 'oc_x', msg_type: 'text', content: '{"text":"x"}' },
      });

    const err = await caught(create());
    expect(err.isAxiosError).toBe(true);
    expect(err.response).toMatchObject({ status: 400, data: { code: 230020 } });
    await expect(create()).resolves.toMatchObject({ code: 0 });
    expect(fake.sentMessages({ chatId: 'oc_x' })).toHaveLength(1);
  });

  it('delayNext holds a response for the given time', async () => {
    const fake = await startFake();
    const client = newClient(fake);
    await client.request({ url: '/open-apis/bot/v3/info', method: 'GET' });
    fake.delayNext({ path: '/open-apis/bot/v3/info' }, 150);
    const started = Date.now();
    await client.request({ url: '/open-apis/bot/v3/info', method: 'GET' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('returns bot info, and 99991663 after expireTokens until a new token is fetched', async () => {
    const fake = await startFake();
    const client = newClient(fake);
    const info = await client.request({ url: '/open-apis/bot/v3/info', method: 'GET' });
    expect(info).toEqual({
      code: 0,
      msg: 'ok',
      bot: { activate_status: 2, app_name: APP.botName, avatar_url: '', ip_white_list: [], open_id: APP.botOpenId },
    });

    fake.expireTokens();
    const err = await caught(client.request({ url: '/open-apis/bot/v3/info', method: 'GET' }));
    expect(err.response).toMatchObject({ status: 400, data: { code: 99991663 } });

    // A fresh client (fresh cache) fetches a new token and succeeds.
    await expect(newClient(fake).request({ url: '/open-apis/bot/v3/info', method: 'GET' })).resolves.toMatchObject({ code: 0 });
    expect(fake.requests({ path: '/open-apis/auth/v3/tenant_access_token/internal' })).toHaveLength(2);
  });

  it('answers the token endpoint and auth failures with the documented codes', async () => {
    const fake = await startFake();
    const err = await caught(newClient(fake, 'wrong').request({ url: '/open-apis/bot/v3/info', method: 'GET' }));
    expect(err.message).toContain('code: 10014');

    const token = async (body: object) =>
      (await fetch(`${fake.url}/open-apis/auth/v3/tenant_access_token/internal`, { method: 'POST', body: JSON.stringify(body) })).json();
    expect(await token({ app_id: 'cli_0000000000000000', app_secret: 'x' })).toEqual({ code: 10014, msg: 'app id not exists' });
    expect(await token({ app_id: APP.appId, app_secret: 'x' })).toEqual({ code: 10014, msg: 'app secret invalid' });
    expect(await token({ app_id: 'nope', app_secret: 'x' })).toEqual({ code: 10003, msg: 'invalid param', data: {} });

    const noAuth = await fetch(`${fake.url}/open-apis/bot/v3/info`);
    expect(noAuth.status).toBe(400);
    expect(await noAuth.json()).toMatchObject({ code: 99991661 });
    const badAuth = await fetch(`${fake.url}/open-apis/bot/v3/info`, { headers: { authorization: 'Bearer t-unknown' } });
    expect(await badAuth.json()).toMatchObject({ code: 99991663 });
    const notFound = await fetch(`${fake.url}/nowhere`);
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ code: 404, msg: 'not found' });
  });
});
