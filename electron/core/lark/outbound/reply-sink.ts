import type { LarkApi } from '../api';
import type { CardExtras } from './card-json';
import { CardStream, type CardApi, type KeptCard } from './card-stream';
import { type LarkApiError, toLarkApiError } from '../errors';
import type { TypingIndicator } from './reactions';
import type { Sanitize } from './sanitize';
import { postReplies } from './say';

export type ReplyOutcome = 'answered' | 'failed' | 'stopped';

/** What `finish` is given: the text, how the answer ended, and what goes around it (steps, footer). */
export interface ReplyResult {
  text: string;
  outcome: ReplyOutcome;
  extras?: CardExtras;
}

/**
 * Where one answer goes while the agent writes it. The runtime calls `begin` before the agent
 * starts, `push` for every delta, then `finish` with the whole text. Implementations decide how the
 * answer shows up in Lark (one final message, a streaming card…). `finish` throws Lark errors as
 * they are; the runtime decides about retries.
 *
 * `text` given to `finish` is: the full answer (`answered`); the error message (`failed`); what
 * the agent had written when it was stopped (`stopped`).
 */
export interface ReplySink {
  begin(): Promise<void>;
  push(delta: string): void;
  /** The agent's steps so far, as markdown lines (shown above the text where the sink can). */
  steps(markdown: string): void;
  finish(result: ReplyResult): Promise<{ replyId: string; parts: number }>;
  /** The answer is cut short by a shutdown: what shows says so (`note`); the next start answers again. */
  interrupt(note: string): Promise<void>;
}

export interface ReplyTarget {
  /** The user's message being answered. */
  messageId: string;
  /** Whether the user's message is inside a thread (the reply then stays in it). */
  inThread: boolean;
  /** The chat it was sent in: replies are paced per receiving user or group (lark/README.md §8). */
  chatId?: string;
}

/** What the bot says around an answer, in its language (i18n/chat-text.ts). */
export interface ReplyWords {
  /** Appended to an answer the user stopped. */
  stoppedNote: string;
  /** Label of the card's Stop button. */
  stopLabel: string;
  /** The chat list's preview of a card still being written. */
  generating: string;
  /** Makes outgoing text safe (secrets, active markup): every text a sink sends goes through it. */
  sanitize?: Sanitize;
}

/** What the user finally sees for `result`, given the text already shown while streaming. */
export function finalText({ text, outcome }: { text: string; outcome: ReplyOutcome }, stoppedNote: string, shown = ''): string {
  if (outcome === 'stopped') return text.trim() ? `${text}\n\n${stoppedNote}` : stoppedNote;
  // A failure after part of the answer was shown keeps that part and says what went wrong below it.
  if (outcome === 'failed' && shown.trim()) return `${shown}\n\n${text}`;
  return text;
}

/**
 * The answer as markdown `post` replies once it is complete, split before the platform's size
 * limit. Each part carries a stable uuid, so a reply sent just before a crash is not sent twice.
 */
export class PostReplySink implements ReplySink {
  constructor(
    private readonly api: Pick<LarkApi, 'replyMessage'>,
    private readonly target: ReplyTarget,
    private readonly words: Pick<ReplyWords, 'stoppedNote' | 'sanitize'>,
  ) {}

  async begin(): Promise<void> {}

  push(): void {}

  steps(): void {}

  /** Nothing was sent yet: the next start sends it (the parts' uuids make a repeat the same message). */
  async interrupt(): Promise<void> {}

  /** A message has no room for steps: their one-line summary and the footer go below the text. */
  async finish(result: Omit<ReplyResult, 'outcome'> & { outcome?: ReplyOutcome }): Promise<{ replyId: string; parts: number }> {
    const text = finalText({ text: result.text, outcome: result.outcome ?? 'answered' }, this.words.stoppedNote);
    const below = [result.extras?.steps && `_${result.extras.steps.summary}_`, result.extras?.footer].filter(Boolean);
    return this.post(below.length ? `${text}\n\n${below.join('\n')}` : text);
  }

  /** Posts `markdown` as is. */
  async post(markdown: string): Promise<{ replyId: string; parts: number }> {
    return postReplies(this.api, this.target, this.words.sanitize ? this.words.sanitize(markdown, true) : markdown);
  }
}

export interface CardReplySinkOptions {
  words: ReplyWords;
  /** A card operation failed (the answer then goes out as posts); e.g. 99991672 for a missing `cardkit:card:write`. */
  onCardError: (err: LarkApiError) => void;
  minIntervalMs?: number;
  budgetBytes?: number;
  renewStreamingAfterMs?: number;
  now?: () => number;
  /** Cards an earlier run of this answer sent, and where to keep the cards of this one (card-stream.ts). */
  resume?: KeptCard[];
  onCards?: (cards: KeptCard[]) => Promise<void>;
  /** See CardStreamOptions. */
  keepShown?: boolean;
}

