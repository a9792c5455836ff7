import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import * as lark from '@larksuiteoapi/node-sdk';
import { buildWebhookRequest, decryptWebhookPayload, encryptWebhookPayload, sendWebhookRequest, webhookSignature } from './index.js';
import type { FakeLarkPlatform, FakeWebhook } from './index.js';
import { APP, newClient, onCleanup, startFake } from './sdk-test-kit.js';

// Webhook mode (lark/README.md §4, §2.9, §3.5; §11), against a request URL
// served by this test on 127.0.0.1 with real sockets. The receiver checks what it gets with its own code and
// the SDK's AESCipher, not with the fake's helpers.

const KEY = 'test key';
const TOKEN = 'vtok-0123';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  at: number;
}

type Answer = { status: number; body?: string; delayMs?: number } | 'hang' | 'destroy';

/** A request URL on loopback: records every request, answers as `answer` says for the n-th one (0-based). */
async function receiver(answer: (req: Received, n: number) => Answer = () => ({ status: 200, body: '{}' })) {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { path: req.url ?? '/', headers: req.headers, raw: Buffer.concat(chunks), at: Date.now() };
      const a = answer(r, received.length);
      received.push(r);
      if (a === 'hang') return void hanging.push(res);
      if (a === 'destroy') return void req.socket.destroy();
      const reply = (): void => {
        res.writeHead(a.status, { 'content-type': 'application/json' });
        res.end(a.body ?? '');
      };
      if (a.delayMs) setTimeout(reply, a.delayMs);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/bot1`;
  return { url, received, hanging };
}

/** The receiver's own check (lark/README.md §4.3): SHA-256 over timestamp + nonce + key + raw body, constant time. */
function signatureOk(r: Received, key: string): boolean {
  const ts = r.headers['x-lark-request-timestamp'];
  const nonce = r.headers['x-lark-request-nonce'];
  const sig = r.headers['x-lark-signature'];
  if (typeof ts !== 'string' || typeof nonce !== 'string' || typeof sig !== 'string') return false;
  const want = createHash('sha256')
    .update(Buffer.concat([Buffer.from(ts + nonce + key), r.raw]))
    .digest();
  const got = Buffer.from(sig, 'hex');
  return got.byteLength === want.byteLength && timingSafeEqual(got, want);
}

/** Decrypts with the SDK's own cipher. */
function open(r: Received, key = KEY): Record<string, unknown> {
  const outer = JSON.parse(r.raw.toString('utf8')) as { encrypt?: string };
  if (outer.encrypt === undefined) return outer as Record<string, unknown>;
  return JSON.parse(new lark.AESCipher(key).decrypt(outer.encrypt)) as Record<string, unknown>;
}

async function webhookFake(webhook: FakeWebhook, opts: Parameters<typeof startFake>[0] = {}) {
  return startFake({ apps: [{ ...APP, webhook }], ...opts });
}

const until = async (probe: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('webhook crypto (lark/README.md §4.2, §4.3, §4.5)', () => {
  it('decrypts the docs test vector, and the SDK AESCipher decrypts what the fake encrypts', () => {
    expect(decryptWebhookPayload('P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=', 'test key')).toBe('hello world');
    expect(new lark.AESCipher('test key').decrypt('P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=')).toBe('hello world');
    for (const text of ['', 'x', '0123456789abcdef', '{"challenge":"c","token":"t"}', '你好, 世界 🎉'.repeat(7)]) {
      for (const key of ['test key', 'k', 'ключ-密钥']) {
        const enc = encryptWebhookPayload(text, key);
        expect(new lark.AESCipher(key).decrypt(enc)).toBe(text);
        expect(decryptWebhookPayload(enc, key)).toBe(text);
        // IV ‖ whole blocks, PKCS#7 always pads (an empty text is one block).
        expect((Buffer.from(enc, 'base64').byteLength - 16) % 16).toBe(0);
      }
    }
    expect(encryptWebhookPayload('same', KEY)).not.toBe(encryptWebhookPayload('same', KEY)); // a random IV each time
    expect(() => decryptWebhookPayload(encryptWebhookPayload('secret', 'right key'), 'wrong key')).toThrow();
  });

  it('reproduces the documented fixtures: the encrypted challenge with a fixed IV and the signature vector', () => {
    const challenge = '{"challenge":"ajls384kdjxxxx","token":"vtok","type":"url_verification"}';
    expect(encryptWebhookPayload(challenge, 'test key', Buffer.alloc(16, 0x11))).toBe(
      'EREREREREREREREREREREWpkqwOaNB7aJcdSZV6cPVp/EPp/VQ8R1+Fxfn4V1L+cs8lZbvyTSQ6hAgOiyBJySdT6+4i1BQJ3GogR8cvrGcKwSgEdQhh4CW9yTFbVM/f4',
    );
    expect(webhookSignature('1700000000', 'abc123', 'test key', '{"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}')).toBe(
      '69c61fa99760d59824d588297c0036194769fb54331682c9cbcd93e85b9a8aad',
    );
  });

  it('buildWebhookRequest: plain and unsigned without a key; encrypted and signed over the exact bytes with one', () => {
    const plain = buildWebhookRequest({ a: 1 });
    expect(plain.body.toString()).toBe('{"a":1}');
    expect(Object.keys(plain.headers)).toEqual(['Content-Type']);

    const req = buildWebhookRequest({ schema: '2.0', header: { token: TOKEN } }, { encryptKey: KEY, timestamp: 1700000000, nonce: 'n1' });
    const r: Received = { path: '/', headers: lower(req.headers), raw: req.body, at: 0 };
    expect(req.headers['X-Lark-Request-Timestamp']).toBe('1700000000');
    expect(signatureOk(r, KEY)).toBe(true);
    expect(open(r)).toEqual({ schema: '2.0', header: { token: TOKEN } });

    // One byte changed → the signature no longer holds; a differently serialised body can be signed correctly.
    const tampered = Buffer.from(req.body);
    tampered[tampered.length - 3]! ^= 0x01;
    expect(signatureOk({ ...r, raw: tampered }, KEY)).toBe(false);
    const spaced = buildWebhookRequest({ x: 1 }, { encryptKey: KEY, format: (b) => b.replace('":"', '": "') });
    expect(spaced.body.toString()).toMatch(/^\{"encrypt": "/);
    expect(signatureOk({ path: '/', headers: lower(spaced.headers), raw: spaced.body, at: 0 }, KEY)).toBe(true);
    expect(() => buildWebhookRequest({}, { sign: true })).toThrow(/encryptKey/);
  });
});

describe('events over webhook (lark/README.md §2.9, §4)', () => {
  it('POSTs the schema 2.0 envelope encrypted and signed, header.token set; HTTP 200 = delivered once', async () => {
    const rx = await receiver();
    const fake = await webhookFake({ url: rx.url, encryptKey: KEY, verificationToken: TOKEN });
    const { push, messageId } = fake.pushMessage(APP.appId, { text: 'hello' });
    const record = await fake.waitForAck(push.pushId);
    expect(record).toMatchObject({ via: 'webhook', acked: true, attempts: 1, ackCode: 200, deliveredTo: [rx.url] });
    expect(record.ackLatencyMs).toBeGreaterThanOrEqual(0);
    expect(fake.pushes()).toContain(record);
    expect(rx.received).toHaveLength(1);
    const r = rx.received[0]!;
    expect(r.path).toBe('/webhook/bot1');
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(signatureOk(r, KEY)).toBe(true);
    expect(Math.abs(Number(r.headers['x-lark-request-timestamp']) - Date.now() / 1000)).toBeLessThan(5);
    expect(Object.keys(JSON.parse(r.raw.toString()) as object)).toEqual(['encrypt']);
    const envelope = open(r) as { schema: string; header: Record<string, string>; event: { message: { message_id: string } } };
    expect(envelope.schema).toBe('2.0');
    expect(envelope.header).toMatchObject({ token: TOKEN, event_type: 'im.message.receive_v1', app_id: APP.appId });
    expect(envelope.event.message.message_id).toBe(messageId);
    // The app's setup facts follow the console: webhook mode, the URL, the key.
    expect(fake.appInfo(APP.appId)).toMatchObject({
      eventMode: 'webhook',
      eventRequestUrl: rx.url,
      callbackMode: 'webhook',
      encryptKey: KEY,
    });
  });

  it('without an Encrypt Key: the plain envelope, no signature headers', async () => {
    const rx = await receiver();
    const fake = await webhookFake({ url: rx.url, verificationToken: TOKEN });
    await fake.waitForAck(fake.pushMessage(APP.appId, { text: 'plain' }).push.pushId);
    const r = rx.received[0]!;
    expect(r.headers['x-lark-signature']).toBeUndefined();
    expect((JSON.parse(r.raw.toString()) as { header: { token: string } }).header.token).toBe(TOKEN);
  });

  it('5xx, then 200: re-pushed after the delay, the same bytes and headers by default', async () => {
    const rx = await receiver((_r, n) => (n === 0 ? { status: 503, body: 'busy' } : { status: 200 }));
    const fake = await webhookFake({ url: rx.url, encryptKey: KEY }, { repushDelaysMs: [150, 20] });
    const push = fake.pushMessage(APP.appId, { text: 'again' }).push;
    const record = await fake.waitForAck(push.pushId);
    expect(record.attempts).toBe(2);
    expect(record.webhookAttempts!.map((a) => [a.outcome, a.status])).toEqual([
      ['server-error', 503],
      ['delivered', 200],
    ]);
    expect(record.webhookAttempts![0]!.body).toBe('busy');
    expect(rx.received[1]!.at - rx.received[0]!.at).toBeGreaterThanOrEqual(140);
    expect(rx.received[1]!.raw.equals(rx.received[0]!.raw)).toBe(true);
    expect(rx.received[1]!.headers['x-lark-signature']).toBe(rx.received[0]!.headers['x-lark-signature']);
  });

  it('resignRepushes: a re-push gets a new nonce, IV and signature, same envelope', async () => {
    const rx = await receiver((_r, n) => (n === 0 ? { status: 500 } : { status: 200 }));
    const fake = await webhookFake({ url: rx.url, encryptKey: KEY, resignRepushes: true });
    await fake.waitForAck(fake.pushMessage(APP.appId, { text: 'resign' }).push.pushId);
    const [a, b] = rx.received;
    expect(a!.raw.equals(b!.raw)).toBe(false);
    expect(a!.headers['x-lark-request-nonce']).not.toBe(b!.headers['x-lark-request-nonce']);
    expect(signatureOk(a!, KEY) && signatureOk(b!, KEY)).toBe(true);
    expect(open(b!)).toEqual(open(a!));
  });

  it('no answer within the deadline → timeout, re-pushed; a refused connection → connect-failed until it gives up', async () => {
    const rx = await receiver((_r, n) => (n === 0 ? 'hang' : { status: 200 }));
    const fake = await webhookFake({ url: rx.url, encryptKey: KEY }, { ackTimeoutMs: 200 });
    const record = await fake.waitForAck(fake.pushMessage(APP.appId, { text: 'slow' }).push.pushId);
    expect(record.webhookAttempts!.map((a) => a.outcome)).toEqual(['timeout', 'delivered']);
    expect(record.webhookAttempts![0]!.latencyMs).toBeGreaterThanOrEqual(190);

    // A port nobody listens on (a server's, once closed).
    await new Promise<void>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => {
          fake.setWebhook(APP.appId, { url: `http://127.0.0.1:${port}/webhook`, encryptKey: KEY });
          resolve();
        });
      });
    });
    const push = fake.pushMessage(APP.appId, { text: 'nobody' }).push;
    await expect(fake.waitForAck(push.pushId)).rejects.toThrow(
      /never answered 200 after 3 attempt\(s\); last: connect-failed ECONNREFUSED/,
    );
    expect(push.webhookAttempts!.map((a) => a.error)).toEqual(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
  });

  it('401 (a bad signature) → recorded as refused and re-pushed like any non-200 (the docs make no exception)', async () => {
    const rx = await receiver(() => ({ status: 401, body: '{"msg":"bad signature"}' }));
    const fake = await webhookFake({ url: rx.url, encryptKey: 'the console key' });
    const push = fake.pushMessage(APP.appId, { text: 'x' }).push;
    await expect(fake.waitForAck(push.pushId)).rejects.toThrow(/refused 401/);
    expect(push).toMatchObject({ refused: true, acked: false, attempts: 3, ackCode: 401, ackData: { msg: 'bad signature' } });
    expect(rx.received).toHaveLength(3);
  });

  it('alsoLongConnection: a second, long-connection record; setWebhook(null) goes back to the long connection', async () => {
    const rx = await receiver();
    const fake = await webhookFake({ url: rx.url, alsoLongConnection: true });
    const push = fake.pushMessage(APP.appId, { text: 'both' }).push;
    await fake.waitForAck(push.pushId);
    expect(fake.pushes().map((p) => p.via ?? 'long-connection')).toEqual(['long-connection', 'webhook']);
    fake.setWebhook(APP.appId, null);
    expect(fake.webhook(APP.appId)).toBeUndefined();
    expect(fake.appInfo(APP.appId).eventMode).toBe('websocket');
    expect(fake.pushMessage(APP.appId, { text: 'ws' }).push.via).toBeUndefined();
    expect(rx.received).toHaveLength(1);
  });
});

