/**
 * `npm run headless -- --ui PORT` as a real process: the one-time sign-in links (printed, and from
 * `--link`), the token rules on the real server, the contract over HTTP against the real core, and
 * bots made in the UI surviving a restart.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentView, AppInfo, BotView, RpcReply } from '@shared/contract';
import { FakeLarkPlatform } from '../../fakes/lark';
import { APP, postText } from '../../support/runtime-harness';
import { HeadlessProcess, tradeSignInLink } from '../../support/headless-process';

let lark: FakeLarkPlatform;
let dir: string;
const procs: HeadlessProcess[] = [];

beforeEach(async () => {
  lark = await FakeLarkPlatform.start({ apps: [APP] });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-headless-ui-'));
});
afterEach(async () => {
  for (const p of procs.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.kill('SIGKILL');
      await p.exited;
    }
  }
  await lark.close();
  await fs.rm(dir, { recursive: true, force: true });
});

function start(args: string[], env: NodeJS.ProcessEnv = {}): HeadlessProcess {
  const p = HeadlessProcess.start([...args, '--data-dir', path.join(dir, 'data')], env);
  procs.push(p);
  return p;
}

async function startUi(args: string[] = []): Promise<{ p: HeadlessProcess; url: URL; token: string }> {
  const p = start(['--ui', '0', ...args]);
  const url = new URL(await p.waitForUiUrl());
  return { p, url, token: await tokenOf(url) };
}

/** The printed link's one-time code traded for the session token, as the page does. */
async function tokenOf(url: URL): Promise<string> {
  const { status, token } = await tradeSignInLink(url.href);
  expect(status).toBe(200);
  return token!;
}

/** `npm run headless -- --link` on this test's data dir: its exit code and output. */
async function linkCommand(...extra: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = start(['--link', ...extra]);
  const { code } = await p.exited;
  return { code, stdout: p.stdout, stderr: p.stderr };
}

async function call<T>(origin: string, token: string, method: string, input: unknown = {}): Promise<RpcReply<T>> {
  const res = await fetch(`${origin}/api/call`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ method, input }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as RpcReply<T>;
}

async function result<T>(origin: string, token: string, method: string, input: unknown = {}): Promise<T> {
  const reply = await call<T>(origin, token, method, input);
  if (!reply.ok) throw new Error(`${method}: ${reply.error.code} ${reply.error.message}`);
  return reply.result;
}