/**
 * The answer streamed into CardKit cards as the agent writes it (see CardStream). When a card
 * cannot be created, sent or updated, what no card shows for good goes out as `post` replies
 * instead: nothing already written is lost.
 */
export class CardReplySink implements ReplySink {
  readonly stream: CardStream;
  private opening: Promise<void> | undefined;

  constructor(
    private readonly api: CardApi,
    private readonly target: ReplyTarget,
    private readonly opts: CardReplySinkOptions,
  ) {
    this.stream = new CardStream({
      api,
      target,
      stopLabel: opts.words.stopLabel,
      summary: opts.words.generating,
      sanitize: opts.words.sanitize,
      minIntervalMs: opts.minIntervalMs,
      budgetBytes: opts.budgetBytes,
      renewStreamingAfterMs: opts.renewStreamingAfterMs,
      now: opts.now,
      resume: opts.resume,
      onCards: opts.onCards,
      keepShown: opts.keepShown,
    });
  }

  /** Creates and sends the card in the background: the agent starts meanwhile. */
  async begin(): Promise<void> {
    this.opening = this.stream.open().catch(() => undefined);
  }

  push(delta: string): void {
    this.stream.push(delta);
  }

  steps(markdown: string): void {
    this.stream.setSteps(markdown);
  }

  async interrupt(note: string): Promise<void> {
    await this.opening;
    await this.stream.interrupt(note);
  }

  async finish(result: ReplyResult): Promise<{ replyId: string; parts: number }> {
    await this.opening;
    const text = finalText(result, this.opts.words.stoppedNote, this.stream.text);
    try {
      const cards = await this.stream.finish(text, result.extras);
      return { replyId: cards.at(-1)?.messageId ?? '', parts: cards.length };
    } catch (err) {
      this.opts.onCardError(toLarkApiError(err));
      // The rest goes out as posts, starting after what the cards already show: nothing twice.
      const rest = this.stream.undelivered();
      if (!rest) return { replyId: this.stream.cards.at(-1)?.messageId ?? '', parts: this.stream.cards.length };
      const sent = await new PostReplySink(this.api, this.target, this.opts.words).post(rest);
      return { replyId: sent.replyId, parts: this.stream.cards.length + sent.parts };
    }
  }
}

/** Adds the Typing reaction while `inner` works; removed when done, an error mark when the answer failed. */
export class TypingReplySink implements ReplySink {
  constructor(
    private readonly inner: ReplySink,
    private readonly typing: TypingIndicator,
  ) {}

  async begin(): Promise<void> {
    this.typing.start();
    await this.inner.begin();
  }

  push(delta: string): void {
    this.inner.push(delta);
  }

  steps(markdown: string): void {
    this.inner.steps(markdown);
  }

  async interrupt(note: string): Promise<void> {
    await this.inner.interrupt(note);
    await this.typing.done(false);
  }

  async finish(result: ReplyResult): Promise<{ replyId: string; parts: number }> {
    let sent;
    try {
      sent = await this.inner.finish(result);
    } catch (err) {
      // A transient failure is answered later by a retry: an error mark now would outlive its success.
      const kind = toLarkApiError(err).kind;
      await this.typing.done(!(kind === 'transient' || kind === 'rate_limit' || kind === 'token'));
      throw err;
    }
    await this.typing.done(result.outcome === 'failed');
    return sent;
  }
}

export interface ReplySinkChoice {
  /** `card`: a streaming card; `message`: one markdown message when complete. */
  mode: 'card' | 'message';
  words: ReplyWords;
  /** A card operation failed; the answer continues as posts. */
  onCardError: (err: LarkApiError) => void;
  typing: TypingIndicator;
  /** See CardStreamOptions (tests shorten it). */
  renewStreamingAfterMs?: number;
  resume?: KeptCard[];
  onCards?: (cards: KeptCard[]) => Promise<void>;
  keepShown?: boolean;
}

/** How one answer reaches the chat: the sink for the bot's reply mode, with the Typing reaction around it. */
export function createReplySink(api: CardApi & Pick<LarkApi, 'replyMessage'>, target: ReplyTarget, choice: ReplySinkChoice): ReplySink {
  const sink =
    choice.mode === 'card'
      ? new CardReplySink(api, target, {
          words: choice.words,
          onCardError: choice.onCardError,
          renewStreamingAfterMs: choice.renewStreamingAfterMs,
          resume: choice.resume,
          onCards: choice.onCards,
          keepShown: choice.keepShown,
        })
      : new PostReplySink(api, target, choice.words);
  return new TypingReplySink(sink, choice.typing);
}
