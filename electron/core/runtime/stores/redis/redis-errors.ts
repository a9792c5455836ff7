import type { Redis, RedisOptions } from 'ioredis';
import { errorMessage } from '@core/log/error-message';
import { ChatLeaseLost } from '../bot-store';

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

/**
 * Every command the store sends goes through this: a failure says which of the two it was. A write
 * refused by its chat lease's fence (redis-scripts.ts `fenced`) is `ChatLeaseLost` for `chatId`.
 */
export function guard<T>(target: string, command: Promise<T>, chatId?: string): Promise<T> {
  return command.catch((err: unknown) => {
    // ioredis's ReplyError (the server's own answer) is the only error that proves Redis was reached.
    if (!(err instanceof Error && err.name === 'ReplyError')) throw new StateStoreUnreachableError(target, err);
    if (chatId !== undefined && err.message.startsWith(FENCED)) throw new ChatLeaseLost(chatId);
    throw new StateStoreRefusedError(target, err);
  });
}

/** How a fenced script refuses a write (redis-scripts.ts). */
export const FENCED = 'FENCED';
