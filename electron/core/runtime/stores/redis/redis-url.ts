import net from 'node:net';
import type { RedisOptions } from 'ioredis';

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
