import type { BotActivity } from '@shared/contract';

export const ACTIVITY_PER_BOT = 20;

/** The last few things that happened to each bot's messages, newest last (in memory only). */
export class ActivityLog {
  private readonly byBot = new Map<string, BotActivity[]>();

  constructor(private readonly limit = ACTIVITY_PER_BOT) {}

  /**
   * Records it, unless it says nothing new: a message kept in the inbox across a pause is
   * "received" again when the bot resumes. Returns whether it was recorded.
   */
  add(activity: BotActivity): boolean {
    const list = this.byBot.get(activity.botId) ?? [];
    const last = list.findLast((a) => a.messageId === activity.messageId);
    if (activity.stage === 'received' && last?.stage === 'received') return false;
    list.push({ ...activity });
    if (list.length > this.limit) list.splice(0, list.length - this.limit);
    this.byBot.set(activity.botId, list);
    return true;
  }

  list(botId: string): BotActivity[] {
    return (this.byBot.get(botId) ?? []).map((a) => ({ ...a }));
  }

  forget(botId: string): void {
    this.byBot.delete(botId);
  }
}
