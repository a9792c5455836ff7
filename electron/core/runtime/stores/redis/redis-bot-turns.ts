import { errorMessage } from '@core/log/error-message';
import type { BotTurns } from '../bot-store';
import type { RedisStoreContext } from './redis-context';
import { guard } from './redis-errors';
import { runScript, type StoreScript } from './redis-scripts';

/** The field of the `state` hash the record keeps the chat's count in (redis-state.ts reads the same). */
const field = (chatId: string): string => `botTurns:${chatId}`;

/** KEYS: state. ARGV: the chat's field, the limit. 1 and counted while under the limit, else 0. */
const ADMIT: StoreScript = {
  name: 'kocoroBotTurnAdmit',
  keys: 1,
  lua: String.raw`local n = tonumber(redis.call('HGET', KEYS[1], ARGV[1])) or 0
if n >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], n + 1)
return 1`,
};

/**
 * The loop guard's counts shared by every process of the app: a bot's messages reach whichever
 * process the platform picks, so each count is one field of the app's `state` hash, counted by a
 * script (read, compare and add in one step) and reset by a person's message.
 */
export class RedisBotTurns implements BotTurns {
  constructor(private readonly ctx: RedisStoreContext) {}

  /**
   * Sent, not awaited: commands on one connection run in the order sent, so a bot turn counted
   * after this message is counted after the reset. Lost with Redis away: the message is refused too
   * (its write fails), and the platform's re-push resets the count then.
   */
  human(chatId: string): void {
    const { client, keys, target, logger } = this.ctx;
    guard(target, client.hdel(keys.state, field(chatId))).catch((err: unknown) =>
      logger.log('warn', 'loop_guard.reset_failed', { chatId, error: errorMessage(err) }),
    );
  }

  async admit(chatId: string, limit: number): Promise<boolean> {
    const { client, keys, target } = this.ctx;
    return (await guard(target, runScript(client, ADMIT, [keys.state], [field(chatId), limit]))) === 1;
  }
}
