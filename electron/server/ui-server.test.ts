import { promises as fs } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { METHOD_NAMES, RpcError, type AppInfo, type Handlers } from '@shared/contract';
import { APP_CSP } from '@shared/csp';
import { EventBus, type EventListener } from '../core/api/event-bus';
import { MemoryLogger } from '@e2e/support/memory-logger';
import { silentLogger } from '../core/log/logger';
import { MAX_BODY_BYTES, startUiServer, type UiServer } from './ui-server';

const TOKEN = 'test-token-0123456789abcdefghijklmnopqrstuv';
const INFO: AppInfo = { version: '9.9.9', mode: 'headless', secretProtection: { kind: 'file', detail: 'a file' }, dataDir: '/data' };

/** Any Handlers will do: the server is generic. Unused methods fail loudly. */
function testHandlers(): Handlers {
  const unused = Object.fromEntries(
    METHOD_NAMES.map((m) => [m, () => Promise.reject(new RpcError('internal', `${m} is not used in this test`))]),
  ) as unknown as Handlers;
  return {
    ...unused,
    'app.info': () => Promise.resolve(INFO),
    'bots.remove': ({ id }) =>
      id === 'missing' ? Promise.reject(new RpcError('not_found', 'no bot missing')) : Promise.resolve({ removed: true as const }),
  };
}

/** An EventBus that counts its live subscriptions, to see sockets clean up after themselves. */
class CountingBus extends EventBus {
  active = 0;
  override subscribe(listener: EventListener): () => void {
    this.active++;
    const off = super.subscribe(listener);
    let done = false;
    return () => {
      if (!done) this.active--;
      done = true;
      off();
    };
  }
}

let dir: string;
let staticDir: string;
let bus: CountingBus;
let server: UiServer;
let host: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-ui-'));
  staticDir = path.join(dir, 'dist');
  await fs.mkdir(path.join(staticDir, 'assets'), { recursive: true });
  await fs.writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>Kocoro</title><div id="root"></div>');
  await fs.writeFile(path.join(staticDir, 'assets', 'app-1234.js'), 'console.log("app")');
  await fs.writeFile(path.join(staticDir, 'assets', 'app-1234.css'), 'body{}');
  await fs.writeFile(path.join(dir, 'secret.txt'), 'TOP-SECRET-CONTENT');
  bus = new CountingBus();
  server = await startUiServer({
    port: 0,
    handlers: testHandlers(),
    events: bus,
    staticDir,
    token: TOKEN,
    logger: silentLogger,
    pingIntervalMs: 100,
  });
  host = `127.0.0.1:${server.port}`;
});

