import { Redis, type RedisOptions } from 'ioredis';
import { errorMessage } from '@core/log/error-message';
import type { Logger } from '@core/log/logger';
import type { RedisStoreConnections } from './redis-bot-store';
import { parseRedisUrl, redactRedisUrl } from './redis-url';

export { parseRedisUrl, redactRedisUrl, type RedisTarget } from './redis-url';

/** How long a command may take before it fails: well inside the platform's 3 s for an ack. */
export const COMMAND_TIMEOUT_MS = 1_000;

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
