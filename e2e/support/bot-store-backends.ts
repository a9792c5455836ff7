/**
 * The implementations of bot-store.ts that its contract suite (bot-store.contract.test.ts) runs
 * against, each with the few things a test needs to do behind a store's back.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { BotStore } from '@core/runtime/stores/bot-store';
import { openBotStores } from '@core/runtime/stores/bot-stores';
import { openRedisBotStore } from '@core/runtime/stores/redis/redis-bot-store';
import { type OpenedRedis, openRedisConnections } from '@core/runtime/stores/redis/redis-connection';
import type { MemoryLogger } from './memory-logger';
import { type PrivateRedis, startPrivateRedis } from './redis-server';

export interface OpenOptions {
  now: () => number;
  logger: MemoryLogger;
}

export interface Backend {
  readonly name: string;
  /** Several processes may open one app's store at once. */
  readonly shared: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The store of `app`; opening it again is the same state reopened (a restart; with Redis, also another process). */
  open(app: string, opts: OpenOptions): Promise<BotStore>;
  /** Writes an entry the store cannot read, behind its back. */
  damageInbox(app: string, messageId: string): Promise<void>;
  /** What the store set aside of the inbox, as it was. */
  inboxSetAside(app: string): Promise<string[]>;
  closeAll(): Promise<void>;
}

export function fileBackend(): Backend {
  let root = '';
  return {
    name: 'the file store',
    shared: false,
    async start() {
      root = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-contract-'));
    },
    stop: () => fs.rm(root, { recursive: true, force: true }),
    open: (app, { now, logger }) => openBotStores(path.join(root, app), {}, logger, now),
    damageInbox: (app, messageId) => fs.writeFile(path.join(root, app, 'inbox', `${messageId}.json`), '{not json'),
    async inboxSetAside(app) {
      const dir = path.join(root, app, 'inbox');
      const aside = (await fs.readdir(dir)).filter((n) => n.endsWith('.corrupt') || n.endsWith('.newer'));
      return Promise.all(aside.map((n) => fs.readFile(path.join(dir, n), 'utf8')));
    },
    closeAll: async () => undefined,
  };
}

export function redisBackend(): Backend {
  let server: PrivateRedis;
  let admin: Redis;
  const opened: Array<{ connections: OpenedRedis; close: () => Promise<void> }> = [];
  return {
    name: 'the Redis store',
    shared: true,
    async start() {
      server = await startPrivateRedis();
      admin = new Redis(server.url);
    },
    async stop() {
      admin.disconnect();
      await server.dispose();
    },
    async open(app, { now, logger }) {
      // Connections of its own: a second open is as another process would be.
      const connections = await openRedisConnections(server.url, logger);
      const store = await openRedisBotStore(connections, { appId: app, logger, now });
      opened.push({ connections, close: () => store.close() });
      return store;
    },
    damageInbox: async (app, messageId) => void (await admin.hset(`kocoro:{${app}}:inbox`, messageId, '{not json')),
    inboxSetAside: (app) => admin.hvals(`kocoro:{${app}}:aside:inbox`),
    async closeAll() {
      for (const { connections, close } of opened.splice(0)) {
        await close();
        await connections.close();
      }
    },
  };
}
