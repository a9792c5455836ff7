import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLogger } from '@e2e/support/memory-logger';
import { post, signedRequest } from './test-client';
import { WebhookServer, type WebhookEndpoint } from './server';

const SECRETS = { encryptKey: 'enc-key-0001', verificationToken: 'vtok-0001' };
const MESSAGE = 'im.message.receive_v1';
const CARD = 'card.action.trigger';

const envelope = (eventType = MESSAGE, token = SECRETS.verificationToken) => ({
  schema: '2.0',
  header: { event_id: `ev_${Math.random()}`, event_type: eventType, create_time: '1', token, app_id: 'cli_1', tenant_key: 't1' },
  event: { message: { message_id: 'om_1' }, action: { value: { kocoro: 'stop' } } },
});

let server: WebhookServer;
let logger: MemoryLogger;
let calls: Array<{ type: string; data: unknown }>;
let onEvent: (type: string, data: unknown) => Promise<unknown>;
let firstRequests: number;

const endpoint = (): WebhookEndpoint => ({
  secrets: SECRETS,
  handlers: { eventTypes: [MESSAGE, CARD], onEvent: (type, data) => (calls.push({ type, data }), onEvent(type, data)) },
  onFirstRequest: () => (firstRequests += 1),
});

beforeEach(async () => {
  logger = new MemoryLogger();
  calls = [];
  firstRequests = 0;
  onEvent = async () => undefined;
  server = await WebhookServer.start({
    port: 0,
    logger,
    limits: { maxBodyBytes: 64 * 1024, headersTimeoutMs: 400, bodyTimeoutMs: 300, handlerTimeoutMs: 500 },
  });
  server.register('team-bot', endpoint());
});
afterEach(async () => {
  await server.close(0);
});

const url = (path = '/webhook/team-bot') => `${server.origin}${path}`;

/** Raw bytes on a socket; resolves with what came back once the server closes it (or after `waitMs`). */
function rawExchange(bytes: string, waitMs = 3_000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(server.port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => (text += d.toString()));
    socket.on('error', () => undefined);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, waitMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.write(bytes);
  });
}

