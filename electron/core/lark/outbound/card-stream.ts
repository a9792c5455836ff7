import type { CardStreamOptions, DeliveredCard, KeptCard } from './card-stream-options';
import {
  CARD_JSON_BUDGET_BYTES,
  type CardExtras,
  cardBytes,
  cardSummary,
  finalCard,
  STEPS_ELEMENT_ID,
  STREAM_ELEMENT_ID,
  streamingCard,
} from './card-json';
import { toLarkApiError, type LarkApiError } from '../errors';
import { findCut, openFence } from './markdown';
import { cardReplyUuid } from './idempotency';
import { CARD_OP_INTERVAL_MS, CardHandle, type CardHandleOptions } from './card-handle';

export type { CardApi, CardStreamOptions, DeliveredCard, KeptCard } from './card-stream-options';

interface OpenCard extends DeliveredCard {
  handle: CardHandle;
  /** When streaming mode was last enabled (the platform's auto-close clock). */
  openedAt: number;
  /** Text the card shows now (after its last content operation). */
  shown: string;
  /** Streamed text shorter than this is not shown: an earlier run of the answer showed this much (`keepShown`). */
  floor: number;
  /** Steps the card shows; undefined while it has no steps element. */
  stepsShown?: string;
}

/**
 * One answer streamed into CardKit cards (lark/README.md §5.11): create the card entity in
 * streaming mode, send it as the reply, replace its markdown with the growing text at most every
 * `minIntervalMs`, then finish it (final text, button removed, streaming closed). Before a card
 * would pass the size budget it is finished and the text continues in a new card, never inside a
 * code block: a fence open at the cut is closed (`\n```` appended) and reopened at the top of the
 * next card (```` ```lang ```` prepended, followed by the text's own newline).
 *
 * Operations on the cards run one at a time, each card's paced and numbered by its CardHandle. The
 * first failure stops the stream (`failure`); what the finished cards hold is delivered,
 * `undelivered()` is the rest, for a fallback.
 */
export class CardStream {
  private full = '';
  /** Index in `full` where the open card's own text starts. */
  private segStart = 0;
  /** Fence reopened at the top of the open card, if the previous one was cut inside a code block. */
  private reopen = '';
  private card: OpenCard | undefined;
  readonly cards: DeliveredCard[] = [];
  /** Every card of this answer, as it is to be kept (`onCards`). */
  private readonly kept: KeptCard[] = [];
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private finishing = false;
  /** Streamed text waits until then: the app's rate limits had no room for it. */
  private textRoomAt = 0;
  /** The agent's steps so far (markdown), shown above the text while it streams. */
  private steps: string | undefined;
  failure: LarkApiError | undefined;
  /** When the first card message was sent, and when the first non-empty text reached a card (for the bench). */
  readonly timings: { cardSentAt?: number; firstTextAt?: number } = {};
  private readonly now: () => number;
  private readonly minInterval: number;
  private readonly budget: number;
  private readonly renewAfterMs: number;
  private readonly handleOptions: CardHandleOptions;

  constructor(private readonly opts: CardStreamOptions) {
    this.now = opts.now ?? Date.now;
    this.minInterval = opts.minIntervalMs ?? CARD_OP_INTERVAL_MS;
    this.budget = opts.budgetBytes ?? CARD_JSON_BUDGET_BYTES;
    this.renewAfterMs = opts.renewStreamingAfterMs ?? 9 * 60_000;
    this.handleOptions = { api: opts.api, minIntervalMs: this.minInterval, now: this.now };
  }

  /** Creates and sends the first card. Rejects (and sets `failure`) when that is not possible. */
  open(): Promise<void> {
    return this.enqueue(() => this.openCard());
  }

  push(delta: string): void {
    if (!delta) return;
    this.full += delta;
    this.schedule();
  }

  /** The steps above the text change (a tool started or ended); shown with the next update. */
  setSteps(steps: string): void {
    if (steps === this.steps) return;
    this.steps = steps;
    this.schedule();
  }

  /**
   * Brings the cards to exactly `text` (which extends what finished cards already hold) and
   * finishes the last one. Resolves when done; rejects with the first card error.
   */
  async finish(text: string, extras: CardExtras = {}): Promise<DeliveredCard[]> {
    this.finishing = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const committed = this.full.slice(0, this.segStart);
    this.full = text.startsWith(committed) ? text : committed + text;
    await this.enqueue(async () => {
      await this.sync();
      const card = this.card;
      if (card) await this.closeCard(card, this.reopen + this.full.slice(this.segStart), extras);
    });
    return this.cards;
  }

