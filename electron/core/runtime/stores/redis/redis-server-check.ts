import type { Redis } from 'ioredis';
import { errorMessage } from '@core/log/error-message';

/**
 * What the operator should know about the Redis that holds the bots' state, checked at start
 * (README "Several replicas" says which settings to use and why): each finding is a warning with
 * its fix, never a refusal: the owner may know better (a managed Redis that hides CONFIG).
 */
export async function redisWarnings(client: Redis): Promise<string[]> {
  const warnings: string[] = [];
  const server = parseInfo(await client.info('server'));
  const version = server.redis_version ?? '';
  if (!atLeast(version, [6, 2])) {
    warnings.push(`Redis ${version || '(version unknown)'} is older than 6.2, which Kocoro needs (SET … GET, PXAT): upgrade it.`);
  }
  const policy = await configValue(client, 'maxmemory-policy');
  if (policy === undefined) warnings.push('maxmemory-policy could not be read (CONFIG is not allowed): make sure it is noeviction.');
  else if (policy !== 'noeviction') {
    warnings.push(
      `maxmemory-policy is ${policy}: when memory runs short Redis silently drops keys, and with them accepted messages and memory. Set maxmemory-policy noeviction.`,
    );
  }
  const persistence = parseInfo(await client.info('persistence'));
  const aof = persistence.aof_enabled === '1';
  const save = await configValue(client, 'save');
  if (!aof && (save === undefined || save.trim() === '')) {
    warnings.push(
      'Redis keeps the state in memory only (no appendonly, no snapshots): a Redis restart loses the accepted messages not yet answered and every conversation. Set appendonly yes.',
    );
  } else if (!aof) {
    warnings.push(
      'Redis saves snapshots only (no appendonly): a Redis crash loses what changed since the last snapshot, acknowledged messages included. Set appendonly yes.',
    );
  } else {
    const fsync = await configValue(client, 'appendfsync');
    if (fsync !== undefined && fsync !== 'always') {
      warnings.push(
        `appendfsync is ${fsync}: on a power loss or a host crash Redis may lose about the last second of writes, messages already acknowledged to the platform included. appendfsync always keeps every one.`,
      );
    }
  }
  return warnings;
}

async function configValue(client: Redis, name: string): Promise<string | undefined> {
  try {
    const reply = (await client.config('GET', name)) as unknown;
    // RESP2 answers [name, value]; RESP3 a map.
    if (Array.isArray(reply)) return typeof reply[1] === 'string' ? reply[1] : undefined;
    if (reply instanceof Map) return reply.get(name) as string | undefined;
    if (reply && typeof reply === 'object') return (reply as Record<string, string>)[name];
    return undefined;
  } catch (err) {
    // A managed Redis may refuse CONFIG (NOPERM, unknown command): not a failure, just unknown.
    if (/NOPERM|unknown command|ERR/.test(errorMessage(err))) return undefined;
    throw err;
  }
}

function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

function atLeast(version: string, [major, minor]: [number, number]): boolean {
  const [a = 0, b = 0] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
}
