import type { StopSignals } from '../stores/bot-store';

/** Why a run was aborted when the user stopped it (the runtime tells it apart from a timeout or shutdown). */
export class StoppedByUser extends Error {
  constructor() {
    super('stopped by the user');
    this.name = 'StoppedByUser';
  }
}

interface Run {
  chatId: string;
  /** Who asked: they may stop it, as may the bot's approvers. */
  askerOpenId: string;
  controller: AbortController;
}

/**
 * The agent runs of one bot, by the user's message they answer and by chat, so a Stop button
 * (which names the message) or a stop word (which names only the chat) can abort the right one.
 * A stop travels through the bot's store (`StopSignals`, bot-store.ts): each run watches for the
 * stop of its message, wherever it is asked for.
 */
export class StopRegistry {
  private readonly byMessage = new Map<string, Run>();

  constructor(private readonly signals: StopSignals) {}

  add(messageId: string, chatId: string, askerOpenId: string, controller: AbortController): () => void {
    const run = { chatId, askerOpenId, controller };
    this.byMessage.set(messageId, run);
    const unwatch = this.signals.watch(messageId, () => {
      if (!controller.signal.aborted) controller.abort(new StoppedByUser());
    });
    return () => {
      unwatch();
      if (this.byMessage.get(messageId) === run) this.byMessage.delete(messageId);
    };
  }

  /** Stops the run answering `messageId`; false when there is none (already finished). */
  stopMessage(messageId: string): boolean {
    const run = this.byMessage.get(messageId);
    if (!run || run.controller.signal.aborted) return false;
    // A shared store that cannot be reached fails the request; the run goes on, and the person may press again.
    this.signals.request(messageId).catch(() => undefined);
    return true;
  }

  /** Who asked the message a run answers; undefined when none runs (finished, or never started). */
  askerOf(messageId: string): string | undefined {
    const run = this.byMessage.get(messageId);
    return run && !run.controller.signal.aborted ? run.askerOpenId : undefined;
  }

  /**
   * Stops the runs in the chat that `asker` asked (every run of the chat when `asker` is undefined);
   * how many were stopped, and how many others still run there.
   */
  stopChat(chatId: string, asker?: string): { stopped: number; others: number } {
    let stopped = 0;
    let others = 0;
    for (const [messageId, run] of this.byMessage) {
      if (run.chatId !== chatId || run.controller.signal.aborted) continue;
      if (asker === undefined || run.askerOpenId === asker) {
        if (this.stopMessage(messageId)) stopped++;
      } else others++;
    }
    return { stopped, others };
  }
}
