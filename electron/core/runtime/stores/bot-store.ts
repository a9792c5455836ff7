import type { AgentTurn } from '../../agents/provider';
import type { SharedApprovals } from '../approvals/shared-approvals';
import type { BotState } from './bot-state';
import type { StoredTurn } from './conversation-store';
import type { InboxEntry, InboxKey } from './inbox';

/**
 * Everything a bot keeps between messages and restarts, behind one seam: the messages it has seen,
 * the inbox of accepted messages (with each answer's cards, to resume them), conversation memory,
 * its own record (last message, loop guard, open approval cards) and stop requests. The stages use
 * only this interface; `openBotStores` (bot-stores.ts) is its implementation over the bot's
 * folder, and `openRedisBotStore` (redis/redis-bot-store.ts), shared by several processes,
 * implements the same guarantees (bot-store.contract.test.ts runs one suite on both), named on each
 * operation: **durable** (on disk, or in the shared store, before the promise resolves: the
 * platform's ack waits on these), **atomic** (all of it or none, even after a crash), **ordered**
 * (operations on one key take effect in the order they were called).
 *
 * The files people send (file-store.ts) are not here: an agent opens them by path on this computer.
 */
export interface BotStore {
  readonly dedupe: SeenMessages;
  readonly inbox: Inbox;
  readonly conversations: ConversationMemory;
  readonly state: BotRecord;
  readonly stops: StopSignals;
  /**
   * A message accepted: its entry put in `inbox` and its id recorded in `dedupe`, durable before it
   * resolves (the platform's ack waits on it). The files write the entry first, so a crash between
   * leaves an entry whose id recovery records; Redis does both in one script (one round trip).
   */
  accept(entry: InboxEntry): Promise<void>;
  /**
   * Who answers each chat, when several processes share the store (runtime/answer/shared-chats.ts);
   * absent for the files of one process, whose own chat queue keeps each chat in order.
   */
  readonly leases?: ChatLeases;
  /** The loop guard's counts, where several processes share the store (else kept in `state`). */
  readonly botTurns?: BotTurns;
  /**
   * The app's tool approvals, when several processes share the store (runtime/approvals/shared-approvals.ts):
   * a card's click on any of them reaches the one whose agent waits. Absent for the files of one process.
   */
  readonly approvals?: SharedApprovals;
}

/** The bot-loop guard's counts per chat (runtime/intake/gate.ts). */
export interface BotTurns {
  /**
   * A person spoke in the chat: bots may be answered again. Not awaited (the message's write does
   * not depend on it): it takes effect before any later call on the store, and a failure is logged.
   */
  human(chatId: string): void;
  /** Counts a bot turn about to be answered; false (nothing counted) once `limit` is reached. Atomic. */
  admit(chatId: string, limit: number): boolean | Promise<boolean>;
}

/** Message ids accepted, remembered for a day (lark/README.md §2.9: re-pushes come for up to 6 h). */
export interface SeenMessages {
  /** Whether `id` was recorded (and not yet forgotten); sees every `add` that resolved before it was called. */
  has(id: string): Promise<boolean>;
  /** Records `id`: durable before it resolves. Ids added together may share one write. */
  add(id: string): Promise<void>;
}

/** Accepted messages not answered yet: on disk before the ack, removed once answered. */
export interface Inbox {
  /** Atomic and durable; idempotent per `messageId` (a second put replaces the entry whole). */
  put(entry: InboxEntry): Promise<void>;
  /** Durable; removing an entry that is not there is no error. */
  remove(entry: InboxKey): Promise<void>;
  /** Every entry, oldest received first. One that cannot be read is set aside and logged, never dropped silently. */
  list(): Promise<InboxEntry[]>;
}

/** Conversation memory, one conversation per chat or thread (`conversationKey`). Ordered per key. */
export interface ConversationMemory {
  /** The turns the agent is shown, oldest first, within the memory's budget. */
  history(key: string): Promise<AgentTurn[]>;
  /** Whether a message (the user's, or one of the bot's replies) is part of the remembered conversation. */
  includes(key: string, messageId: string): Promise<boolean>;
  /**
   * Remembers one exchange, durable before it resolves; a user message already remembered is not
   * added again (an answer repeated after a crash). Never throws: the answer has been sent.
   */
  record(key: string, turns: Array<Omit<StoredTurn, 'at'>>): Promise<void>;
  /** Forgets the conversation (`/new`): durable before it resolves. */
  clear(key: string): Promise<void>;
}

