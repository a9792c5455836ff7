import type { Logger } from '../../log/logger';
import type { LarkApi } from '../api';
import { toLarkApiError } from '../errors';

/** "Working on it" on the user's message (lark/README.md §5.7). */
export const TYPING_EMOJI = 'Typing';
/** The answer failed. `CrossMark` is on the official emoji list (lark/README.md §5.7's list is an excerpt of it). */
export const FAILED_EMOJI = 'CrossMark';

/**
 * The Typing reaction while an answer is being written: added when work starts, removed (by its
 * reaction_id) when the answer is complete, replaced by an error mark when it failed. Reactions
 * are decoration: a failure is logged and never holds up or breaks the answer.
 */
export class TypingIndicator {
  private adding: Promise<string | undefined> | undefined;

  constructor(
    private readonly api: Pick<LarkApi, 'addReaction' | 'removeReaction'>,
    private readonly messageId: string,
    private readonly log: Logger,
  ) {}

  /** Starts adding the reaction; does not wait for it. */
  start(): void {
    this.adding ??= this.add(TYPING_EMOJI);
  }

  /** Removes the Typing reaction; with `failed`, adds the error mark. Never throws. */
  async done(failed: boolean): Promise<void> {
    const reactionId = await this.adding;
    this.adding = undefined;
    if (reactionId) {
      try {
        await this.api.removeReaction(this.messageId, reactionId);
      } catch (err) {
        this.warn('remove', TYPING_EMOJI, err);
      }
    }
    if (failed) await this.add(FAILED_EMOJI);
  }

  private async add(emoji: string): Promise<string | undefined> {
    try {
      return await this.api.addReaction(this.messageId, emoji);
    } catch (err) {
      this.warn('add', emoji, err);
      return undefined;
    }
  }

  private warn(op: 'add' | 'remove', emoji: string, err: unknown): void {
    const e = toLarkApiError(err);
    this.log.log('warn', 'reaction.failed', {
      messageId: this.messageId,
      op,
      emoji,
      code: e.code,
      error: e.platformMessage,
      hint: e.hint || undefined,
    });
  }
}
