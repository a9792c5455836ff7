import type { LarkApiError } from '../../lark/errors';
import type { Logger } from '../../log/logger';
import type { Inbox } from '../stores/bot-store';
import type { AcceptedMessage } from '../intake/intake';

export interface RedeliveryOptions {
  inbox: Inbox;
  log: Logger;
  /** Whether the bot still takes messages; a stopped bot's retries wait in the inbox for the next start. */
  accepting: () => boolean;
  /** Puts the message back in its chat's queue. */
  schedule: (accepted: AcceptedMessage) => void;
  /** Tries per message before giving up (tuning.ts). */
  maxAttempts: number;
  /** Delay before the first retry, growing linearly with each attempt (tuning.ts). */
  delayMs: number;
  /**
   * The entry waits in its chat's line (shared-chats.ts: chats leased by several processes): the
   * retry's time is kept in the entry (`retryAt`), and whichever process holds the chat then
   * answers it; no timer here, which would die with this process.
   */
  inLine?: boolean;
  now?: () => number;
}

/**
 * An answer that failed on a transient platform error (5xx, network, rate limit, token) is tried
 * again later, its attempt count kept in the inbox entry so a restart does not start over. After
 * `maxAttempts` it is given up, saying so.
 */
export class Redelivery {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly opts: RedeliveryOptions) {}

  /** The same, for entries that wait in their chat's line, written through a chat lease's `inbox`. */
  inLine(inbox: Inbox): Redelivery {
    return new Redelivery({ ...this.opts, inbox, inLine: true });
  }

  async later(accepted: AcceptedMessage, err: LarkApiError, onGiveUp: () => void = () => {}): Promise<void> {
    const { entry } = accepted;
    const { inbox, log } = this.opts;
    const attempts = entry.attempts + 1;
    if (attempts >= this.opts.maxAttempts) {
      log.log('error', 'reply.failed', {
        messageId: entry.messageId,
        chatId: entry.chatId,
        attempts,
        code: err.code,
        error: err.message,
        hint: 'gave up after repeated failures',
      });
      await inbox.remove(entry);
      onGiveUp();
      return;
    }
    const delay = this.opts.delayMs * attempts;
    if (this.opts.inLine) {
      await inbox.put({ ...entry, attempts, retryAt: (this.opts.now ?? Date.now)() + delay });
      log.log('warn', 'reply.retry_scheduled', { messageId: entry.messageId, attempts, delayMs: delay, error: err.message });
      return;
    }
    const next: AcceptedMessage = { ...accepted, entry: { ...entry, attempts } };
    await inbox.put(next.entry);
    // Stopped meanwhile: the entry waits in the inbox for the next start rather than on a timer.
    if (!this.opts.accepting()) return;
    log.log('warn', 'reply.retry_scheduled', { messageId: entry.messageId, attempts, delayMs: delay, error: err.message });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.opts.accepting()) this.opts.schedule(next);
    }, delay);
    this.timers.add(timer);
  }

  /** No more retries in this run (the entries stay in the inbox). */
  cancel(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