  /**
   * The answer stops here for now (the app is quitting): the open card keeps what it shows, with
   * `note` below it, its Stop button gone and streaming off. The next run writes into it again.
   */
  async interrupt(note: string): Promise<void> {
    this.finishing = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.enqueue(async () => {
      const card = this.card;
      if (!card) return;
      const shown = openFence(card.shown) === undefined ? card.shown : `${card.shown}\n\`\`\``;
      await this.closeCard(card, shown.trim() ? `${shown}\n\n${note}` : note);
    }).catch(() => undefined);
  }

  /**
   * Text no card shows, for a fallback after a failure: what follows the last text a card
   * displayed (a finished card's, or the open card's last update), with a code fence open at that
   * point reopened. Nothing a person can already read in a card is in it.
   */
  undelivered(): string {
    const segment = this.full.slice(this.segStart);
    const visible = this.card ? this.card.shown.slice(this.reopen.length) : '';
    const from = this.segStart + (visible && segment.startsWith(visible) ? visible.length : 0);
    const rest = this.full.slice(from);
    if (!rest) return '';
    const fence = openFence(this.full.slice(0, from));
    return fence === undefined ? rest : '```' + fence + (rest.startsWith('\n') ? '' : '\n') + rest;
  }

  /** Everything pushed so far. */
  get text(): string {
    return this.full;
  }

