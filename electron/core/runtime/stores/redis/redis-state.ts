import { errorMessage } from '@core/log/error-message';
import { DebouncedRecord } from '../debounced-record';
import { type BotState, STATE_FORMAT } from '../bot-state';
import type { RedisStoreContext } from './redis-context';
import { guard } from './redis-errors';
import { runScript, STATE_SET_ASIDE, STATE_WRITE } from './redis-scripts';

const TURNS = 'botTurns:';

/**
 * The bot's record in one hash (`…state`): `record`, the versioned JSON of everything but the two
 * fields below, written whole; `lastMessageAt`; and `botTurns:<chatId>`, one field per chat. The
 * counts are separate fields so that processes answering different chats of one bot each write
 * only their own chats (STATE_WRITE in redis-scripts.ts), never a whole map over another's.
 */
export class RedisBotRecord extends DebouncedRecord {
  private constructor(
    private readonly ctx: RedisStoreContext,
    state: BotState,
    /** What Redis holds as far as this process knows: each write sends only what differs. */
    private written: BotState,
  ) {
    super(state);
  }

  /**
   * Reads the record, bringing an older format up to date. One this app cannot read (damaged, or
   * written by a newer app) is set aside whole (`…aside:state`), never overwritten, and the bot
   * starts afresh.
   */
  static async open(ctx: RedisStoreContext): Promise<RedisBotRecord> {
    const { client, keys, target, logger } = ctx;
    const fields = await guard(target, client.hgetall(keys.state));
    const read = readRecord(fields);
    let state: BotState = { botTurns: {} };
    if (read.ok) state = read.data;
    else {
      const aside = await guard(target, runScript(client, STATE_SET_ASIDE, [keys.state, keys.stateAside], [fields.record ?? '']));
      logger.log('warn', 'bot.state_unreadable', {
        key: keys.state,
        error: `the state record ${read.problem}`,
        fallback: 'starting afresh',
        aside: typeof aside === 'string' ? `${keys.stateAside} ${aside}` : undefined,
      });
      // What was there is aside (or was replaced meanwhile): nothing of it is this process's to keep.
      return new RedisBotRecord(ctx, state, { botTurns: {} });
    }
    return new RedisBotRecord(ctx, state, structuredClone(state));
  }

  /** The newest "last message" any process of the app received (it only moves forward: STATE_WRITE). */
  async lastMessageShared(): Promise<number | undefined> {
    const raw = await guard(this.ctx.target, this.ctx.client.hget(this.ctx.keys.state, 'lastMessageAt'));
    const at = Number(raw);
    return raw !== null && Number.isFinite(at) ? at : undefined;
  }

  /** Stops the timer; what was updated and not flushed stays unwritten (call flush first). */
  close(): void {
    this.stopTimer();
  }

  protected async persist(state: BotState): Promise<void> {
    const { client, keys, target, logger } = this.ctx;
    const { botTurns, lastMessageAt, ...rest } = STATE_FORMAT.write(state);
    const set: string[] = [];
    for (const [chat, count] of Object.entries(botTurns)) if (this.written.botTurns[chat] !== count) set.push(TURNS + chat, String(count));
    const removed = Object.keys(this.written.botTurns).filter((chat) => !(chat in botTurns));
    const last = lastMessageAt !== undefined && lastMessageAt !== this.written.lastMessageAt ? String(lastMessageAt) : '';
    const args = [STATE_FORMAT.version, JSON.stringify(rest), last, set.length / 2, ...set, ...removed.map((chat) => TURNS + chat)];
    try {
      const aside = await guard(target, runScript(client, STATE_WRITE, [keys.state, keys.stateAside], args));
      this.written = state;
      if (typeof aside === 'string') {
        logger.log('warn', 'bot.state_unreadable', {
          key: keys.state,
          error: 'the state record was written by a newer version of the app',
          aside,
        });
      }
    } catch (err) {
      logger.log('warn', 'bot.state_write_failed', { error: errorMessage(err) });
      this.retryLater();
    }
  }
}

/** The hash's fields as one record for the versioned format: the counts and the last message beside the record's own fields. */
function readRecord(fields: Record<string, string>): ReturnType<typeof STATE_FORMAT.read> {
  if (Object.keys(fields).length === 0) return { ok: true, data: { botTurns: {} }, from: STATE_FORMAT.version, current: true };
  let record: unknown = {};
  try {
    if (fields.record !== undefined) record = JSON.parse(fields.record);
  } catch (err) {
    return { ok: false, reason: 'invalid', problem: `is not JSON (${errorMessage(err)})` };
  }
  if (record === null || typeof record !== 'object' || Array.isArray(record))
    return { ok: false, reason: 'invalid', problem: 'is not a JSON object' };
  const botTurns: Record<string, number> = {};
  for (const [field, value] of Object.entries(fields)) if (field.startsWith(TURNS)) botTurns[field.slice(TURNS.length)] = Number(value);
  const lastMessageAt = fields.lastMessageAt === undefined ? {} : { lastMessageAt: Number(fields.lastMessageAt) };
  return STATE_FORMAT.read({ ...record, ...lastMessageAt, botTurns });
}
