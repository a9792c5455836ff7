import type { Inbox } from '../bot-store';
import { INBOX_ENTRY_FORMAT, type InboxEntry } from '../inbox';
import { errorMessage } from '@core/log/error-message';
import type { RedisStoreContext } from './redis-context';
import { guard } from './redis-errors';
import { INBOX_SET_ASIDE, runScript } from './redis-scripts';

/**
 * Accepted messages not answered yet: one hash (`…inbox`), a field per message id holding the
 * versioned entry. One HSET replaces an entry whole (atomic, idempotent per message).
 */
export class RedisInbox implements Inbox {
  constructor(private readonly ctx: RedisStoreContext) {}

  async put(entry: InboxEntry): Promise<void> {
    const value = JSON.stringify(INBOX_ENTRY_FORMAT.write(entry));
    await guard(this.ctx.target, this.ctx.client.hset(this.ctx.keys.inbox, entry.messageId, value));
  }

  async remove(messageId: string): Promise<void> {
    await guard(this.ctx.target, this.ctx.client.hdel(this.ctx.keys.inbox, messageId));
  }

  /**
   * Every entry, oldest received first, an older format brought up to date. One that cannot be
   * read (damaged, or written by a newer app) is moved as it is to `…aside:inbox` and logged.
   */
  async list(): Promise<InboxEntry[]> {
    const { client, keys, target, logger } = this.ctx;
    const all = await guard(target, client.hgetall(keys.inbox));
    const entries: InboxEntry[] = [];
    for (const [messageId, raw] of Object.entries(all)) {
      let read: ReturnType<typeof INBOX_ENTRY_FORMAT.read>;
      try {
        read = INBOX_ENTRY_FORMAT.read(JSON.parse(raw));
      } catch (err) {
        read = { ok: false, reason: 'invalid', problem: errorMessage(err) };
      }
      if (read.ok) {
        entries.push(read.data);
        continue;
      }
      const field = await guard(target, runScript(client, INBOX_SET_ASIDE, [keys.inbox, keys.inboxAside], [messageId, raw]));
      // No field: a put replaced the entry since it was read; the next list judges the new one.
      if (typeof field === 'string') {
        logger.log('error', 'inbox.corrupt_entry', {
          messageId,
          aside: `${keys.inboxAside} ${field}`,
          reason: read.reason,
          error: read.problem,
        });
      }
    }
    return entries.sort((a, b) => a.receivedAt - b.receivedAt);
  }
}
