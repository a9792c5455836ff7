import { errorMessage } from '../log/error-message';
// Only the URL rules: the Redis client itself is loaded when a Redis is used, not to read the option.
import { parseRedisUrl } from '../runtime/stores/redis/redis-url';

/** Where the bots keep their state: files in the data folder, or a Redis (README "Several replicas"). */
export type StateChoice = { kind: 'files' } | { kind: 'redis'; url: string; from: 'flag' | 'env' | 'config' };

/**
 * The state store asked for, first found of `--state`, `KOCORO_STATE`, the config file's `state`
 * (whose `env:NAME` is already resolved): a Redis URL or socket as `parseRedisUrl` reads it, or a
 * problem in words that names where it came from (its password hidden).
 */
export function chooseState(given: { flag?: string; env?: string; config?: string }): StateChoice | { problem: string } {
  const [value, from] =
    given.flag !== undefined
      ? [given.flag, 'flag' as const]
      : given.env
        ? [given.env, 'env' as const]
        : given.config !== undefined
          ? [given.config, 'config' as const]
          : [undefined, undefined];
  if (value === undefined || from === undefined) return { kind: 'files' };
  const where = { flag: '--state', env: 'KOCORO_STATE', config: 'the config file\'s "state"' }[from];
  try {
    parseRedisUrl(value);
  } catch (err) {
    return { problem: `${where}: ${errorMessage(err)}` };
  }
  return { kind: 'redis', url: value.trim(), from };
}
