import type { CardOp, LarkApi } from '../api';
import { cardOpUuid } from './idempotency';

/**
 * The LarkApi calls a card entity makes (a narrow port, so tests and the bench can count them),
 * and the API's clock when it has one: the sequence numbers' (`LarkApi.clock`).
 */
export type CardKitApi = Pick<LarkApi, 'createCard' | 'updateCard' | 'setCardSettings' | 'setCardText' | 'replyMessage' | 'sendToUser'> &
  Partial<Pick<LarkApi, 'clock'>>;

/**
 * Where a card message goes: a reply to a message (in its thread when that message is in one;
 * paced per receiving chat when it is named, lark/README.md §8), or a new message to a person's
 * direct chat with the bot, by open_id (lark/README.md §5.3).
 */
export type CardDestination = { replyTo: { messageId: string; inThread: boolean; chatId?: string } } | { toUser: string };

/** What a later run needs to operate a card again: its id, and its creation time (the base of its sequence numbers). */
export interface CardEntity {
  cardId: string;
  /** Wall-clock milliseconds, on the sequence numbers' clock (`wallClock`). */
  createdAt: number;
}

/**
 * The platform allows 10 operations per second on one card (lark/README.md §5.11, §8): 130 ms
 * apart keeps any 1 s window at 8 or fewer, and two operations in different tenths of a second.
 */
export const CARD_OP_INTERVAL_MS = 130;

export interface CardHandleOptions {
  api: CardKitApi;
  /** Least time between two operations on the card. */
  minIntervalMs?: number;
  /** The clock the pacing is measured with. */
  now?: () => number;
  /**
   * The clock of `createdAt` and the sequence numbers: one that whoever operates the card next
   * shares. The API's (`api.clock`: the state store's when several processes run the app, so a
   * card taken over by one whose own clock is behind never gets a lower number), else the wall
   * clock, which a restart shares.
   */
  wallClock?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One CardKit card entity (lark/README.md §5.11). Its operations run one at a time, in the order
 * they were asked for; one that fails rejects its own promise and the next still runs. Each comes
 * no sooner than `minIntervalMs` after the one before (creating and sending the card count too),
 * and carries the next sequence number: tenths of a second since the card was created, at least
 * one more than the last. The platform wants them strictly increasing across every operation on
 * the card; derived from the card's age they are, across restarts too, without writing each one
 * down (operations are at least 100 ms apart).
 */
export class CardHandle {
  private current: CardEntity | undefined;
  private sequence = 0;
  private lastOpAt: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly minInterval: number;
  private readonly now: () => number;
  private readonly wallClock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  /** `kept`: a card an earlier run created, operated again. */
  constructor(
    private readonly opts: CardHandleOptions,
    kept?: CardEntity,
  ) {
    this.minInterval = opts.minIntervalMs ?? CARD_OP_INTERVAL_MS;
    this.now = opts.now ?? Date.now;
    this.wallClock = opts.wallClock ?? opts.api.clock ?? Date.now;
    this.sleep = opts.sleep ?? realSleep;
    if (kept) {
      this.current = { cardId: kept.cardId, createdAt: kept.createdAt };
      // The earlier run may have operated it moments ago (a bot restarted within the process):
      // waiting the interval puts this run's first sequence number past that run's last.
      this.lastOpAt = this.now();
    }
  }

  /** The card, once created (or taken up again). */
  get entity(): CardEntity | undefined {
    return this.current && { ...this.current };
  }

  get cardId(): string | undefined {
    return this.current?.cardId;
  }

  /** When the next operation may start at the earliest (for a caller timing its own updates). */
  get readyAt(): number {
    return (this.lastOpAt ?? -Infinity) + this.minInterval;
  }

  /** Creates the card entity from card JSON 2.0. */
  create(card: object): Promise<CardEntity> {
    return this.enqueue(async () => {
      if (this.current) throw new Error(`card ${this.current.cardId} is already created`);
      try {
        const cardId = await this.opts.api.createCard(card);
        this.current = { cardId, createdAt: this.wallClock() };
        return { ...this.current };
      } finally {
        this.lastOpAt = this.now();
      }
    });
  }

  /**
   * Sends the card as a message (the platform takes one send per card). `uuid` names the message
   * (idempotency.ts): a send repeated after a failure or a crash is the message already sent.
   * Resolves with its message id.
   */
  send(to: CardDestination, uuid: string): Promise<string> {
    return this.enqueue(async () => {
      const { api } = this.opts;
      const message = {
        msgType: 'interactive' as const,
        content: JSON.stringify({ type: 'card', data: { card_id: this.created().cardId } }),
        uuid,
      };
      try {
        if ('toUser' in to) return (await api.sendToUser(to.toUser, message)).messageId;
        const { messageId, inThread, chatId } = to.replyTo;
        return (await api.replyMessage(messageId, { ...message, replyInThread: inThread, ...(chatId ? { chatId } : {}) })).messageId;
      } finally {
        this.lastOpAt = this.now();
      }
    });
  }

  /** Replaces the whole card (in streaming mode, this starts the platform's 10-minute streaming clock again). */
  update(card: object): Promise<void> {
    return this.op('update', (cardId, op) => this.opts.api.updateCard(cardId, card, op));
  }

  /** Card settings, e.g. `{config:{streaming_mode:false, summary:{content}}}`. */
  settings(settings: object): Promise<void> {
    return this.op('settings', (cardId, op) => this.opts.api.setCardSettings(cardId, settings, op));
  }

  /**
   * The whole text of a streamed element, made only when the app's limits have room now: else
   * `retryInMs` says when to try again (its sequence number is used up all the same).
   */
  streamText(elementId: string, content: string): Promise<{ retryInMs: number }> {
    return this.op('content', (cardId, op) => this.opts.api.setCardText(cardId, elementId, content, op));
  }

  private op<T>(kind: 'content' | 'settings' | 'update', call: (cardId: string, op: CardOp) => Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      const { cardId, createdAt } = this.created();
      const wait = this.readyAt - this.now();
      if (wait > 0) await this.sleep(wait);
      this.sequence = Math.max(this.sequence + 1, Math.floor((this.wallClock() - createdAt) / 100) + 1);
      this.lastOpAt = this.now();
      return call(cardId, { sequence: this.sequence, uuid: cardOpUuid(kind, cardId, this.sequence) });
    });
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private created(): CardEntity {
    if (!this.current) throw new Error('the card was never created');
    return this.current;
  }
}
