/**
 * Signing a tab in through the real UI server: a link's one-time code traded at `POST /api/session`
 * for the session token, and every way a code must not work.
 */
import { promises as fs } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { METHOD_NAMES, RpcError, type AppInfo, type Handlers } from '@shared/contract';
import { MemoryLogger } from '@e2e/support/memory-logger';
import { EventBus } from '../core/api/event-bus';
import { startUiServer, type UiServer } from './ui-server';

const TOKEN = 'sign-in-test-token-0123456789abcdefghijklmn';
const INFO: AppInfo = { version: '9.9.9', mode: 'headless', secretProtection: { kind: 'file', detail: 'a file' }, dataDir: '/data' };

function handlers(): Handlers {
  const unused = Object.fromEntries(
    METHOD_NAMES.map((m) => [m, () => Promise.reject(new RpcError('internal', `${m} is not used in this test`))]),
  ) as unknown as Handlers;
  return { ...unused, 'app.info': () => Promise.resolve(INFO) };
}

let dir: string;
let logger: MemoryLogger;
const servers: UiServer[] = [];

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-sign-in-'));
  await fs.writeFile(path.join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
  logger = new MemoryLogger();
});
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  await fs.rm(dir, { recursive: true, force: true });
});

async function start(signInCodeTtlMs?: number): Promise<UiServer> {
  const s = await startUiServer({
    port: 0,
    handlers: handlers(),
    events: new EventBus(),
    staticDir: dir,
    token: TOKEN,
    logger,
    signInCodeTtlMs,
  });
  servers.push(s);
  return s;
}

const codeOf = (link: string): string => /#code=([A-Za-z0-9_-]+)$/.exec(link)![1]!;

function trade(s: UiServer, code: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${s.origin}/api/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ code }),
  });
}

/** fetch() sets Host itself: a rebinding page's request, by hand. */
function tradeWithHost(s: UiServer, code: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: s.port,
        method: 'POST',
        path: '/api/session',
        headers: { Host: host, 'Content-Type': 'application/json' },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode!);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ code }));
  });
}

async function appInfo(s: UiServer, token: string): Promise<number> {
  const res = await fetch(`${s.origin}/api/call`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: '{"method":"app.info","input":{}}',
  });
  return res.status;
}

describe('UI server: sign-in links', () => {
  it('trades a link’s code once for the session token, which then opens the API', async () => {
    const s = await start();
    const code = codeOf(s.newLink('start').link);
    const res = await trade(s, code);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await res.json()).toEqual({ ok: true, result: { token: TOKEN } });
    expect(await appInfo(s, TOKEN)).toBe(200);
  });

  it('refuses the same code a second time, without the token, and the API stays closed to it', async () => {
    const s = await start();
    const code = codeOf(s.newLink('start').link);
    expect((await trade(s, code)).status).toBe(200);
    const again = await trade(s, code);
    expect(again.status).toBe(401);
    const body = await again.text();
    expect(body).not.toContain(TOKEN);
    expect(JSON.parse(body)).toMatchObject({ ok: false, error: { code: 'unauthorized', message: expect.stringContaining('--link') } });
    expect(await appInfo(s, code)).toBe(401);
  });

  it('refuses a wrong code, and a code is never a token', async () => {
    const s = await start();
    const code = codeOf(s.newLink('start').link);
    const wrong = `${code.slice(0, -1)}${code.endsWith('A') ? 'B' : 'A'}`;
    const res = await trade(s, wrong);
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain(TOKEN);
    expect(await appInfo(s, wrong)).toBe(401);
    expect(await appInfo(s, code)).toBe(401);
    // The right one still works after a wrong guess.
    expect((await trade(s, code)).status).toBe(200);
  });

  it('refuses an expired code', async () => {
    const s = await start(40);
    const code = codeOf(s.newLink('start').link);
    await new Promise((r) => setTimeout(r, 80));
    const res = await trade(s, code);
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain(TOKEN);
  });

  it('checks Host and Origin before the code, and a refused attempt does not use the code up', async () => {
    const s = await start();
    const code = codeOf(s.newLink('start').link);
    expect((await trade(s, code, { Origin: 'https://evil.example' })).status).toBe(403);
    expect((await trade(s, code, { Origin: 'null' })).status).toBe(403);
    expect(await tradeWithHost(s, code, `evil.example:${s.port}`)).toBe(403);
    expect((await trade(s, code, { Origin: s.origin })).status).toBe(200);
  });

  it('takes only a JSON POST, as a cross-site form could send nothing else', async () => {
    const s = await start();
    const code = codeOf(s.newLink('start').link);
    const form = await fetch(`${s.origin}/api/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `code=${code}`,
    });
    expect(form.status).toBe(415);
    expect((await fetch(`${s.origin}/api/session`)).status).toBe(405);
    const notObject = await fetch(`${s.origin}/api/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '[]',
    });
    expect(notObject.status).toBe(400);
    expect((await trade(s, code)).status).toBe(200);
  });

  it('counts failed trades: past 20 in a minute every trade is refused with 429, even a right code', async () => {
    const s = await start();
    const code = codeOf(s.newLink('start').link);
    for (let i = 0; i < 20; i++) expect((await trade(s, `guess-${i}-0123456789abcdef`)).status).toBe(401);
    const limited = await trade(s, code);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(await limited.text()).not.toContain(TOKEN);
  });

  it('gives a signed-in tab a new working link over the API (app.signInLink)', async () => {
    const s = await start();
    const res = await fetch(`${s.origin}/api/call`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
      body: '{"method":"app.signInLink","input":{}}',
    });
    const reply = (await res.json()) as { ok: true; result: { link: string; expiresAt: number } };
    expect(reply.ok).toBe(true);
    expect(reply.result.link).toMatch(new RegExp(`^${s.origin}/#code=`));
    expect(reply.result.link).not.toContain(TOKEN);
    expect((await trade(s, codeOf(reply.result.link))).status).toBe(200);
    // Without the token, no link.
    const anonymous = await fetch(`${s.origin}/api/call`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"method":"app.signInLink","input":{}}',
    });
    expect(anonymous.status).toBe(401);
  });

  it('logs links made, sign-ins and refusals, never a code or the token', async () => {
    const s = await start();
    const code = codeOf(s.newLink('start').link);
    await trade(s, code);
    await trade(s, code);
    await trade(s, code);
    const events = logger.records.map((r) => r.event);
    expect(events.filter((e) => e === 'ui.link_issued')).toHaveLength(1);
    expect(events.filter((e) => e === 'ui.signed_in')).toHaveLength(1);
    // Refusals are throttled like every other kind.
    expect(logger.records.filter((r) => r.event === 'ui.refused')).toEqual([
      expect.objectContaining({ reason: 'code', status: 401, path: '/api/session' }),
    ]);
    expect(JSON.stringify(logger.records)).not.toContain(code);
    expect(JSON.stringify(logger.records)).not.toContain(TOKEN);
  });
});
