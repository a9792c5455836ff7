import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../log/logger';
import { syncDir, writeFileAtomic } from '../../store/atomic-file';
import { ensurePrivateDir } from '../../store/private-files';
import { versionedFormat } from '../../store/versioned';
import type { Inbox } from './bot-store';
import { errorMessage } from '../../log/error-message';

export const inboxEntrySchema = z.object({
  /** The IM message id (`om_…`): the dedupe key and the target of the reply. */
  messageId: z.string(),
  chatId: z.string(),
  receivedAt: z.number(),
  /** The event exactly as it arrived, so nothing is lost if our parsing changes. */
  event: z.unknown(),
  attempts: z.number().default(0),
  /** Arrived late with the `hold` backlog policy: kept, not answered, until the owner says (README "backlog"). */
  held: z.boolean().optional(),
  /** When the message was sent (the platform's create_time), for a late message's note. */
  sentAt: z.number().optional(),
  /** The cards already sent for this answer (lark/outbound/card-stream.ts): a restart writes into them, never sends another. */
  reply: z
    .object({
      cards: z.array(
        z.object({
          cardId: z.string(),
          messageId: z.string().optional(),
          createdAt: z.number(),
          /** The text the card shows, kept before it is shown where another process may take the answer over (its text never goes backwards). */
          shown: z.string().optional(),
        }),
      ),
    })
    .optional(),
  /** A run began answering it (kept for agents whose steps act on this computer): a second run says it restarted. */
  startedAt: z.number().optional(),
  /** Not to be answered again before this time (a transient failure's retry, where chats are leased). */
  retryAt: z.number().optional(),
});
export type InboxEntry = z.infer<typeof inboxEntrySchema>;

/** What names an entry in the inbox. */
export type InboxKey = Pick<InboxEntry, 'messageId' | 'chatId'>;

const sentTime = z.object({ message: z.object({ create_time: z.string().regex(/^\d+$/) }) });

/** Where an entry goes in its chat's line: when the message was sent (the platform's clock), else when it was received. */
export function inboxOrder(entry: InboxEntry): number {
  const sent = sentTime.safeParse(entry.event);
  return sent.success ? Number(sent.data.message.create_time) : entry.receivedAt;
}

/** An entry file's format: version 1 is the first (entries without `version`); a change adds a migration. */
export const INBOX_ENTRY_FORMAT = versionedFormat({ schema: inboxEntrySchema, migrations: [] });

/**
 * Messages that were accepted (acknowledged to the platform) but not yet answered, one file each.
 * An entry is on disk before the ack goes out and is removed only once the reply is sent, so a
 * crash in between loses nothing: the next start answers it.
 */
export class DurableInbox implements Inbox {
  private constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  static async open(dir: string, logger: Logger): Promise<DurableInbox> {
    await ensurePrivateDir(dir);
    return new DurableInbox(dir, logger);
  }

  private fileFor(messageId: string): string {
    // Message ids are platform strings: hash them rather than trust them as file names.
    return path.join(this.dir, `${createHash('sha256').update(messageId).digest('hex').slice(0, 40)}.json`);
  }

  /** Idempotent: the same message written twice is one entry. */
  async put(entry: InboxEntry): Promise<void> {
    await writeFileAtomic(this.fileFor(entry.messageId), JSON.stringify(INBOX_ENTRY_FORMAT.write(entry)));
  }

  async remove({ messageId }: InboxKey): Promise<void> {
    await fs.rm(this.fileFor(messageId), { force: true });
    await syncDir(this.dir);
  }

  /**
   * Every pending entry, oldest first, an older format brought up to date. Unreadable files are set
   * aside (`.corrupt`; `.newer` for one written by a newer version of the app), never silently dropped.
   */
  async list(): Promise<InboxEntry[]> {
    const names = (await fs.readdir(this.dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
    const entries: InboxEntry[] = [];
    for (const name of names) {
      const file = path.join(this.dir, name);
      let read: ReturnType<typeof INBOX_ENTRY_FORMAT.read>;
      try {
        read = INBOX_ENTRY_FORMAT.read(JSON.parse(await fs.readFile(file, 'utf8')));
      } catch (err) {
        read = { ok: false, reason: 'invalid', problem: errorMessage(err) };
      }
      if (read.ok) {
        entries.push(read.data);
        continue;
      }
      const aside = `${file}.${read.reason === 'newer' ? 'newer' : 'corrupt'}`;
      await fs.rename(file, aside).catch(() => undefined);
      this.logger.log('error', 'inbox.corrupt_entry', { file: aside, error: read.problem });
    }
    return entries.sort((a, b) => a.receivedAt - b.receivedAt);
  }
}
