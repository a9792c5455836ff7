import net from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import { errorMessage } from '@core/log/error-message';
import type { Logger } from '@core/log/logger';
import type { RedisStoreConnections } from './redis-bot-store';

/**
 * The connections to the Redis that holds the bots' state, opened from one URL:
 * `redis://[user:password@]host[:port][/db]`, `rediss://…` (TLS), or a unix socket
 * (`/path/to/redis.sock` or `unix:///path/to/redis.sock[?db=N]`).
 */
export interface RedisTarget {
  options: RedisOptions;
  /** The URL with any credentials hidden (`redis://***@host:port/db`): safe for messages and logs. */
  label: string;
}

/** How long a command may take before it fails: well inside the platform's 3 s for an ack. */
export const COMMAND_TIMEOUT_MS = 1_000;

/** Hides the credentials of anything that looks like a URL, even one that does not parse. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/[^/@\s]*@/, '//***@');
}

/** Reads and checks the URL; a problem is named in words, with the URL's credentials hidden. */
export function parseRedisUrl(url: string): RedisTarget {
  const shown = redactRedisUrl(url.trim());
  const fail = (problem: string): never => {
    throw new Error(`the state store URL "${shown}" ${problem}`);
  };
  const text = url.trim();
  if (text === '') fail('is empty: give redis://host:port/db, rediss://host:port/db or a unix socket path');
  if (text.startsWith('/')) return { options: { path: text }, label: `unix:${text}` };
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text))
    fail('is not a URL: give redis://host:port/db, rediss://host:port/db or a unix socket path starting with /');
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return fail('is not a URL: give redis://host:port/db, rediss://host:port/db or a unix socket path starting with /');
  }
  const credentials = {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
  const hidden = parsed.username || parsed.password ? '***@' : '';
  if (parsed.protocol === 'unix:') {
    if (!parsed.pathname.startsWith('/') || parsed.pathname === '/') fail('names no socket: give unix:///path/to/redis.sock');
    const db = readDb(parsed.searchParams.get('db') ?? '0', fail);
    for (const name of parsed.searchParams.keys()) if (name !== 'db') fail(`has an option this app does not know: "${name}"`);
    return { options: { path: parsed.pathname, db, ...credentials }, label: `unix://${hidden}${parsed.pathname}?db=${db}` };
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    fail(`starts with "${parsed.protocol}//": give redis://, rediss:// (TLS) or a unix socket path`);
  }
  if (parsed.hostname === '') fail('names no host: give redis://host:port/db');
  if (parsed.search !== '') fail('has options (after "?") this app does not read: put the database in the path (redis://host:port/0)');
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const db = readDb(parsed.pathname.replace(/^\//, '') || '0', fail);
  const tls = parsed.protocol === 'rediss:' ? { tls: net.isIP(host) ? {} : { servername: host } } : {};
  const label = `${parsed.protocol}//${hidden}${parsed.hostname}:${port}/${db}`;
  return { options: { host, port, db, ...credentials, ...tls }, label };
}

function readDb(text: string, fail: (problem: string) => never): number {
  if (!/^\d{1,5}$/.test(text)) return fail(`names database "${text}": a database is a number (redis://host:port/0)`);
  return Number(text);
}

/**
 * Fails fast rather than waits: no offline queue (a call while Redis is away fails at once), a
 * command timeout, one retry, no replay after a reconnect of a command its caller already saw fail;
 * reconnects within a second of Redis coming back.
 */
const FAIL_FAST: RedisOptions = {
  enableOfflineQueue: false,
  commandTimeout: COMMAND_TIMEOUT_MS,
  maxRetriesPerRequest: 1,
  autoResendUnfulfilledCommands: false,
  connectTimeout: 2_000,
  retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  lazyConnect: true,
};

export interface OpenedRedis extends RedisStoreConnections {
  readonly label: string;
  close(): Promise<void>;
}

/**
 * Opens the command connection and the subscriber connection, and waits until both are ready.
 * Fails, naming the (redacted) URL, when Redis cannot be reached — unless `keepTrying`: then the
 * connections go on reconnecting (every second at most) and are returned not ready yet. An outage
 * later is logged once when it starts and once when it ends, not at every reconnect attempt.
 */
export async function openRedisConnections(url: string, logger: Logger, keepTrying = false): Promise<OpenedRedis> {
  const { options, label } = parseRedisUrl(url);
  const client = new Redis({ ...options, ...FAIL_FAST, connectionName: 'kocoro' });
  const subscriber = new Redis({ ...options, ...FAIL_FAST, connectionName: 'kocoro-subscriber' });
  // ioredis rejects a failed connect with "Connection is closed."; the error event says why.
  let why: unknown;
  for (const [role, conn] of [
    ['commands', client],
    ['subscriber', subscriber],
  ] as const) {
    let down = false;
    conn.on('error', (err: unknown) => {
      why ??= err;
      if (down) return;
      down = true;
      logger.log('warn', 'state.unreachable', { store: label, connection: role, error: redactRedisUrl(errorMessage(err)) });
    });
    conn.on('ready', () => {
      if (!down) return;
      down = false;
      logger.log('info', 'state.reachable', { store: label, connection: role });
    });
  }
  try {
    await Promise.all([client.connect(), subscriber.connect()]);
  } catch (err) {
    if (keepTrying) return opened(client, subscriber, label);
    client.disconnect();
    subscriber.disconnect();
    throw new Error(`cannot reach the state store at ${label}: ${redactRedisUrl(errorMessage(why ?? err))}`, { cause: err });
  }
  return opened(client, subscriber, label);
}

function opened(client: Redis, subscriber: Redis, label: string): OpenedRedis {
  return {
    client,
    subscriber,
    label,
    async close() {
      // QUIT lets replies in flight arrive; while Redis is away it fails, and disconnect ends the reconnecting.
      await Promise.allSettled([client.quit(), subscriber.quit()]);
      client.disconnect();
      subscriber.disconnect();
    },
  };
}