describe('card callbacks over webhook (lark/README.md §3.5): one attempt, the answer recorded', () => {
  const click = (fake: FakeLarkPlatform) =>
    fake.pushCardAction(APP.appId, { openMessageId: 'om_card', openChatId: 'oc_chat', value: { stop: 1 } });

  it('HTTP 200 with a toast: acked, the toast in ackData, signed and encrypted like events', async () => {
    const rx = await receiver(() => ({ status: 200, body: '{"toast":{"type":"success","content":"Stopped"}}' }));
    const fake = await webhookFake({ url: rx.url, encryptKey: KEY, verificationToken: TOKEN });
    const record = await fake.waitForAck(click(fake).pushId);
    expect(record).toMatchObject({ acked: true, attempts: 1, ackData: { toast: { type: 'success', content: 'Stopped' } } });
    expect(signatureOk(rx.received[0]!, KEY)).toBe(true);
    expect(open(rx.received[0]!)).toMatchObject({
      header: { event_type: 'card.action.trigger', token: TOKEN },
      event: { action: { value: { stop: 1 } } },
    });
  });

  it.each([
    ['a 500', { status: 500 }, 200671],
    ['a body that is not a JSON object', { status: 200, body: 'ok' }, 200672],
    ['no answer in time', 'hang' as const, 200341],
  ])('%s → the user sees %s, never re-pushed', async (_name, answer, code) => {
    const rx = await receiver(() => answer);
    const fake = await webhookFake({ url: rx.url, encryptKey: KEY }, { ackTimeoutMs: 200, repushDelaysMs: [10, 10] });
    const push = click(fake);
    await expect(fake.waitForAck(push.pushId)).rejects.toThrow(new RegExp(`callback error ${code}`));
    expect(push.callbackError).toBe(code);
    await new Promise((r) => setTimeout(r, 60));
    expect(push.attempts).toBe(1);
    expect(rx.received).toHaveLength(1);
  });
});

