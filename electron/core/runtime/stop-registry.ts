/** Why a run was aborted when the user stopped it (the runtime tells it apart from a timeout or shutdown). */
export class StoppedByUser extends Error {
  constructor() {
    super('stopped by the user');
    this.name = 'StoppedByUser';
  }
}

interface Run {
  chatId: string;
  controller: AbortController;
}

/**
 * The agent runs of one bot, by the user's message they answer and by chat, so a Stop button
 * (which names the message) or a stop word (which names only the chat) can abort the right one.
 */
export class StopRegistry {
  private readonly byMessage = new Map<string, Run>();

  add(messageId: string, chatId: string, controller: AbortController): () => void {
    const run = { chatId, controller };
    this.byMessage.set(messageId, run);
    return () => {
      if (this.byMessage.get(messageId) === run) this.byMessage.delete(messageId);
    };
  }

  /** Stops the run answering `messageId`; false when there is none (already finished). */
  stopMessage(messageId: string): boolean {
    const run = this.byMessage.get(messageId);
    if (!run || run.controller.signal.aborted) return false;
    run.controller.abort(new StoppedByUser());
    return true;
  }

  /** Stops every run in the chat; how many there were. */
  stopChat(chatId: string): number {
    let n = 0;
    for (const [messageId, run] of this.byMessage) if (run.chatId === chatId && this.stopMessage(messageId)) n++;
    return n;
  }
}
