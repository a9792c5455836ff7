import { errorMessage } from '../../log/error-message';
import type { Logger } from '../../log/logger';
import { ChatLeaseLost, type ChatLease, type ChatLeases } from '../stores/bot-store';
import type { InboxEntry } from '../stores/inbox';
import type { ChatScheduler } from './chat-scheduler';

/** How often each process looks for chats nobody holds (their process died): with LEASE_MS, the takeover time. */
export const ORPHAN_SCAN_MS = 1_500;
/** A chat whose turn failed on the store (unreachable) is looked at again after this. */
const RETRY_TURN_MS = 1_000;

export interface SharedChatsDeps {
  leases: ChatLeases;
  /** This process's chat queue: a turn takes a slot like any answer. */
  queue: ChatScheduler;
  log: Logger;
  now: () => number;
  /** Answers one waiting entry under the chat's lease (removing it once answered); `release` frees the slot once the agent is done. */
  answer: (entry: InboxEntry, lease: ChatLease, release: () => void) => Promise<void>;
  scanMs?: number;
}

/**
 * Where several processes share the bot's store (bot-store.ts `ChatLeases`): a message, once in
 * the shared inbox, is answered by whichever process holds its chat's lease, in the order the
 * chat's messages were sent. The process that receives a message offers its chat a turn; a turn
 * takes the lease if nobody holds it, answers the oldest waiting entry, and offers the next turn
 * until the chat's line is empty, then lets the chat go. A chat another process holds is left to
 * it: that one finds the new entry in the line when its answer ends. Each process also looks
 * every ORPHAN_SCAN_MS for chats with waiting entries and no lease (a process died, or let go at
 * shutdown) and takes them over: their answers start again, in the same cards.
 */
export class SharedChats {
  private readonly held = new Map<string, ChatLease>();
  /** Chats with a turn queued here, so a burst queues one turn per chat, not one per message. */
  private readonly offered = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private scanner: NodeJS.Timeout | undefined;
  private open = false;

  constructor(private readonly deps: SharedChatsDeps) {}

  /** Starts taking turns, and looking for chats to take over. */
  start(): void {
    this.open = true;
    this.scanner = setInterval(() => void this.scan(), this.deps.scanMs ?? ORPHAN_SCAN_MS);
    this.scanner.unref();
    void this.scan();
  }

  /** A chat may have work: it gets a turn here (unless one is queued already). */
  offer(chatId: string): void {
    if (!this.open || this.offered.has(chatId)) return;
    this.offered.add(chatId);
    if (!this.deps.queue.enqueue(chatId, (release) => this.turn(chatId, release))) this.offered.delete(chatId);
  }

  /** Chats held here now (for the status). */
  get holding(): number {
    return this.held.size;
  }

  /** No more turns; answers running go on (the caller drains the queue), then `releaseAll`. */
  close(): void {
    this.open = false;
    clearInterval(this.scanner);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Lets every held chat go at once, so another process takes it without waiting for its lease to run out. */
  async releaseAll(): Promise<void> {
    const leases = [...this.held.values()];
    this.held.clear();
    await Promise.all(leases.map((l) => l.release()));
  }

  private async turn(chatId: string, release: () => void): Promise<void> {
    this.offered.delete(chatId);
    if (!this.open) return;
    const { log } = this.deps;
    try {
      const lease = await this.leaseOf(chatId);
      if (!lease) return;
      const entry = await lease.next();
      if (!entry) {
        // Something may have arrived between the last answer and now: then the chat is kept and goes on.
        if (await lease.releaseIfIdle()) this.held.delete(chatId);
        else this.offer(chatId);
        return;
      }
      const wait = (entry.retryAt ?? 0) - this.deps.now();
      // A retry's time has not come: the chat is kept (its later messages wait their turn, in order).
      if (wait > 0) return this.later(chatId, wait);
      await this.deps.answer(entry, lease, release);
      this.offer(chatId);
    } catch (err) {
      if (err instanceof ChatLeaseLost) {
        this.held.delete(chatId);
        log.log('info', 'chat.given_up', { chatId, reason: 'its lease was lost; another process answers it' });
        return;
      }
      // The store cannot be reached: the lease runs out unless renewed, and whoever holds the chat then goes on.
      log.log('warn', 'chat.turn_failed', { chatId, error: errorMessage(err) });
      this.later(chatId, RETRY_TURN_MS);
    }
  }

  /** The chat's lease if this process holds it or can take it now. */
  private async leaseOf(chatId: string): Promise<ChatLease | undefined> {
    const held = this.held.get(chatId);
    if (held?.valid()) return held;
    this.held.delete(chatId);
    const lease = await this.deps.leases.claim(chatId);
    if (!lease) return undefined;
    this.held.set(chatId, lease);
    lease.onLost(() => {
      if (this.held.get(chatId) === lease) this.held.delete(chatId);
    });
    this.deps.log.log('info', 'chat.claimed', { chatId });
    return lease;
  }

  private later(chatId: string, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.offer(chatId);
    }, ms);
    this.timers.add(timer);
  }

  private async scan(): Promise<void> {
    if (!this.open) return;
    try {
      for (const chatId of await this.deps.leases.orphans()) this.offer(chatId);
    } catch (err) {
      // Unreachable now: the next scan tries again.
      this.deps.log.log('warn', 'chat.scan_failed', { error: errorMessage(err) });
    }
  }
}
