import type { AccessConfig } from '@shared/config-schema';
import type { InboundMessage } from '../../lark/inbound';
import type { Logger } from '../../log/logger';
import type { BotRecord, BotTurns } from '../stores/bot-store';
import { BOT_TURN_LIMIT, BotLoopGuard, checkAccess, type RefusalCode, type ResolvedAccess, resolveAccess } from './access-policy';
import { type ChatCommand, parseChatCommand } from './chat-commands';
import { messageText } from '../answer/turn-builder';

/**
 * What becomes of a received message: not answered (`ignore`, with the rule), a stop word that
 * acts at once (`stop`), answered, or `unsure`: accepted, and judged again once the bot's
 * identity is known (an @mention cannot be recognised without it).
 */
export type Verdict =
  { kind: 'ignore'; rule: RefusalCode | 'loop_guard'; reason: string } | { kind: 'stop' } | { kind: 'answer' } | { kind: 'unsure' };

/**
 * The gate: who gets an answer (access-policy.ts), the bot-loop guard, stop words and chat
 * commands. It judges each message before anything is written: a message from someone who may not
 * use the bot is never stored. Access rules can change
 * while the bot runs (`setAccess`): the next message is judged by the new ones.
 */
export class Gate {
  private access: ResolvedAccess;
  /** Stops bot-to-bot ping-pong per chat. */
  private readonly loopGuard = new BotLoopGuard(BOT_TURN_LIMIT, (turns) => this.state?.update({ botTurns: turns }));
  private state: BotRecord | undefined;
  /** Where the loop guard counts: this process (kept in the bot's record), or the store several processes share. */
  private turns: BotTurns = {
    human: (chatId) => this.loopGuard.human(chatId),
    admit: (chatId) => this.loopGuard.admitBot(chatId),
  };

  constructor(private readonly opts: { appId: string; access: AccessConfig | undefined; log: Logger }) {
    this.access = resolveAccess(opts.access);
  }

  /**
   * Keeps the loop guard's counts in the bot's record, starting from what an earlier run left; or,
   * where several processes share the store (`shared`), counts there, one count per chat for all of
   * them: a bot's messages reach whichever process the platform picks.
   */
  keepBotTurnsIn(state: BotRecord, shared?: BotTurns): void {
    if (shared) {
      this.turns = shared;
      return;
    }
    this.loopGuard.restore(state.current.botTurns);
    this.state = state;
  }

  setAccess(access: AccessConfig | undefined): void {
    this.access = resolveAccess(access);
  }

  get rules(): ResolvedAccess {
    return this.access;
  }

  /**
   * `botOpenId`: the bot's own open_id once `bot/v3/info` answered. `again`: the message was judged
   * before (recovered, or taken from a chat's line): the loop guard has counted it already.
   */
  async judge(message: InboundMessage, botOpenId: string | undefined, again = false): Promise<Verdict> {
    const decision = checkAccess(message, this.access, { appId: this.opts.appId, openId: botOpenId });
    // A person speaking resets the loop guard, whether or not the bot answers them.
    if (message.sender.type === 'user' && !again) this.turns.human(message.chatId);
    if (!decision.answer) {
      return decision.code === 'identity_unknown' ? { kind: 'unsure' } : { kind: 'ignore', rule: decision.code, reason: decision.reason };
    }
    if (decision.fromBot && !again && !(await this.turns.admit(message.chatId, this.loopGuard.limit))) {
      this.opts.log.log('warn', 'access.loop_guard', {
        chatId: message.chatId,
        botTurns: this.loopGuard.limit,
        hint: 'bots are answered here again once a person speaks in the chat',
      });
      return {
        kind: 'ignore',
        rule: 'loop_guard',
        reason: `loop guard: ${this.loopGuard.limit} consecutive bot turns without a person in between`,
      };
    }
    // A stop word acts now: the chat's queue is busy with the very answer it stops.
    if (isStopMessage(message.messageType, message.content)) return { kind: 'stop' };
    return { kind: 'answer' };
  }

  /** `/new`, `/help`: answered by the runtime in the chat's order, never sent to the agent. */
  async command(message: InboundMessage): Promise<ChatCommand | undefined> {
    return parseChatCommand(await messageText(message).catch(() => ''));
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

/** Whether a received message is a stop word; decided from its raw content, without waiting (before the ack). */
export function isStopMessage(messageType: string, content: string): boolean {
  if (messageType !== 'text') return false;
  try {
    const text = (JSON.parse(content) as { text?: unknown }).text;
    // Mentions arrive as @_user_N placeholders (lark/README.md §3.3); in a group the bot's own is one of them.
    return typeof text === 'string' && isStopWord(text.replace(/@_user_\d+/g, ''));
  } catch {
    return false;
  }
}
