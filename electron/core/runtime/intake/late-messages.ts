import type { HeldMessage } from '@shared/contract';
import type { ChatPhrases } from '../../i18n/chat-text';
import type { LarkApi } from '../../lark/api';
import { toLarkApiError } from '../../lark/errors';
import { type BotIdentity, type InboundMessage, toInboundMessage } from '../../lark/inbound';
import type { Sanitize } from '../../lark/outbound/sanitize';
import { sayTo } from '../../lark/outbound/say';
import type { Logger } from '../../log/logger';
import type { BotStatusReporter } from '../lifecycle/bot-status';
import type { Inbox } from '../stores/bot-store';
import type { AcceptedMessage } from './intake';
import { messageText } from '../answer/turn-builder';

/**
 * Messages that reached the bot late (README "backlog"): the `hold` ones wait in the inbox for the
 * owner's Answer or Skip, counted on the bot's status; under `skip`, each chat is told once to ask
 * again.
 */
export class LateMessages {
  /** Chats already told (once per run) that their late messages were skipped. */
  private readonly toldChats = new Set<string>();

  constructor(
    private readonly deps: {
      inbox: Inbox;
      api: LarkApi;
      status: BotStatusReporter;
      log: Logger;
      say: () => ChatPhrases;
      sanitize: Sanitize;
      identity: () => BotIdentity | undefined;
      /** Puts a released message in its chat's queue. */
      schedule: (accepted: AcceptedMessage) => void;
    },
  ) {}

  /** The held ones, oldest first, with a preview of each. */
  async list(): Promise<HeldMessage[]> {
    const out: HeldMessage[] = [];
    for (const entry of await this.deps.inbox.list()) {
      if (!entry.held) continue;
      const parsed = toInboundMessage(entry.event, this.deps.identity());
      if (!parsed.ok) continue;
      const text = await messageText(parsed.message).catch(() => '');
      out.push({
        messageId: entry.messageId,
        chatId: entry.chatId,
        chatType: parsed.message.chatType,
        preview: text,
        sentAt: entry.sentAt ?? entry.receivedAt,
      });
    }
    return out;
  }

  /** Answer (in the chat's order, saying when it was asked) or skip the held messages named. */
  async resolve(messageIds: string[], action: 'answer' | 'skip'): Promise<number> {
    const wanted = new Set(messageIds);
    let done = 0;
    for (const entry of await this.deps.inbox.list()) {
      if (!entry.held || !wanted.has(entry.messageId)) continue;
      done++;
      if (action === 'skip') {
        await this.deps.inbox.remove(entry);
        this.deps.log.log('info', 'message.held_skipped', { messageId: entry.messageId, chatId: entry.chatId });
        continue;
      }
      const parsed = toInboundMessage(entry.event, this.deps.identity());
      if (!parsed.ok) continue;
      const released = { ...entry, held: false };
      await this.deps.inbox.put(released);
      this.deps.log.log('info', 'message.held_answered', { messageId: entry.messageId, chatId: entry.chatId });
      this.deps.schedule({ message: parsed.message, entry: released, verdict: 'answer' });
    }
    await this.count();
    return done;
  }

  /** The held count on the bot's status, from what the inbox holds. */
  async count(): Promise<void> {
    this.deps.status.held((await this.deps.inbox.list()).filter((e) => e.held).length);
  }

  /** Under `skip`: the first late message of a chat gets one short reply saying to ask again. */
  onSkipped(message: InboundMessage): void {
    if (this.toldChats.has(message.chatId)) return;
    this.toldChats.add(message.chatId);
    void sayTo(this.deps.api, message, this.deps.say()('backlog.skipped'), this.deps.sanitize).catch((err: unknown) =>
      this.deps.log.log('warn', 'reply.failed', { messageId: message.messageId, error: toLarkApiError(err).message }),
    );
  }
}
