import type { ChatPhrases } from '../../i18n/chat-text';
import type { LarkApi } from '../../lark/api';
import { type CardAction, type CardActionAnswer, toast } from '../../lark/card-action';
import { toLarkApiError } from '../../lark/errors';
import type { InboundMessage } from '../../lark/inbound';
import type { StopValue } from '../../lark/outbound/card-json';
import type { Sanitize } from '../../lark/outbound/sanitize';
import { sayTo } from '../../lark/outbound/say';
import type { Logger } from '../../log/logger';
import type { StopRegistry } from './stop-registry';

/**
 * The two ways a person stops an answer: the Stop button of a streaming card (a
 * `card.action.trigger` callback, lark/README.md §2.12, §3.5) and a stop word in the chat. Both
 * are acknowledged at once, in the bot's language. Who may stop an answer: the person it answers,
 * and the bot's approvers (who may stop anything the agent does on the owner's computer). In a
 * group anyone else's Stop would cut a colleague's answer short, so it is refused with a word on
 * who can.
 */
export class StopControl {
  constructor(
    private readonly deps: {
      stops: StopRegistry;
      api: LarkApi;
      log: Logger;
      say: () => ChatPhrases;
      sanitize: Sanitize;
      approvers: () => readonly string[];
      /** Remembers a stop word as seen, so a re-push of it is not taken for a new message. */
      remember: (messageId: string) => Promise<void>;
    },
  ) {}

  /** The Stop button: the callback's answer (a toast) travels in the ack, within the platform's 3 s. */
  async onCardAction({ value, operatorOpenId: operator }: CardAction<StopValue>): Promise<CardActionAnswer> {
    const asker = await this.deps.stops.askerOf(value.messageId);
    if (asker !== undefined && operator !== asker && !this.deps.approvers().includes(operator)) {
      this.deps.log.log('info', 'reply.stop_refused', { messageId: value.messageId, via: 'button', operator });
      return toast('info', 'stop.toastNotYou', this.deps.say());
    }
    const stopped = await this.deps.stops.stopMessage(value.messageId);
    this.deps.log.log('info', 'reply.stop_requested', { messageId: value.messageId, via: 'button', stopped });
    return toast('info', stopped ? 'stop.toastStopped' : 'stop.toastFinished', this.deps.say());
  }

  /** "stop" / "停止" / "/stop": stops the sender's running answers in the chat, is remembered as seen, and never goes to the agent. */
  async onStopWord(message: InboundMessage): Promise<void> {
    const { messageId, chatId } = message;
    await this.deps.remember(messageId);
    const sender = message.sender.openId;
    const { stopped, others } = await this.deps.stops.stopChat(chatId, this.deps.approvers().includes(sender) ? undefined : sender);
    this.deps.log.log('info', 'reply.stop_requested', {
      messageId,
      chatId,
      via: 'message',
      stopped: stopped > 0,
      ...(others ? { others } : {}),
    });
    // Acknowledged to the user without holding up the platform's ack.
    void (async () => {
      try {
        if (stopped > 0) await this.deps.api.addReaction(messageId, 'DONE');
        else await sayTo(this.deps.api, message, this.deps.say()(others > 0 ? 'stop.notYou' : 'stop.nothing'), this.deps.sanitize);
      } catch (err) {
        this.deps.log.log('warn', 'reply.stop_ack_failed', { messageId, error: toLarkApiError(err).message });
      }
    })();
  }
}