/** The bot's own record: small, changed with every message, none of it urgent. */
export interface BotRecord {
  /** A copy of the record as last updated in this process. */
  readonly current: BotState;
  /** Takes effect at once for `current`; durable within about a second (not on a crash in between). */
  update(patch: Partial<BotState>): void;
  /** Durable before it resolves: everything updated so far. */
  flush(): Promise<void>;
  /** Where several processes share the record: the newest "last message" any of them received. */
  lastMessageShared?(): Promise<number | undefined>;
}

/** Stop requests (the Stop button, stop words), by the message whose answer is to stop. */
export interface StopSignals {
  /** Asks the run answering `messageId` to stop, wherever it runs; resolves once the request is recorded. */
  request(messageId: string): Promise<void>;
  /** Calls `onStop` for each request for `messageId` from now on; returns the way to stop watching. */
  watch(messageId: string, onStop: () => void): () => void;
}

/**
 * Stop requests within one process: they reach the run at once. (A store shared by several
 * processes carries them to the process running the answer instead.)
 */
export class LocalStopSignals implements StopSignals {
  private readonly watchers = new Map<string, Set<() => void>>();

  request(messageId: string): Promise<void> {
    for (const onStop of [...(this.watchers.get(messageId) ?? [])]) onStop();
    return Promise.resolve();
  }

  watch(messageId: string, onStop: () => void): () => void {
    let set = this.watchers.get(messageId);
    if (!set) this.watchers.set(messageId, (set = new Set()));
    set.add(onStop);
    return () => {
      set.delete(onStop);
      if (set.size === 0 && this.watchers.get(messageId) === set) this.watchers.delete(messageId);
    };
  }
}

/**
 * Chat leases, for a store several processes share: a chat's waiting messages (the inbox entries
 * not held, in the order they were sent) are answered by the one process holding the chat's lease,
 * one after another, so a chat stays in order while chats spread over the processes. A lease lasts
 * a few seconds and is renewed while held; a process that dies or stalls loses it, and another
 * takes the chat over (`orphans`). Every write made under a lease is fenced: refused once the lease
 * is another's, so a process waking up from a pause writes nothing more for a chat it lost.
 */
export interface ChatLeases {
  /** The chat for this process: its lease, or undefined when another process holds it or nothing waits in it. */
  claim(chatId: string): Promise<ChatLease | undefined>;
  /** Chats with messages waiting and no lease (their process died or let go): to be claimed. */
  orphans(): Promise<string[]>;
  /** The waiting entry of `messageId`, wherever it is answered (undefined once answered). */
  entry(messageId: string): Promise<InboxEntry | undefined>;
  /** The entry being answered in `chatId` now (the oldest waiting, its chat leased), if any. */
  running(chatId: string): Promise<InboxEntry | undefined>;
  /** Makes sure every entry not held waits in its chat's line (entries written before lines existed). */
  line(entries: readonly InboxEntry[]): Promise<void>;
}

/** One chat, held by this process for now. */
export interface ChatLease {
  readonly chatId: string;
  /** Whether the lease is known to be still this process's: renewed in time, by this process's clock. */
  valid(): boolean;
  /** The oldest entry waiting in the chat, undefined when none does. */
  next(): Promise<InboxEntry | undefined>;
  /** The inbox and memory for this chat's answers: each write refused (`ChatLeaseLost`) once the lease is gone. */
  readonly inbox: Inbox;
  readonly conversations: ConversationMemory;
  /** Lets the chat go if nothing waits in it (true); false while something does (go on answering). Throws `ChatLeaseLost`. */
  releaseIfIdle(): Promise<boolean>;
  /** Lets the chat go now (shutting down): another process may take it at once. */
  release(): Promise<void>;
  /** Calls `listener` once, when the lease is found lost (not renewed in time, or another's); returns the way to stop listening. */
  onLost(listener: () => void): () => void;
}

/** A write under a chat lease that is no longer this process's: nothing was written. */
export class ChatLeaseLost extends Error {
  constructor(readonly chatId: string) {
    super(`chat ${chatId} is no longer answered by this process (its lease ran out or was taken over)`);
    this.name = 'ChatLeaseLost';
  }
}
