import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { approvalCardViewSchema } from '../../lark/outbound/approval-card';
import type { Logger } from '../../log/logger';
import { writeFileAtomic } from '../../store/atomic-file';
import { setAside } from '../../store/set-aside';
import { versionedFormat } from '../../store/versioned';
import { DebouncedRecord } from './debounced-record';
import { errorMessage } from '../../log/error-message';

const stateSchema = z.object({
  /** When the bot last accepted a message (the "last message" of its status). */
  lastMessageAt: z.number().optional(),
  /** The loop guard's bot turns per chat since a person last spoke there. */
  botTurns: z.record(z.string(), z.number().int().min(0)).default({}),
  /** Approval cards whose request was open when last written (approval-desk.ts): closed at the next start. */
  approvalCards: z
    .array(
      z.object({
        requestId: z.string(),
        cardId: z.string(),
        createdAt: z.number(),
        view: approvalCardViewSchema,
      }),
    )
    .optional(),
});
export type BotState = z.infer<typeof stateSchema>;

/** `state.json`'s format: version 1 is the first (files without `version`); a change adds a migration. */
export const STATE_FORMAT = versionedFormat({ schema: stateSchema, migrations: [] });

/**
 * What a bot remembers about itself across restarts (`<bot folder>/state.json`): its last message
 * and the loop guard's counts, so two bots cannot restart their ping-pong by restarting Kocoro.
 * Changes are written at most once a second, and at once on `flush` (stop).
 */
export class BotStateFile extends DebouncedRecord {
  private constructor(
    private readonly file: string,
    state: BotState,
    private readonly log: Logger,
  ) {
    super(state);
  }

  /**
   * Reads `state.json`, bringing an older format up to date. One this app cannot read (damaged, or
   * written by a newer version) is set aside, never overwritten, and the bot starts afresh.
   */
  static async open(file: string, log: Logger): Promise<BotStateFile> {
    let state: BotState = { botTurns: {} };
    try {
      const read = STATE_FORMAT.read(JSON.parse(await fs.readFile(file, 'utf8')));
      if (read.ok) state = read.data;
      else {
        const aside = await setAside(file, read.reason);
        log.log('warn', 'bot.state_unreadable', { file, error: `state.json ${read.problem}`, fallback: 'starting afresh', aside });
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.log('warn', 'bot.state_unreadable', { file, error: String(err) });
    }
    return new BotStateFile(file, state, log);
  }

  /** A failed write is logged: the state is a convenience, never worth a crash. */
  protected async persist(state: BotState): Promise<void> {
    await writeFileAtomic(this.file, JSON.stringify(STATE_FORMAT.write(state))).catch((err: unknown) =>
      this.log.log('warn', 'bot.state_write_failed', { error: errorMessage(err) }),
    );
  }
}
