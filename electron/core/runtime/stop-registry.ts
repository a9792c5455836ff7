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

const STOP_WORDS = new Set(['stop', '/stop', '停止']);

/** "stop", "/stop", "停止" (trimmed, any case, the bot's @mention already removed), optionally with end punctuation. */
export function isStopWord(text: string): boolean {
  return STOP_WORDS.has(
    text
      .trim()
      .replace(/[.!。！]+$/u, '')
      .trim()
      .toLowerCase(),
  );
}

/** Whether a received message is a stop word; decided from its raw content, without waiting (the event handler's fast path). */
export function isStopMessage(messageType: string, content: string): boolean {
  if (messageType !== 'text') return false;
  try {
    const text = (JSON.parse(content) as { text?: unknown }).text;
    // Mentions arrive as @_user_N placeholders (§3.3); in a group the bot's own is one of them.
    return typeof text === 'string' && isStopWord(text.replace(/@_user_\d+/g, ''));
  } catch {
    return false;
  }
}
