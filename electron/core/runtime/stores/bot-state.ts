import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { approvalCardViewSchema } from '../../lark/outbound/approval-card';
import type { Logger } from '../../log/logger';
import { writeFileAtomic } from '../../store/atomic-file';
import { setAside } from '../../store/set-aside';
import { versionedFormat } from '../../store/versioned';
import type { BotRecord } from './bot-store';
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

/** How often the state is written at most: it changes with every message, and none of it is urgent. */
const WRITE_EVERY_MS = 1_000;

/**
 * What a bot remembers about itself across restarts (`<bot folder>/state.json`): its last message
 * and the loop guard's counts, so two bots cannot restart their ping-pong by restarting Kocoro.
 * Changes are written at most once a second, and at once on `flush` (stop).
 */
export class BotStateFile implements BotRecord {
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private state: BotState,
    private readonly log: Logger,
  ) {}

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

  get current(): BotState {
    return structuredClone(this.state);
  }

  update(patch: Partial<BotState>): void {
    this.state = { ...this.state, ...patch };
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, WRITE_EVERY_MS);
  }

  /** Writes what changed now (a failed write is logged: the state is a convenience, never worth a crash). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dirty) return this.writing;
    this.dirty = false;
    const content = JSON.stringify(STATE_FORMAT.write(this.state));
    this.writing = this.writing
      .then(() => writeFileAtomic(this.file, content))
      .catch((err: unknown) => this.log.log('warn', 'bot.state_write_failed', { error: errorMessage(err) }));
    return this.writing;
  }
}
