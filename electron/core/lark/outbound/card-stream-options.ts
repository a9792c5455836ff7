import type { CardEntity, CardKitApi } from './card-handle';
import type { Sanitize } from './sanitize';

/** The LarkApi calls a card stream makes: those of its cards (card-handle.ts). */
export type CardApi = CardKitApi;

export interface CardStreamOptions {
  api: CardApi;
  /** The user's message the cards answer, whether it sits in a thread, and its chat (replies are paced per chat). */
  target: { messageId: string; inThread: boolean; chatId?: string };
  /** Label of the Stop button; no button when undefined. */
  stopLabel?: string;
  /** What the chat list shows while the card is being written. */
  summary?: string;
  /** Applied to every text sent (secrets, markup); `final` once the card's text is complete. */
  sanitize?: Sanitize;
  /** Cards an earlier run of this answer sent (the answer is written into them again, in order). */
  resume?: KeptCard[];
  /** Called, and awaited, whenever a card is created or sent: the caller keeps them with the message. */
  onCards?: (cards: KeptCard[]) => Promise<void>;
  /**
   * Also keep each card's text (`onCards`) before it is shown, and let a later run write into the
   * cards only once its text is at least as long: where another process may take an answer over,
   * what people read never goes backwards. Off for one process's files (a write per update).
   */
  keepShown?: boolean;
  /** Least time between two operations on one card (default: card-handle.ts, `CARD_OP_INTERVAL_MS`). */
  minIntervalMs?: number;
  /** Card JSON budget in bytes (the platform's limit is 30 KB). */
  budgetBytes?: number;
  /**
   * How long a card streams before streaming mode is enabled again: the platform ends it 10
   * minutes after it was last enabled (lark/README.md §5.11), after which the card takes no more
   * streamed text. Default 9 minutes.
   */
  renewStreamingAfterMs?: number;
  placeholder?: string;
  now?: () => number;
}

export interface DeliveredCard {
  cardId: string;
  messageId: string;
  /** The card's final text, once it is finished. */
  text?: string;
}

/** What is kept of a card with the message it answers, so a restart writes into it again. */
export interface KeptCard extends CardEntity {
  /** The card message, once sent. */
  messageId?: string;
  /** The text it shows, kept before it was shown (`keepShown`). */
  shown?: string;
}
