import type { Redis } from 'ioredis';
import type { Logger } from '@core/log/logger';
import { ChatLeaseLost } from '../bot-store';
import { guard } from './redis-errors';
import type { AppKeys } from './redis-keys';
import { fenced, runScript, type StoreScript } from './redis-scripts';

/** What each part of one app's Redis store works with. */
export interface RedisStoreContext {
  /** The shared command connection: no offline queue, a command timeout (redis-connection.ts). */
  readonly client: Redis;
  readonly keys: AppKeys;
  /** Where the connection goes, for messages (describeTarget: never a password). */
  readonly target: string;
  readonly logger: Logger;
  readonly now: () => number;
}

/** A chat lease a write is made under: the write runs only while the lease key holds the token (redis-scripts.ts `fenced`). */
export interface Fence {
  readonly chatId: string;
  readonly key: string;
  readonly token: string;
  /** Whether the lease still counts as this process's here (renewed in time): a write is refused before it is sent once it does not. */
  valid(): boolean;
}

/** Runs `script`, fenced by `fence` when there is one; a fenced refusal is `ChatLeaseLost`. */
export function runStoreScript(
  ctx: RedisStoreContext,
  script: StoreScript,
  keys: string[],
  args: Array<string | number>,
  fence?: Fence,
): Promise<unknown> {
  if (!fence) return guard(ctx.target, runScript(ctx.client, script, keys, args));
  if (!fence.valid()) return Promise.reject(new ChatLeaseLost(fence.chatId));
  return guard(ctx.target, runScript(ctx.client, fenced(script), [...keys, fence.key], [...args, fence.token]), fence.chatId);
}
