import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { type OpenedRedis, openRedisConnections } from '@core/runtime/stores/redis/redis-connection';
import { MemoryLogger } from './memory-logger';
import { type PrivateRedis, startPrivateRedis } from './redis-server';

export interface RedisForFile {
  /** The private redis-server. */
  readonly server: PrivateRedis;
  /** A plain client, for looking at keys as they are. */
  readonly admin: Redis;
  /** The store's own connections (fail-fast, as the app opens them). */
  readonly connections: OpenedRedis;
}

/**
 * A private redis-server for the tests of one file (redis-server.ts): started before them with an
 * admin client and the store's connections, all closed after them. Call at the file's top level.
 */
export function redisForFile(): RedisForFile {
  let opened: RedisForFile | undefined;
  beforeAll(async () => {
    const server = await startPrivateRedis();
    opened = { server, admin: new Redis(server.url), connections: await openRedisConnections(server.url, new MemoryLogger()) };
  });
  afterAll(async () => {
    if (!opened) return;
    await opened.connections.close();
    opened.admin.disconnect();
    await opened.server.dispose();
  });
  const get = (): RedisForFile => {
    if (!opened) throw new Error('the private Redis is started before the tests run (redisForFile at the top level)');
    return opened;
  };
  return {
    get server() {
      return get().server;
    },
    get admin() {
      return get().admin;
    },
    get connections() {
      return get().connections;
    },
  };
}