describe('WebhookServer', () => {
  it('answers the challenge, plain and encrypted, within 1 s, on a path with a query string too', async () => {
    const challenge = { challenge: 'ajls384kdjxxxx', token: SECRETS.verificationToken, type: 'url_verification' };
    for (const plain of [true, false]) {
      const started = Date.now();
      const res = await post(
        url('/webhook/team-bot?from=console'),
        signedRequest(challenge, SECRETS.encryptKey, { plain, unsigned: true }),
      );
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ challenge: 'ajls384kdjxxxx' });
      expect(Date.now() - started).toBeLessThan(1_000);
    }
    expect(server.health('team-bot')).toMatchObject({ lastGood: { kind: 'challenge' } });
    expect(firstRequests).toBe(1);
  });

  it('hands an event to the handler as the long connection does, and answers 200 once the handler resolved', async () => {
    let release!: () => void;
    onEvent = () => new Promise<void>((r) => (release = r));
    let answered = false;
    const pending = post(url(), signedRequest(envelope(), SECRETS.encryptKey)).then((r) => ((answered = true), r));
    await expect.poll(() => calls.length).toBe(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(answered).toBe(false);
    release();
    expect((await pending).status).toBe(200);
    expect(calls[0]).toMatchObject({ type: MESSAGE, data: { schema: '2.0', event_type: MESSAGE, message: { message_id: 'om_1' } } });
  });

  it('answers a card callback with the handler’s result as the body', async () => {
    onEvent = async (type) => (type === CARD ? { toast: { type: 'success', content: 'Stopped' } } : undefined);
    const res = await post(url(), signedRequest(envelope(CARD), SECRETS.encryptKey));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ toast: { type: 'success', content: 'Stopped' } });
    expect(server.health('team-bot')).toMatchObject({ lastGood: { kind: 'callback' } });
  });

  it('answers 500 when the handler throws or takes too long, and goes on answering', async () => {
    onEvent = () => Promise.reject(new Error('disk full'));
    expect((await post(url(), signedRequest(envelope(), SECRETS.encryptKey))).status).toBe(500);
    onEvent = () => new Promise(() => undefined);
    expect((await post(url(), signedRequest(envelope(), SECRETS.encryptKey))).status).toBe(500);
    onEvent = () => {
      throw new Error('sync throw');
    };
    expect((await post(url(), signedRequest(envelope(), SECRETS.encryptKey))).status).toBe(500);
    onEvent = async () => undefined;
    expect((await post(url(), signedRequest(envelope(), SECRETS.encryptKey))).status).toBe(200);
    expect(logger.records.filter((r) => r.event === 'webhook.refused' && r.reason === 'handler-failed')).toHaveLength(3);
    expect(logger.records.find((r) => r.reason === 'handler-failed')).toMatchObject({ detail: 'disk full', status: 500 });
  });

  it('refuses with 401 and one log line naming the reason, recorded for the setup check', async () => {
    const res = await post(url(), signedRequest(envelope(), 'wrong-key'));
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toEqual({ error: 'signature-mismatch' });
    const lines = logger.records.filter((r) => r.event === 'webhook.refused');
    expect(lines).toEqual([expect.objectContaining({ bot: 'team-bot', status: 401, reason: 'signature-mismatch' })]);
    expect(JSON.stringify(logger.records)).not.toContain(SECRETS.encryptKey);
    expect(server.health('team-bot')?.lastProblem).toMatchObject({
      problem: 'signature-mismatch',
      hint: expect.stringContaining("does not match the console's") as string,
    });
    expect(server.evidence('team-bot')).toMatchObject({ lastProblem: { reason: 'signature' } });
    expect((await post(url(), signedRequest(envelope(MESSAGE, 'vtok-other'), SECRETS.encryptKey))).status).toBe(401);
    expect(server.evidence('team-bot')).toMatchObject({ lastProblem: { reason: 'token' } });
    expect(calls).toHaveLength(0);
  });

  it('answers 404 for an unknown bot or path, 405 for anything but POST', async () => {
    const good = signedRequest(envelope(), SECRETS.encryptKey);
    expect((await post(url('/webhook/nobody'), good)).status).toBe(404);
    expect((await post(url('/other'), good)).status).toBe(404);
    expect((await post(url('/webhook/%E0%A4%A'), good)).status).toBe(404);
    const get = await post(url(), { body: Buffer.alloc(0), headers: {} }, 'GET');
    expect(get.status).toBe(405);
    expect(calls).toHaveLength(0);
  });

  it('refuses a body over the cap with 413 without reading it', async () => {
    const big = signedRequest({ encrypt: 'x'.repeat(100 * 1024) }, SECRETS.encryptKey, { plain: true });
    const res = await post(url(), big).catch((err: NodeJS.ErrnoException) => ({ status: err.code ?? 'error', body: '' }));
    // The server answers 413 and closes; a client still writing may see the reset instead.
    expect([413, 'ECONNRESET', 'EPIPE']).toContain(res.status);
    const chunked = await rawExchange(
      `POST /webhook/team-bot HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${(70 * 1024).toString(16)}\r\n${'a'.repeat(70 * 1024)}\r\n`,
    );
    expect(chunked.text).toMatch(/^HTTP\/1\.1 413/);
    expect(chunked.closed).toBe(true);
  });

  it('answers a slow body 408 and destroys the socket; slow headers too', async () => {
    const slowBody = await rawExchange('POST /webhook/team-bot HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"encr');
    expect(slowBody.text).toMatch(/^HTTP\/1\.1 408/);
    expect(slowBody.closed).toBe(true);
    const slowHeaders = await rawExchange('POST /webhook/team-bot HTTP/1.1\r\nHost: x\r\n');
    expect(slowHeaders.text).toMatch(/^HTTP\/1\.1 408/);
    expect(slowHeaders.closed).toBe(true);
    expect(server.health('team-bot')?.problems.timeout).toBe(1);
  });

  it('survives 1,000 malformed requests and answers the next good one', async () => {
    const bad: Array<() => Promise<unknown>> = [
      () => post(url(), { body: Buffer.from('not json'), headers: {} }),
      () => post(url(), { body: Buffer.from('{"encrypt":"AAAA"}'), headers: {} }),
      () => post(url(), signedRequest({ encrypt: 'not base64 at all !!' }, SECRETS.encryptKey, { plain: true })),
      () => post(url(), signedRequest({ schema: '2.0', header: null }, SECRETS.encryptKey)),
      () => post(url(), signedRequest([1, 2, 3] as unknown as object, SECRETS.encryptKey, { plain: true })),
      () => post(url(), { body: Buffer.from('{"type":"url_verification"}'), headers: {} }),
      () => rawExchange('POST /webhook/team-bot HTTP/1.1\r\nContent-Length: zz\r\n\r\n', 1_000),
      () => rawExchange('\x00\x01\x02 garbage\r\n\r\n', 1_000),
    ];
    for (let i = 0; i < 1_000; i += 25) {
      await Promise.all(Array.from({ length: 25 }, (_, j) => bad[(i + j) % bad.length]!().catch(() => undefined)));
    }
    expect(calls).toHaveLength(0);
    const res = await post(url(), signedRequest(envelope(), SECRETS.encryptKey));
    expect(res.status).toBe(200);
    expect(calls).toHaveLength(1);
  }, 60_000);

  it('stops handing a bot requests once it unregisters, and a newer registration is kept', async () => {
    const off = server.register('other-bot', endpoint());
    const second = server.register('other-bot', endpoint());
    off();
    expect((await post(url('/webhook/other-bot'), signedRequest(envelope(), SECRETS.encryptKey))).status).toBe(200);
    second();
    expect((await post(url('/webhook/other-bot'), signedRequest(envelope(), SECRETS.encryptKey))).status).toBe(404);
  });
});