describe('url_verification (lark/README.md §4.1)', () => {
  const echo = (key?: string) => (r: Received) => {
    const body = key ? open(r, key) : (JSON.parse(r.raw.toString()) as Record<string, unknown>);
    return { status: 200, body: JSON.stringify({ challenge: body.challenge }) };
  };

  it('plain and encrypted, unsigned; the answer and its latency recorded', async () => {
    const rx = await receiver(echo(KEY));
    const fake = await webhookFake({ url: rx.url, encryptKey: KEY, verificationToken: TOKEN });
    const v = await fake.verifyWebhookUrl(APP.appId, { challenge: 'ajls384kdjxxxx' });
    expect(v).toMatchObject({ answered: true, encrypted: true, challenge: 'ajls384kdjxxxx', url: rx.url });
    expect(v.response).toMatchObject({ status: 200, outcome: 'delivered' });
    expect(v.latencyMs).toBeLessThan(1000);
    expect(open(rx.received[0]!)).toEqual({ challenge: 'ajls384kdjxxxx', token: TOKEN, type: 'url_verification' });
    expect(rx.received[0]!.headers['x-lark-signature']).toBeUndefined();

    const plainRx = await receiver(echo());
    fake.setWebhook(APP.appId, { url: plainRx.url, verificationToken: TOKEN });
    const plain = await fake.verifyWebhookUrl(APP.appId);
    expect(plain).toMatchObject({ answered: true, encrypted: false });
    expect(JSON.parse(plainRx.received[0]!.raw.toString())).toEqual({ challenge: plain.challenge, token: TOKEN, type: 'url_verification' });
    expect(fake.urlVerifications(APP.appId)).toEqual([v, plain]);
  });

  it('a wrong challenge, a refusal or a late answer is not answered', async () => {
    const rx = await receiver((_r, n) =>
      n === 0 ? { status: 200, body: '{"challenge":"other"}' } : n === 1 ? { status: 401 } : { status: 200, body: '{}', delayMs: 400 },
    );
    const fake = await webhookFake({ url: rx.url, encryptKey: KEY });
    expect((await fake.verifyWebhookUrl(APP.appId)).answered).toBe(false);
    expect((await fake.verifyWebhookUrl(APP.appId)).response.status).toBe(401);
    const late = await fake.verifyWebhookUrl(APP.appId, { timeoutMs: 150 });
    expect(late).toMatchObject({ answered: false, response: { outcome: 'timeout' } });
  });
});

