import type { Logger } from '../log/logger';
import type { ChatScheduler } from './chat-scheduler';

/**
 * One bot's share of the chat scheduler (which all bots share): tasks keyed by chat, so a chat's
 * messages are answered in order, and tracked, so stopping this bot alone can wait for its own
 * answers.
 */
export class BotQueue {
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly scheduler: ChatScheduler,
    private readonly botId: string,
    private readonly log: Logger,
  ) {}

  /** Queues `task` behind the chat's earlier messages. After `close`, nothing new runs (it stays in the inbox). */
  enqueue(chatId: string, messageId: string, task: () => Promise<void>): void {
    const run = async () => {
      // A stopped bot's queued messages stay in the inbox: the next start answers them.
      if (this.closed) return;
      const running = task();
      this.inFlight.add(running);
      try {
        await running;
      } finally {
        this.inFlight.delete(running);
      }
    };
    if (!this.scheduler.enqueue(`${this.botId}/${chatId}`, run)) {
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