describe('npm run headless -- --ui PORT', () => {
  it('without --config prints a one-time sign-in link once on stderr, and the session token nowhere', async () => {
    const p = start(['--ui', '0']);
    const url = new URL(await p.waitForUiUrl());
    expect(url.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url.pathname).toBe('/');
    expect(url.search).toBe('');
    const code = /^#code=([A-Za-z0-9_-]{43})$/.exec(url.hash)?.[1];
    expect(code).toBeDefined();
    const token = await tokenOf(url);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(token).not.toBe(code);
    const listening = await p.waitForLog('ui.listening');
    expect(listening).toMatchObject({ url: `${url.origin}/`, port: Number(url.port) });
    await p.waitForLog('ui.signed_in');
    expect(p.stderr.split('\n').filter((l) => l.startsWith('UI: '))).toEqual([`UI: ${url.href}`]);
    expect(p.stderr).not.toContain(token);
    // stdout is the JSON log stream alone, and it carries neither the token nor the code.
    expect(() => p.lines()).not.toThrow();
    expect(p.stdout).not.toContain(token);
    expect(p.stdout).not.toContain(code);
    // The printed link worked once.
    expect((await tradeSignInLink(url.href)).status).toBe(401);
  });

  it('--link prints a new one-time link from the running Kocoro, asked through the data folder, never the token', async () => {
    const { p, url, token } = await startUi();
    const asked = await linkCommand();
    expect(asked.code).toBe(0);
    const link = /^UI: (http:\/\/\S+)\n$/.exec(asked.stdout)?.[1];
    expect(link).toBeDefined();
    expect(new URL(link!).origin).toBe(url.origin);
    expect(link).not.toBe(url.href);
    expect(asked.stdout + asked.stderr).not.toContain(token);
    // The socket it asked through: in the private data folder, for its owner alone.
    expect((await fs.stat(path.join(dir, 'data', 'ui-link.sock'))).mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.join(dir, 'data'))).mode & 0o777).toBe(0o700);

    expect(await tradeSignInLink(link!)).toEqual({ status: 200, token });
    expect((await tradeSignInLink(link!)).status).toBe(401);
    await p.waitForLog('ui.link_issued', { requester: 'socket' });
    expect(p.stdout + p.stderr).not.toContain(token);
  });

  it('--link says so when no Kocoro serves its UI on the data folder, and takes nothing but --data-dir', async () => {
    const none = await linkCommand();
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/No Kocoro with its UI is running on .*data/);
    expect(none.stdout).toBe('');
    const mixed = await linkCommand('--ui', '0');
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/--link takes only --data-dir/);
  });

  it('refuses requests without the token and answers app.info with it', async () => {
    const { url, token } = await startUi();
    const anonymous = await fetch(`${url.origin}/api/call`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"method":"app.info","input":{}}',
    });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toMatch(/npm run headless -- --link/);

    const info = await result<AppInfo>(url.origin, token, 'app.info');
    expect(info).toMatchObject({ mode: 'headless', dataDir: path.join(dir, 'data') });
    expect(info.secretProtection.kind).toBe('file');
  });

  it('serves the built UI without a cookie: the page holds no secret', async () => {
    const { url, token } = await startUi();
    const page = await fetch(url, { redirect: 'manual' });
    expect(page.status).toBe(200);
    expect(page.headers.get('set-cookie')).toBeNull();
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toContain('<div id="root">');
    expect(html).not.toContain(token);
    const script = /src="\.?\/?(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${url.origin}/${script!}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('runs a bot created through the UI, and again after a restart from the data dir alone', async () => {
    const first = await startUi();
    const agent = await result<AgentView>(first.url.origin, first.token, 'agents.create', { name: 'Echo', provider: { type: 'echo' } });
    const bot = await result<BotView>(first.url.origin, first.token, 'bots.create', {
      platform: 'feishu',
      appId: APP.appId,
      appSecret: APP.appSecret,
      domain: lark.url,
      agentId: agent.id,
      replyMode: { dm: 'message' },
    });
    expect(bot).toMatchObject({ managedBy: 'app', hasAppSecret: true, replyMode: { dm: 'message', group: 'card' } });
    expect(JSON.stringify(bot)).not.toContain(APP.appSecret);
    await first.p.waitForLog('bot.connected', { bot: bot.id });
    first.p.kill('SIGTERM');
    expect((await first.p.exited).code).toBe(0);

    const second = await startUi();
    await second.p.waitForLog('bot.connected', { bot: bot.id });
    const m = lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'made in the UI' });
    await second.p.waitForLog('reply.sent', { messageId: m.messageId });
    expect(postText(lark.sentMessages({ replyTo: m.messageId })[0]!.content)).toBe('made in the UI');
    const bots = await result<BotView[]>(second.url.origin, second.token, 'bots.list');
    expect(bots.map((b) => b.id)).toEqual([bot.id]);
    for (const p of [first.p, second.p]) expect(p.stdout + p.stderr).not.toContain(APP.appSecret);
  });

  it('with --config too, shows the config file bots as read-only and stops cleanly on SIGTERM', async () => {
    const file = path.join(dir, 'config.json');
    await fs.writeFile(
      file,
      JSON.stringify({
        agents: [{ id: 'echo', name: 'Echo', provider: { type: 'echo' } }],
        bots: [
          { id: 'team-bot', platform: 'feishu', appId: APP.appId, appSecret: 'env:TEST_APP_SECRET', agentId: 'echo', domain: lark.url },
        ],
      }),
    );
    const p = start(['--ui', '0', '--config', file], { TEST_APP_SECRET: APP.appSecret });
    const url = new URL(await p.waitForUiUrl());
    const token = await tokenOf(url);
    await p.waitForLog('bot.connected', { bot: 'team-bot' });
    const bots = await result<BotView[]>(url.origin, token, 'bots.list');
    expect(bots).toEqual([expect.objectContaining({ id: 'team-bot', managedBy: 'config' })]);
    expect((await result<AppInfo>(url.origin, token, 'app.info')).configFile).toBe(file);
    p.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
    expect(p.lines().find((l) => l.event === 'runtime.stopped')).toBeDefined();
    // The server is gone with the process.
    await expect(fetch(`${url.origin}/`)).rejects.toThrow();
  });

  it('exits 2 and says to build when the UI is not built', async () => {
    const empty = path.join(dir, 'no-build');
    await fs.mkdir(empty);
    const p = start(['--ui', '0'], { KOCORO_UI_DIR: empty });
    const { code } = await p.exited;
    expect(code).toBe(2);
    expect(p.stderr).toContain('The UI is not built yet: run `npm run build` first.');
    expect(p.stdout).not.toMatch(/^UI: /m);
  });

  it('exits 2 on a bad --ui value and when neither --config nor --ui is given', async () => {
    const bad = start(['--ui', 'eighty']);
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr).toMatch(/--ui: "eighty" is not a port/);
    const none = start([]);
    expect((await none.exited).code).toBe(2);
    expect(none.stderr).toMatch(/Missing --config FILE or --ui PORT/);
  });
});
