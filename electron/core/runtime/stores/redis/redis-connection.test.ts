import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLogger } from '@e2e/support/memory-logger';
import { type PrivateRedis, startPrivateRedis } from '@e2e/support/redis-server';
import { openRedisConnections, parseRedisUrl, redactRedisUrl } from './redis-connection';

describe('the state store URL', () => {
  it('reads host, port and database, with the defaults', () => {
    expect(parseRedisUrl('redis://cache.internal:6380/2')).toEqual({
      options: { host: 'cache.internal', port: 6380, db: 2 },
      label: 'redis://cache.internal:6380/2',
    });
    expect(parseRedisUrl('redis://localhost').options).toEqual({ host: 'localhost', port: 6379, db: 0 });
    expect(parseRedisUrl('redis://[::1]:7000/1').options).toEqual({ host: '::1', port: 7000, db: 1 });
  });

  it('takes the credentials, decoded, and never shows the password', () => {
    const { options, label } = parseRedisUrl('redis://kocoro:p%40ss%2Fword@cache:6379/3');
    expect(options).toMatchObject({ username: 'kocoro', password: 'p@ss/word', db: 3 });
    expect(label).toBe('redis://***@cache:6379/3');
    expect(parseRedisUrl('redis://:only-a-password@cache').label).toBe('redis://***@cache:6379/0');
  });

  it('speaks TLS for rediss://, naming the server it expects', () => {
    expect(parseRedisUrl('rediss://redis.example.com:6380').options).toMatchObject({ tls: { servername: 'redis.example.com' } });
    expect(parseRedisUrl('rediss://10.0.0.5').options).toMatchObject({ tls: {} });
  });

  it('takes a unix socket as a path or a unix:// URL', () => {
    expect(parseRedisUrl('/run/redis/redis.sock')).toEqual({
      options: { path: '/run/redis/redis.sock' },
      label: 'unix:/run/redis/redis.sock',
    });
    expect(parseRedisUrl('unix:///run/redis.sock?db=4').options).toEqual({ path: '/run/redis.sock', db: 4 });
  });

  it('names what is wrong with a URL it cannot use, its password hidden', () => {
    const problems: Array<[string, RegExp]> = [
      ['', /is empty/],
      ['localhost:6379', /is not a URL: give redis:\/\/host:port\/db/],
      ['http://cache:6379', /starts with "http:\/\/"/],
      ['redis://:hunter2@cache:6379/zero', /names database "zero": a database is a number/],
      ['redis://:hunter2@cache:99999', /is not a URL/],
      ['redis://cache/0?tls=true', /has options/],
      ['unix://', /names no socket/],
      ['unix:///run/redis.sock?timeout=1', /an option this app does not know: "timeout"/],
    ];
    for (const [url, problem] of problems) {
      let message = '';
      try {
        parseRedisUrl(url);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message, url).toMatch(problem);
      expect(message).not.toContain('hunter2');
    }
  });

  it('hides the credentials of any text that carries a URL', () => {
    expect(redactRedisUrl('redis://user:secret@host:6379/0')).toBe('redis://***@host:6379/0');
    expect(redactRedisUrl('connect to rediss://:pw@cache:6380 failed')).toBe('connect to rediss://***@cache:6380 failed');
    expect(redactRedisUrl('redis://host:6379')).toBe('redis://host:6379');
  });
});

describe('the connections to the state store', () => {
  let server: PrivateRedis;
  beforeAll(async () => {
    server = await startPrivateRedis();
  });
  afterAll(() => server.dispose());

  it('connects over TCP and over the unix socket, both failing fast rather than queueing', async () => {
    for (const url of [server.url, server.socket, `unix://${server.socket}?db=1`]) {
      const opened = await openRedisConnections(url, new MemoryLogger());
      expect(await opened.client.ping()).toBe('PONG');
      expect(opened.client.options).toMatchObject({ enableOfflineQueue: false, commandTimeout: 1_000, maxRetriesPerRequest: 1 });
      expect(opened.subscriber.options.connectionName).toBe('kocoro-subscriber');
      await opened.close();
    }
  });

  it('fails at once, naming the store without its password, when Redis cannot be reached', async () => {
    const logger = new MemoryLogger();
    const started = Date.now();
    const closed = `redis://:hunter2@127.0.0.1:${server.port + 1}/0`;
    await expect(openRedisConnections(closed, logger)).rejects.toThrow(
      new RegExp(`cannot reach the state store at redis://\\*\\*\\*@127\\.0\\.0\\.1:${server.port + 1}/0: .*ECONNREFUSED`),
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(JSON.stringify(logger.records)).not.toContain('hunter2');
    expect(logger.records).toContainEqual(expect.objectContaining({ event: 'state.unreachable' }));
  });
});