describe('hand-built requests for tampering tests', () => {
  it('webhookRequest + sendWebhook: valid as built; one byte, the timestamp or the token changed is detectable', async () => {
    const rx = await receiver((r) => ({ status: signatureOk(r, KEY) ? 200 : 401 }));
    const fake = await webhookFake({ url: rx.url, encryptKey: KEY, verificationToken: TOKEN });
    const { request, messageId, eventId } = fake.webhookRequest(APP.appId, { message: { text: 'hi' } });
    expect(messageId).toMatch(/^om_/);
    expect(eventId).toMatch(/^[0-9a-f]{32}$/);
    expect(await fake.sendWebhook(APP.appId, request)).toMatchObject({ status: 200, outcome: 'delivered' });

    const body = Buffer.from(request.body);
    body[20]! ^= 0x01;
    expect((await fake.sendWebhook(APP.appId, { ...request, body })).outcome).toBe('refused');
    const stale = {
      ...request,
      headers: { ...request.headers, 'X-Lark-Request-Timestamp': String(Number(request.timestamp) - 2 * 86400) },
    };
    expect((await fake.sendWebhook(APP.appId, stale)).status).toBe(401);
    // A two-day-old timestamp signed correctly: only the receiver's window can refuse it.
    const old = fake.webhookRequest(APP.appId, { message: { text: 'old' } }, { timestamp: Math.floor(Date.now() / 1000) - 2 * 86400 });
    expect(signatureOk({ path: '/', headers: lower(old.request.headers), raw: old.request.body, at: 0 }, KEY)).toBe(true);

    const wrongToken = fake.webhookRequest(
      APP.appId,
      { cardAction: { openMessageId: 'om_1', openChatId: 'oc_1', value: {} } },
      { token: 'nope' },
    );
    expect((await fake.sendWebhook(APP.appId, wrongToken.request, { path: '/webhook/bot1?x=1' })).status).toBe(200);
    expect(open(rx.received.at(-1)!)).toMatchObject({ header: { token: 'nope', event_type: 'card.action.trigger' } });
    expect(rx.received.at(-1)!.path).toBe('/webhook/bot1?x=1');
    // The message is known to the fake as when pushed: a reply lands in its chat.
    await newClient(fake).im.v1.message.reply({ path: { message_id: messageId! }, data: { msg_type: 'text', content: '{"text":"ok"}' } });
    const sent = fake.sentMessages({ replyTo: messageId! });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.chatId).toMatch(/^oc_/);
    expect(sent[0]!.chatId).not.toBe('unknown');
    // Any envelope can be built.
    expect(fake.webhookRequest(APP.appId, { envelope: { schema: '2.0', header: { event_id: 'e1', event_type: 'x' } } }).eventId).toBe('e1');
    expect(rx.received).toHaveLength(4);
    expect(fake.pushes()).toHaveLength(0);
  });

  it('sendWebhookRequest never rejects: a reset connection and a bad URL are outcomes', async () => {
    const rx = await receiver(() => 'destroy');
    const req = buildWebhookRequest({ a: 1 }, { encryptKey: KEY });
    expect(await sendWebhookRequest(rx.url, req)).toMatchObject({ outcome: 'reset' });
    expect(await sendWebhookRequest('not a url', req)).toMatchObject({ outcome: 'connect-failed' });
  });

  it('close() aborts requests in flight and does not hang', async () => {
    const rx = await receiver(() => 'hang');
    const fake = await webhookFake({ url: rx.url, encryptKey: KEY });
    const push = fake.pushMessage(APP.appId, { text: 'x' }).push;
    await until(() => rx.hanging.length === 1);
    const started = Date.now();
    await fake.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(push.acked).toBe(false);
  });
});

function lower(headers: Record<string, string>): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
