import type { Redis } from 'ioredis';
import type { Logger } from '@core/log/logger';
import type { AppKeys } from './redis-keys';

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
