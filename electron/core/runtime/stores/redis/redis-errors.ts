import type { Redis, RedisOptions } from 'ioredis';
import { errorMessage } from '@core/log/error-message';

/**
 * Redis could not be reached (down, restarting, too slow): the caller refuses the work (the
 * platform re-pushes an unacknowledged message) rather than wait. Said in words a person can act on.
 */
export class StateStoreUnreachableError extends Error {
  constructor(target: string, cause: unknown) {
    super(`the state store (${target}) is unreachable: ${errorMessage(cause)}`, { cause });
    this.name = 'StateStoreUnreachableError';
  }
}

/** Redis answered, with an error (a script's, a wrong type): not an outage, a bug or a misconfiguration. */
export class StateStoreRefusedError extends Error {
  constructor(target: string, cause: unknown) {
    super(`the state store (${target}) refused a command: ${errorMessage(cause)}`, { cause });
    this.name = 'StateStoreRefusedError';
  }
}

/** Where a connection goes, for messages: host, port and database or the socket, never a password. */
export function describeTarget(client: Redis): string {
  const o: RedisOptions = client.options;
  if (o.path) return `unix:${o.path}`;
  return `${o.tls ? 'rediss' : 'redis'}://${o.host ?? 'localhost'}:${o.port ?? 6379}/${o.db ?? 0}`;
}

/** Every command the store sends goes through this: a failure says which of the two it was. */
export function guard<T>(target: string, command: Promise<T>): Promise<T> {
  return command.catch((err: unknown) => {
    // ioredis's ReplyError (the server's own answer) is the only error that proves Redis was reached.
    throw err instanceof Error && err.name === 'ReplyError'
      ? new StateStoreRefusedError(target, err)
      : new StateStoreUnreachableError(target, err);
  });
}