afterEach(async () => {
  await server.close();
  await fs.rm(dir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A raw request: the exact path and headers given (no normalisation, custom Host allowed). */
function request(opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        method: opts.method ?? 'GET',
        path: opts.path ?? '/',
        headers: { Host: host, ...opts.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const bearer = { Authorization: `Bearer ${TOKEN}` };
/** What the page offers when it opens the event socket: the protocol, and its token as a second one. */
const PAGE_PROTOCOLS = ['kocoro', `kocoro-token.${TOKEN}`];

function call(body: unknown, headers: Record<string, string> = bearer): Promise<Reply> {
  return request({
    method: 'POST',
    path: '/api/call',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

function openSocket(
  headers: Record<string, string>,
  urlPath = '/api/events',
  protocols: string[] = PAGE_PROTOCOLS,
): Promise<{ ws: WebSocket; messages: unknown[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${urlPath}`, protocols, { headers });
    const messages: unknown[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data))));
    ws.once('open', () => resolve({ ws, messages }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

async function until(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('UI server: the token', () => {
  it('listens on 127.0.0.1 with a 43-character base64url token, and its links carry a one-time code in the fragment, never the token', async () => {
    const s = await startUiServer({ port: 0, handlers: testHandlers(), events: new EventBus(), staticDir, logger: silentLogger });
    try {
      expect(s.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const { link, expiresAt } = s.newLink('start');
      expect(link).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${s.port}/#code=[A-Za-z0-9_-]{43}$`));
      expect(link).not.toContain(s.token);
      expect(expiresAt - Date.now()).toBeGreaterThan(9 * 60_000);
      expect(expiresAt - Date.now()).toBeLessThanOrEqual(10 * 60_000);
      expect(s.newLink('start').link).not.toBe(link);
    } finally {
      await s.close();
    }
  });

  it('refuses an API call without the token with 401 and says how to get a link', async () => {
    const res = await call({ method: 'app.info', input: {} }, {});
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/Open the link printed by `npm run headless/);
    expect(res.body).toContain('npm run headless -- --link');
    expect(res.body).not.toContain(TOKEN);
  });

  it('refuses a wrong Bearer token, and the token in a cookie or a query (it never travels that way)', async () => {
    expect((await call({ method: 'app.info', input: {} }, { Authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await call({ method: 'app.info', input: {} }, { Cookie: `kocoro_ui_${server.port}=${TOKEN}` })).status).toBe(401);
    const query = await request({
      method: 'POST',
      path: `/api/call?token=${TOKEN}`,
      headers: { 'Content-Type': 'application/json' },
      body: '{"method":"app.info"}',
    });
    expect(query.status).toBe(401);
  });

  it('answers an API call with a Bearer token with the RpcReply', async () => {
    const res = await call({ method: 'app.info', input: {} });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(res.body)).toEqual({ ok: true, result: INFO });
  });

  it('serves the built UI (which holds no secret) without the token, and never sets a cookie', async () => {
    const page = await request({ path: '/' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('<div id="root">');
    expect(page.headers['set-cookie']).toBeUndefined();

    const script = await request({ path: '/assets/app-1234.js' });
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toBe('console.log("app")');
    expect((await request({ path: '/assets/app-1234.css' })).headers['content-type']).toBe('text/css; charset=utf-8');
    // An old-style link with ?token= is just a page: no redirect, no cookie.
    const old = await request({ path: `/?token=${TOKEN}` });
    expect(old.status).toBe(200);
    expect(old.headers['set-cookie']).toBeUndefined();
    expect(old.headers.location).toBeUndefined();
  });

  it('refuses request targets that are not a plain path (absolute-form, asterisk)', async () => {
    expect((await request({ path: `http://evil.example/?token=${TOKEN}` })).status).toBe(400);
    expect((await request({ method: 'OPTIONS', path: '*' })).status).toBe(400);
  });
});

describe('UI server: Host and Origin', () => {
  it('refuses a Host other than 127.0.0.1:PORT or localhost:PORT with 403, even with the token (DNS rebinding)', async () => {
    for (const badHost of [
      'evil.example',
      `evil.example:${server.port}`,
      '127.0.0.1',
      `127.0.0.1:${server.port + 1}`,
      `127.0.0.1.evil.example:${server.port}`,
    ]) {
      const res = await request({
        method: 'POST',
        path: '/api/call',
        headers: { ...bearer, Host: badHost, 'Content-Type': 'application/json' },
        body: '{"method":"app.info"}',
      });
      expect(res.status, badHost).toBe(403);
      const page = await request({ path: '/', headers: { Host: badHost } });
      expect(page.status, badHost).toBe(403);
    }
    expect((await call({ method: 'app.info', input: {} }, { ...bearer, Host: `localhost:${server.port}` })).status).toBe(200);
  });

  it('refuses a foreign Origin with 403 on HTTP, and sends no CORS headers', async () => {
    for (const origin of ['https://evil.example', 'null', `http://localhost:${server.port + 1}`, `https://127.0.0.1:${server.port}`]) {
      const res = await call({ method: 'app.info', input: {} }, { ...bearer, Origin: origin });
      expect(res.status, origin).toBe(403);
      expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
    // A CORS preflight gets nothing that would allow the request.
    const preflight = await request({
      method: 'OPTIONS',
      path: '/api/call',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    expect(Object.keys(preflight.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);

    const own = await call({ method: 'app.info', input: {} }, { ...bearer, Origin: `http://${host}` });
    expect(own.status).toBe(200);
    expect(Object.keys(own.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('refuses a WebSocket upgrade from a foreign Origin with 403, even with the token', async () => {
    await expect(openSocket({ Origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
    await expect(openSocket({ Origin: 'null' })).rejects.toThrow('HTTP 403');
    await expect(openSocket({ Host: `evil.example:${server.port}` })).rejects.toThrow('HTTP 403');
    expect(bus.active).toBe(0);
    const { ws } = await openSocket({ Origin: `http://${host}` });
    // The server answers with the plain protocol, never echoing the token back.
    expect(ws.protocol).toBe('kocoro');
    ws.close();
  });

  it('puts the security headers on every response, refusals included', async () => {
    const responses = [
      await request({ path: '/' }),
      await request({ path: '/' }),
      await request({ path: '/', headers: { Host: 'evil.example' } }),
      await call({ method: 'app.info', input: {} }),
    ];
    for (const res of responses) {
      expect(res.headers['content-security-policy']).toBe(APP_CSP);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-frame-options']).toBe('DENY');
    }
  });
});

describe('UI server: /api/call', () => {
  it('returns an invalid_input envelope naming the field for input the schema refuses', async () => {
    const res = await call({ method: 'bots.create', input: { platform: 'feishu', appId: 'cli_nothex', appSecret: 's', agentId: 'echo' } });
    expect(res.status).toBe(200);
    const reply = JSON.parse(res.body) as { ok: boolean; error: { code: string; field?: string; message: string } };
    expect(reply.ok).toBe(false);
    expect(reply.error).toMatchObject({ code: 'invalid_input', field: 'appId' });
    expect(reply.error.message).toMatch(/App ID must look like cli_/);
  });

  it('passes handler errors through as envelopes and unknown methods as not_found', async () => {
    expect(JSON.parse((await call({ method: 'bots.remove', input: { id: 'missing' } })).body)).toEqual({
      ok: false,
      error: { code: 'not_found', message: 'no bot missing' },
    });
    expect(JSON.parse((await call({ method: 'bots.remove', input: { id: 'b1' } })).body)).toEqual({ ok: true, result: { removed: true } });
    expect(JSON.parse((await call({ method: 'process.exit', input: {} })).body)).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(JSON.parse((await call({ method: 'constructor', input: {} })).body)).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('answers malformed JSON with 400, a non-object with 400 and a non-JSON content type with 415', async () => {
    const bad = await request({
      method: 'POST',
      path: '/api/call',
      headers: { ...bearer, 'Content-Type': 'application/json' },
      body: '{"method":',
    });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(
      (await request({ method: 'POST', path: '/api/call', headers: { ...bearer, 'Content-Type': 'application/json' }, body: '[1]' }))
        .status,
    ).toBe(400);
    // What a cross-site <form> could send.
    expect(
      (
        await request({
          method: 'POST',
          path: '/api/call',
          headers: { ...bearer, 'Content-Type': 'text/plain' },
          body: '{"method":"app.info"}',
        })
      ).status,
    ).toBe(415);
    expect((await request({ method: 'GET', path: '/api/call', headers: bearer })).status).toBe(405);
  });

  it('accepts a body up to 1 MiB and refuses a larger one with 413', async () => {
    const padTo = (size: number): string => {
      const skeleton = JSON.stringify({ method: 'app.info', input: {}, pad: '' });
      return JSON.stringify({ method: 'app.info', input: {}, pad: 'x'.repeat(size - skeleton.length) });
    };
    const atLimit = padTo(MAX_BODY_BYTES);
    expect(Buffer.byteLength(atLimit)).toBe(MAX_BODY_BYTES);
    const ok = await request({
      method: 'POST',
      path: '/api/call',
      headers: { ...bearer, 'Content-Type': 'application/json' },
      body: atLimit,
    });
    expect(ok.status).toBe(200);

    const over = padTo(MAX_BODY_BYTES + 1);
    const declared = await request({
      method: 'POST',
      path: '/api/call',
      headers: { ...bearer, 'Content-Type': 'application/json' },
      body: over,
    });
    expect(declared.status).toBe(413);
    // Chunked (no Content-Length): counted as it arrives.
    const chunked = await request({
      method: 'POST',
      path: '/api/call',
      headers: { ...bearer, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      body: over,
    });
    expect(chunked.status).toBe(413);
  });

  it('returns 404 for other /api paths and 426 for a plain GET of the event stream', async () => {
    expect((await request({ path: '/api/nope', headers: bearer })).status).toBe(404);
    expect((await request({ path: '/api/events', headers: bearer })).status).toBe(426);
  });
});

describe('UI server: static files', () => {
  it('falls back to index.html for client-side routes but not for missing assets', async () => {
    const route = await request({ path: '/bots/team-bot' });
    expect(route.status).toBe(200);
    expect(route.body).toContain('<div id="root">');
    expect((await request({ path: '/assets/missing-0000.js' })).status).toBe(404);
  });

  it('refuses path traversal and never serves a file outside the static dir', async () => {
    for (const p of ['/..%2Fsecret.txt', '/%2e%2e%2fsecret.txt', '/assets/..%2F..%2Fsecret.txt']) {
      const res = await request({ path: p });
      expect([400, 403], p).toContain(res.status);
      expect(res.body).not.toContain('TOP-SECRET');
    }
    // Literal dot segments are resolved against "/" by the URL parser: they stay inside.
    for (const p of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt']) {
      const res = await request({ path: p });
      expect(res.body, p).not.toContain('TOP-SECRET');
    }
    // On POSIX a backslash is an ordinary file-name character: a name inside the root, not found.
    expect((await request({ path: '/..%5Csecret.txt' })).body).not.toContain('TOP-SECRET');
    expect((await request({ path: '/index.html%00.js' })).status).toBe(400);
  });

  it('refuses methods other than GET and HEAD', async () => {
    expect((await request({ method: 'PUT', path: '/' })).status).toBe(405);
    const head = await request({ method: 'HEAD', path: '/' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });
});

describe('UI server: /api/events', () => {
  it('refuses a WebSocket without the token with 401', async () => {
    await expect(openSocket({}, '/api/events', ['kocoro'])).rejects.toThrow('HTTP 401');
    await expect(openSocket({}, '/api/events', ['kocoro', 'kocoro-token.wrong-token-0000000'])).rejects.toThrow('HTTP 401');
    await expect(openSocket({ Cookie: `kocoro_ui_${server.port}=${TOKEN}` }, '/api/events', ['kocoro'])).rejects.toThrow('HTTP 401');
    await expect(openSocket({}, '/api/other')).rejects.toThrow('HTTP 404');
    expect(bus.active).toBe(0);
  });

  it('pushes every EventBus event to a socket opened with the token subprotocol, and unsubscribes when it closes', async () => {
    const { ws, messages } = await openSocket({ Origin: `http://${host}` });
    expect(bus.active).toBe(1);
    bus.emit('bot.status', { botId: 'b1', state: 'connected', since: 1 });
    bus.emit('bots.changed', {});
    await until(() => messages.length === 2);
    expect(messages).toEqual([
      { event: 'bot.status', payload: { botId: 'b1', state: 'connected', since: 1 } },
      { event: 'bots.changed', payload: {} },
    ]);
    ws.close();
    await until(() => bus.active === 0);
  });

  it('accepts a Bearer token from non-browser clients and keeps the socket alive with pings', async () => {
    const { ws } = await openSocket(bearer, '/api/events', []);
    let pings = 0;
    ws.on('ping', () => pings++);
    await until(() => pings >= 2);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });

  it('drops a client that stops answering pings', async () => {
    const { ws } = await openSocket(bearer);
    // Stop the client's automatic pong by pausing its socket reads.
    ws.pause();
    await until(() => bus.active === 0);
    ws.terminate();
  });

  it('close() ends every socket and subscription', async () => {
    const { ws } = await openSocket({});
    const closed = new Promise((resolve) => ws.once('close', resolve));
    await server.close();
    await closed;
    expect(bus.active).toBe(0);
  });
});

describe('UI server: logging', () => {
  it('logs refusals without the token, at most once a minute per kind', async () => {
    const logger = new MemoryLogger();
    const s = await startUiServer({ port: 0, handlers: testHandlers(), events: new EventBus(), staticDir, token: TOKEN, logger });
    try {
      const attempt = (t: string) =>
        fetch(`${s.origin}/api/call`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${t}` },
          body: '{"method":"app.info","input":{}}',
        });
      for (let i = 0; i < 3; i++) await attempt(`wrong-token-${i}-padding`);
      await attempt(TOKEN);
      const refused = logger.records.filter((r) => r.event === 'ui.refused');
      expect(refused).toEqual([expect.objectContaining({ level: 'warn', reason: 'token', status: 401, path: '/api/call' })]);
      expect(JSON.stringify(logger.records)).not.toContain(TOKEN);
      expect(JSON.stringify(logger.records)).not.toContain('wrong-token');
    } finally {
      await s.close();
    }
  });
});
