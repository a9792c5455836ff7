import type { Logger } from '../log/logger';
import { ChatScheduler, type ChatTask } from './chat-scheduler';

/**
 * One bot's answers: keyed by chat, so a chat's messages are answered strictly in order while
 * different chats are answered at the same time, up to the bot's limit (its own: one busy bot
 * never holds up another). Tracked, so stopping the bot can wait for its answers.
 */
export class BotQueue {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly scheduler: ChatScheduler;
  private closed = false;

  constructor(
    concurrency: number,
    private readonly log: Logger,
  ) {
    this.scheduler = new ChatScheduler(concurrency, (err) =>
      log.log('error', 'runtime.task_failed', { error: err instanceof Error ? err.message : String(err) }),
    );
  }

  setConcurrency(concurrency: number): void {
    this.scheduler.setConcurrency(concurrency);
  }

  /** Answers running now. */
  get running(): number {
    return this.scheduler.active;
  }

  /** Messages waiting for their turn (behind their chat's earlier messages or the bot's limit). */
  get queued(): number {
    return this.scheduler.pending;
  }

  /** Queues `task` behind the chat's earlier messages. After `close`, nothing new runs (it stays in the inbox). */
  enqueue(chatId: string, messageId: string, task: ChatTask): void {
    const run = async (release: () => void) => {
      // A stopped bot's queued messages stay in the inbox: the next start answers them.
      if (this.closed) return;
      const running = task(release);
      this.inFlight.add(running);
      try {
        await running;
      } finally {
        this.inFlight.delete(running);
      }
    };
    if (!this.scheduler.enqueue(chatId, run)) {
      this.log.log('info', 'message.deferred', { messageId, reason: 'shutting down; answered at next start' });
    }
  }

  close(): void {
    this.closed = true;
  }

  /** Whether every answer of this bot (including ones that start meanwhile) settled within `ms`. */
  async settle(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (this.inFlight.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), left);
      });
      const settled = await Promise.race([Promise.allSettled([...this.inFlight]).then(() => true as const), timeout]);
      clearTimeout(timer);
      if (!settled) return false;
    }
    return true;
  }
}
