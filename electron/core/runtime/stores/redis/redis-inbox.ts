import type { Inbox } from '../bot-store';
import { INBOX_ENTRY_FORMAT, type InboxEntry, type InboxKey, inboxOrder } from '../inbox';
import { errorMessage } from '@core/log/error-message';
import { type Fence, type RedisStoreContext, runStoreScript } from './redis-context';
import { guard } from './redis-errors';
import type { SeenRecord } from './redis-dedupe';
import { INBOX_ACCEPT, INBOX_PUT, INBOX_REMOVE, INBOX_SET_ASIDE, runScript } from './redis-scripts';

/**
 * Accepted messages not answered yet: one hash (`…inbox`), a field per message id holding the
 * versioned entry, and each chat's line of entries waiting (`…pending:<chatId>`, by when they were
 * sent; held ones wait outside it), which chat leases answer in order (redis-chat-leases.ts). Each
 * put or remove is one script: the entry and its place change together. With a `fence`, a chat
 * lease's view: its writes are refused once the lease is another's.
 */
export class RedisInbox implements Inbox {
  constructor(
    private readonly ctx: RedisStoreContext,
    private readonly fence?: Fence,
  ) {}

  async put(entry: InboxEntry): Promise<void> {
    this.ownChat(entry);
    await runStoreScript(this.ctx, INBOX_PUT, this.putKeys(entry), this.putArgs(entry), this.fence);
  }

  /** `put`, and the message's seen record written with it: one script (bot-store.ts `accept`). */
  async accept(entry: InboxEntry, seen: SeenRecord): Promise<void> {
    this.ownChat(entry);
    await runStoreScript(
      this.ctx,
      INBOX_ACCEPT,
      [...this.putKeys(entry), seen.key],
      [...this.putArgs(entry), seen.value, seen.ttlMs],
      this.fence,
    );
  }

  private putKeys(entry: InboxEntry): string[] {
    const { keys } = this.ctx;
    return [keys.inbox, keys.pending(entry.chatId), keys.chats];
  }

  private putArgs(entry: InboxEntry): Array<string | number> {
    const value = JSON.stringify(INBOX_ENTRY_FORMAT.write(entry));
    return [entry.messageId, value, entry.held ? '1' : '', inboxOrder(entry), entry.chatId];
  }

  async remove(entry: InboxKey): Promise<void> {
    this.ownChat(entry);
    const { keys } = this.ctx;
    await runStoreScript(
      this.ctx,
      INBOX_REMOVE,
      [keys.inbox, keys.pending(entry.chatId), keys.chats],
      [entry.messageId, entry.chatId],
      this.fence,
    );
  }

  /** A lease's view writes only its own chat's entries. */
  private ownChat({ chatId }: InboxKey): void {
    if (this.fence && chatId !== this.fence.chatId)
      throw new Error(`an entry of chat ${chatId} written under the lease of chat ${this.fence.chatId}`);
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
