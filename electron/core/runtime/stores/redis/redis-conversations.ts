import type { AgentTurn } from '@core/agents/provider';
import { errorMessage } from '@core/log/error-message';
import { ChatLeaseLost, type ConversationMemory } from '../bot-store';
import { CONVERSATION_FORMAT, type ConversationBudget, DEFAULT_BUDGET, type StoredTurn, withinBudget } from '../conversation-store';
import { type Fence, type RedisStoreContext, runStoreScript } from './redis-context';
import { guard } from './redis-errors';
import { CONVERSATION_CLEAR, CONVERSATION_RECORD, CONVERSATION_SET_ASIDE, runScript } from './redis-scripts';

/**
 * Conversation memory: one list per conversation (`…conv:<key>`), one versioned turn per element
 * (a `turn` line of the file store's format), trimmed to the budget as it is written. Every call
 * is one command sent at once on the shared connection, so calls for one key take effect in the
 * order they are made, in this process; `clear` is a DEL (the file store's `reset` line).
 */
export class RedisConversations implements ConversationMemory {
  constructor(
    private readonly ctx: RedisStoreContext,
    private readonly budget: ConversationBudget = DEFAULT_BUDGET,
    /** A chat lease's view: its writes are refused once the lease is another's (and then throw, `ChatLeaseLost`). */
    private readonly fence?: Fence,
  ) {}

  async history(key: string): Promise<AgentTurn[]> {
    return withinBudget(await this.turns(key), this.budget).map((t) => ({ role: t.role, text: t.text }));
  }

  async includes(key: string, messageId: string): Promise<boolean> {
    return (await this.turns(key)).some((t) => t.messageId === messageId);
  }

  /** Never throws: memory is best effort, the answer has been sent. */
  async record(key: string, turns: Array<Omit<StoredTurn, 'at'>>): Promise<void> {
    const { keys, logger } = this.ctx;
    const at = this.ctx.now();
    const lines = turns.map((t) =>
      JSON.stringify(
        CONVERSATION_FORMAT.write({ t: 'turn', role: t.role, text: t.text, at, ...(t.messageId ? { messageId: t.messageId } : {}) }),
      ),
    );
    const userId = turns.find((t) => t.role === 'user')?.messageId ?? '';
    const args = [CONVERSATION_FORMAT.version, key, userId, this.budget.maxTurns, this.budget.maxChars, ...lines];
    try {
      const reply = await runStoreScript(
        this.ctx,
        CONVERSATION_RECORD,
        [keys.conversation(key), keys.conversationsAside],
        args,
        this.fence,
      );
      const aside = Array.isArray(reply) ? reply[1] : undefined;
      if (typeof aside === 'string' && aside !== '') this.logNewer(key, aside);
    } catch (err) {
      // A process that lost the chat must not go on as if it had answered: it says so to its caller.
      if (err instanceof ChatLeaseLost) throw err;
      logger.log('warn', 'conversation.save_failed', { error: errorMessage(err) });
    }
  }

  async clear(key: string): Promise<void> {
    await runStoreScript(this.ctx, CONVERSATION_CLEAR, [this.ctx.keys.conversation(key)], [], this.fence);
  }

  /** The readable turns, oldest first; a conversation a newer app wrote in is set aside, and starts afresh. */
  private async turns(key: string): Promise<StoredTurn[]> {
    const { client, keys, target, logger } = this.ctx;
    const raw = await guard(target, client.lrange(keys.conversation(key), 0, -1));
    const turns: StoredTurn[] = [];
    let bad = 0;
    for (const text of raw) {
      let read: ReturnType<typeof CONVERSATION_FORMAT.read>;
      try {
        read = CONVERSATION_FORMAT.read(JSON.parse(text));
      } catch {
        bad++;
        continue;
      }
      if (!read.ok && read.reason === 'newer') {
        const aside = await guard(
          target,
          runScript(client, CONVERSATION_SET_ASIDE, [keys.conversation(key), keys.conversationsAside], [CONVERSATION_FORMAT.version, key]),
        );
        if (typeof aside === 'string') this.logNewer(key, aside);
        return [];
      }
      if (!read.ok) bad++;
      else if (read.data.t === 'turn') {
        const { role, text: said, at, messageId } = read.data;
        turns.push({ role, text: said, at, ...(messageId ? { messageId } : {}) });
      }
    }
    if (bad > 0) logger.log('warn', 'conversation.lines_skipped', { count: bad });
    return turns;
  }

  private logNewer(key: string, field: string): void {
    this.ctx.logger.log('warn', 'conversation.newer_format', {
      conversation: key,
      aside: `${this.ctx.keys.conversationsAside} ${field}`,
      fallback: 'a fresh conversation',
    });
  }
}