  private schedule(): void {
    if (this.timer || this.finishing || this.failure) return;
    const ready = this.card ? this.card.handle.readyAt : this.now() + this.minInterval;
    const wait = Math.max(0, ready - this.now(), this.textRoomAt - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.enqueue(() => this.sync()).then(
        () => {
          // Not open yet, or text arrived meanwhile: go again.
          if (!this.card || this.reopen + this.full.slice(this.segStart) !== this.card.shown || this.steps !== this.card.stepsShown)
            this.schedule();
        },
        () => undefined,
      );
    }, wait);
  }

  /** Runs `fn` after the operations before it; after a failure, nothing runs any more. */
  private enqueue(fn: () => Promise<void>): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.failure) throw this.failure;
      try {
        await fn();
      } catch (err) {
        this.failure = toLarkApiError(err);
        throw this.failure;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Shows the text so far, rolling over to new cards while it does not fit. */
  private async sync(): Promise<void> {
    if (!this.card) return;
    for (;;) {
      const rest = this.full.slice(this.segStart);
      if (this.fits(this.reopen + rest)) break;
      const { head, cut, reopen } = this.cutPoint(rest);
      await this.closeCard(this.card, head);
      this.segStart += cut;
      this.reopen = reopen;
      await this.openCard();
    }
    // Only while text still streams in: the final update replaces the whole card, streaming or not.
    if (!this.finishing && this.now() - this.card.openedAt >= this.renewAfterMs) await this.renewStreaming(this.card);
    const card = this.card;
    if (this.finishing || this.now() < this.textRoomAt) return;
    if (this.steps !== undefined && this.steps !== card.stepsShown && !(await this.syncSteps(card))) return;
    const body = this.reopen + this.full.slice(this.segStart);
    if (body.length === 0 || body === card.shown) return;
    if (body.length < card.floor) {
      // Held until this run has written as much as the card already shows; looked at again after an interval.
      this.textRoomAt = this.now() + this.minInterval;
      return;
    }
    if (this.opts.keepShown) await this.keepText(card, body);
    const sent = this.opts.sanitize ? this.opts.sanitize(body, false) : body;
    const { retryInMs } = await card.handle.streamText(STREAM_ELEMENT_ID, sent);
    // No room under the app's limits now (many cards streaming at once): this update is skipped,
    // the next one, later, carries all the text that arrived meanwhile.
    if (retryInMs > 0) {
      this.textRoomAt = this.now() + retryInMs;
      return;
    }
    card.shown = body;
    if (this.timings.firstTextAt === undefined && body.trim()) this.timings.firstTextAt = this.now();
  }

  /**
   * The steps into the open card: its first ones with a whole update (the card gets its steps
   * element), later ones like streamed text, only when there is room. False when there was none.
   */
  private async syncSteps(card: OpenCard): Promise<boolean> {
    const steps = this.steps ?? '';
    const sent = this.opts.sanitize ? this.opts.sanitize(steps, true) : steps;
    if (card.stepsShown === undefined) {
      const text = this.opts.sanitize ? this.opts.sanitize(card.shown || '…', false) : card.shown || '…';
      await card.handle.update(streamingCard(text, this.stopButton(), this.opts.summary, sent));
      // A whole update in streaming mode starts the platform's 10-minute clock again.
      card.openedAt = this.now();
    } else {
      const { retryInMs } = await card.handle.streamText(STEPS_ELEMENT_ID, sent);
      if (retryInMs > 0) {
        this.textRoomAt = this.now() + retryInMs;
        return false;
      }
    }
    card.stepsShown = steps;
    return true;
  }

  private fits(body: string): boolean {
    return cardBytes(streamingCard(body, this.stopButton(), this.opts.summary, this.steps)) <= this.budget;
  }

  /** Where to end the open card: the longest head (at a paragraph or line break if possible) that fits. */
  private cutPoint(rest: string): { head: string; cut: number; reopen: string } {
    const overhead = cardBytes(streamingCard('', this.stopButton(), this.opts.summary, this.steps));
    let room = this.budget - overhead - Buffer.byteLength(this.reopen, 'utf8') - 8;
    for (;;) {
      let cut = findCut(rest, Math.max(1, room));
      if (cut === 0) cut = String.fromCodePoint(rest.codePointAt(0)!).length;
      let head = this.reopen + rest.slice(0, cut);
      const fence = openFence(head);
      let reopen = '';
      if (fence !== undefined) {
        head += '\n```';
        reopen = '```' + fence + (rest[cut] === '\n' ? '' : '\n');
      }
      // JSON escaping can make the card larger than its text: shrink until it fits.
      if (this.fits(head) || room <= 64) return { head, cut, reopen };
      room = Math.floor(room * 0.8);
    }
  }

  private stopButton(): { messageId: string; label: string } | undefined {
    return this.opts.stopLabel ? { messageId: this.opts.target.messageId, label: this.opts.stopLabel } : undefined;
  }

  /**
   * The next card: one an earlier run of this answer left (after a crash or a restart: written
   * into again, from its placeholder, streaming and Stop button back), or a new one. Each step is
   * recorded (`onCards`) before the next, and the card message's uuid names the answer and the
   * card's place in it, so a send repeated after a crash is the same message.
   */
  private async openCard(): Promise<void> {
    const { target } = this.opts;
    const index = this.cards.length;
    const fresh = streamingCard(this.opts.placeholder ?? '…', this.stopButton(), this.opts.summary);
    const earlier = this.opts.resume?.[index];
    const handle = new CardHandle(this.handleOptions, earlier);
    const record: KeptCard = earlier ? { ...earlier } : await handle.create(fresh);
    this.kept[index] = record;
    if (!earlier) await this.opts.onCards?.(this.kept.map((c) => ({ ...c })));
    if (!record.messageId) {
      record.messageId = await handle.send({ replyTo: target }, cardReplyUuid(target.messageId, index));
      await this.opts.onCards?.(this.kept.map((c) => ({ ...c })));
    }
    this.timings.cardSentAt ??= this.now();
    const shown = earlier?.shown ?? '';
    const card: OpenCard = { cardId: record.cardId, messageId: record.messageId, handle, openedAt: this.now(), shown, floor: shown.length };
    this.card = card;
    this.cards.push({ cardId: card.cardId, messageId: card.messageId });
    // Taken up again: streaming and the Stop button back, with the text it showed (kept) or its placeholder.
    if (earlier) await handle.update(shown ? streamingCard(this.clean(shown, false), this.stopButton(), this.opts.summary) : fresh);
  }

  /** The text a card is about to show, kept first (`keepShown`): a run taking the answer over starts from it. */
  private async keepText(card: OpenCard, text: string): Promise<void> {
    const kept = this.kept.find((c) => c.cardId === card.cardId);
    if (!kept || kept.shown === text) return;
    kept.shown = text;
    await this.opts.onCards?.(this.kept.map((c) => ({ ...c })));
  }

  private clean(text: string, final: boolean): string {
    return this.opts.sanitize ? this.opts.sanitize(text, final) : text;
  }

  /** Streaming on again before the platform turns it off: its 10-minute clock starts over, the card goes on. */
  private async renewStreaming(card: OpenCard): Promise<void> {
    await card.handle.settings({ config: { streaming_mode: true } });
    card.openedAt = this.now();
  }

  /** Final text without the button, then streaming off so the chat preview stops saying "generating". */
  private async closeCard(card: OpenCard, text: string, extras: CardExtras = {}): Promise<void> {
    const body = text || '…';
    const clean = (t: string) => (this.opts.sanitize ? this.opts.sanitize(t, true) : t);
    const sent = clean(body);
    const steps = extras.steps && { summary: clean(extras.steps.summary), lines: clean(extras.steps.lines) };
    await card.handle.update(finalCard(sent, { ...extras, steps }));
    card.shown = body;
    await card.handle.settings({ config: { streaming_mode: false, summary: { content: cardSummary(sent) } } });
    const delivered = this.cards.find((c) => c.cardId === card.cardId);
    if (delivered) delivered.text = body;
    if (this.card === card) this.card = undefined;
  }
}
