/**
 * The renderer's client (renderer/src/api/client.ts) against the real UI server over real
 * sockets: the two halves of the headless transport agree on the wire format.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient, type AppClient, type ConnectionState, type SocketLike } from '../../renderer/src/api/client';
import type { KocoroBridge } from '@shared/bridge';
import { METHOD_NAMES, RpcError, type AppInfo, type EventPayload, type Handlers } from '@shared/contract';

type BotStatus = EventPayload<'bot.status'>;
import { EventBus } from '../core/api/event-bus';
import { silentLogger } from '../core/log/logger';
import { startUiServer, type UiServer } from './ui-server';

const TOKEN = 'client-test-token-0123456789abcdefghijklm';
const INFO: AppInfo = { version: '1.2.3', mode: 'headless', secretProtection: { kind: 'file', detail: 'x' }, dataDir: '/d' };

function handlers(): Handlers {
  const unused = Object.fromEntries(
    METHOD_NAMES.map((m) => [m, () => Promise.reject(new RpcError('internal', `${m} unused`))]),
  ) as unknown as Handlers;
  return {
    ...unused,
    'app.info': () => Promise.resolve(INFO),
    'bots.remove': () => Promise.reject(new RpcError('not_found', 'There is no bot "x".', 'id')),
  };
}

let dir: string;
let bus: EventBus;
let server: UiServer;
const clients: AppClient[] = [];

const start = (port: number): Promise<UiServer> =>
  startUiServer({ port, handlers: handlers(), events: bus, staticDir: dir, token: TOKEN, logger: silentLogger });

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-client-'));
  await fs.writeFile(path.join(dir, 'index.html'), '<!doctype html>');
  bus = new EventBus();
  server = await start(0);
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.close();
  await fs.rm(dir, { recursive: true, force: true });
});

/** What a browser does for the page: send the token it holds (Bearer, subprotocol) and its Origin. */
function browserLikeClient(token = TOKEN): AppClient {
  const origin = server.origin;
  const client = createClient({
    bridge: null,
    baseUrl: origin,
    token,
    fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), Origin: origin } }),
    openSocket: (url, protocols) => new WebSocket(url, protocols, { headers: { Origin: origin } }) as unknown as SocketLike,
    reconnect: { initialMs: 50, maxMs: 200 },
  });
  clients.push(client);
  return client;
}

async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const status = (botId: string): BotStatus => ({ botId, state: 'connected', since: 1 });

describe('renderer client over HTTP + WebSocket', () => {
  it('calls a method and gets its result', async () => {
    const client = browserLikeClient();
    expect(client.transport).toBe('http');
    await expect(client.call('app.info', {})).resolves.toEqual(INFO);
  });

  it('rejects with an RpcError carrying code, message and field', async () => {
    const client = browserLikeClient();
    const invalid = await client
      .call('bots.create', { platform: 'feishu', appId: 'nope', appSecret: 's', agentId: 'echo' })
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(RpcError);
    expect(invalid).toMatchObject({ code: 'invalid_input', field: 'appId' });
    const missing = await client.call('bots.remove', { id: 'x' }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'not_found', message: 'There is no bot "x".', field: 'id' });
  });

  it('rejects with code unauthorized when the cookie is not valid', async () => {
    const client = browserLikeClient('stale-token-from-the-last-run');
    await expect(client.call('app.info', {})).rejects.toMatchObject({
      code: 'unauthorized',
      message: expect.stringMatching(/npm run headless/),
    });
  });

  it('delivers push events to listeners, and closes the socket when the last listener leaves', async () => {
    const client = browserLikeClient();
    const seen: BotStatus[] = [];
    const off = client.on('bot.status', (s) => seen.push(s));
    let changed = 0;
    const off2 = client.on('bots.changed', () => changed++);
    // The socket is open and subscribed on the server side.
    await until(() => (bus as unknown as { listeners: Set<unknown> }).listeners.size === 1);
    bus.emit('bot.status', status('b1'));
    bus.emit('bots.changed', {});
    await until(() => seen.length === 1 && changed === 1);
    expect(seen).toEqual([status('b1')]);
    off();
    bus.emit('bot.status', status('b2'));
    bus.emit('bots.changed', {});
    await until(() => changed === 2);
    expect(seen).toHaveLength(1);
    off2();
  });

  it('goes offline when the server goes away and reconnects by itself when it is back', async () => {
    const client = browserLikeClient();
    const states: ConnectionState[] = [];
    client.onConnection((s) => states.push(s));
    const seen: string[] = [];
    client.on('bot.status', (s) => seen.push(s.botId));
    await new Promise((r) => setTimeout(r, 100));
    expect(client.connection).toBe('online');

    const port = server.port;
    await server.close();
    await until(() => client.connection === 'offline');
    server = await start(port);
    await until(() => client.connection === 'online');
    expect(states).toEqual(['offline', 'online']);
    bus.emit('bot.status', status('after-restart'));
    await until(() => seen.includes('after-restart'));
  });
});

describe('renderer client over the desktop bridge', () => {
  it('unwraps envelopes and turns errors and refusals into RpcErrors', async () => {
    const calls: Array<[string, unknown]> = [];
    const bridge: KocoroBridge = {
      call: (method, input) => {
        calls.push([method, input]);
        if (method === 'app.info') return Promise.resolve({ ok: true, result: INFO });
        if (method === 'bots.remove') return Promise.resolve({ ok: false, error: { code: 'in_use', message: 'busy', field: 'id' } });
        return Promise.reject(new Error('IPC refused: untrusted sender frame'));
      },
      on: () => () => {},
    };
    const client = createClient({ bridge });
    expect(client.transport).toBe('ipc');
    expect(client.connection).toBe('online');
    await expect(client.call('app.info', {})).resolves.toEqual(INFO);
    await expect(client.call('bots.remove', { id: 'b' })).rejects.toMatchObject({ code: 'in_use', message: 'busy', field: 'id' });
    await expect(client.call('bots.list', {})).rejects.toMatchObject({
      code: 'internal',
      message: expect.stringMatching(/untrusted sender/),
    });
    expect(calls[0]).toEqual(['app.info', {}]);
  });

  it('passes event subscriptions to the bridge', () => {
    const registered: string[] = [];
    let unsubscribed = 0;
    const bridge: KocoroBridge = {
      call: () => Promise.reject(new Error('unused')),
      on: (event) => {
        registered.push(event);
        return () => unsubscribed++;
      },
    };
    const off = createClient({ bridge }).on('agent.test', () => {});
    off();
    expect(registered).toEqual(['agent.test']);
    expect(unsubscribed).toBe(1);
  });
});
