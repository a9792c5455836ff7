import { type ChatPhrases, chatText } from '../i18n/chat-text';
import type { LarkApi } from '../lark/api';
import { toLarkApiError } from '../lark/errors';
import type { InboundMessage } from '../lark/inbound';
import { isStopValue } from '../lark/outbound/card-json';
import { PostReplySink } from '../lark/outbound/reply-sink';
import type { Logger } from '../log/logger';
import type { StopRegistry } from './stop-registry';

/**
 * The two ways a person stops an answer: the Stop button of a streaming card (a
 * `card.action.trigger` callback, lark/README.md §2.12, §3.5) and a stop word in the chat. Both
 * are acknowledged at once, in the bot's language.
 */
export class StopControl {
  constructor(
    private readonly deps: {
      stops: StopRegistry;
      api: LarkApi;
      log: Logger;
      say: () => ChatPhrases;
      /** Remembers a stop word as seen, so a re-push of it is not taken for a new message. */
      remember: (messageId: string) => Promise<void>;
    },
  ) {}

  /** The Stop button: the callback's answer (a toast) travels in the ack, within the platform's 3 s. */
  onCardAction(data: unknown): object {
    const event = (data ?? {}) as { action?: { value?: unknown } };
    const value = event.action?.value;
    if (!isStopValue(value)) return {};
    const stopped = this.deps.stops.stopMessage(value.messageId);
    this.deps.log.log('info', 'reply.stop_requested', { messageId: value.messageId, via: 'button', stopped });
    const key = stopped ? 'stop.toastStopped' : 'stop.toastFinished';
    // The toast carries both languages; the client shows the one of its own locale, `content` otherwise.
    return {
      toast: {
        type: 'info',
        content: this.deps.say()(key),
        i18n: { en_us: chatText('en', key), zh_cn: chatText('zh-CN', key) },
      },
    };
  }

  /** "stop" / "停止" / "/stop": stops the chat's running answer, is remembered as seen, and never goes to the agent. */
  async onStopWord(message: InboundMessage): Promise<void> {
    const { messageId, chatId } = message;
    await this.deps.remember(messageId);
    const stopped = this.deps.stops.stopChat(chatId);
    this.deps.log.log('info', 'reply.stop_requested', { messageId, chatId, via: 'message', stopped: stopped > 0 });
    // Acknowledged to the user without holding up the platform's ack.
    void (async () => {
      try {
        const say = this.deps.say();
        if (stopped > 0) await this.deps.api.addReaction(messageId, 'DONE');
        else
          await new PostReplySink(
            this.deps.api,
            { messageId, inThread: Boolean(message.threadId) },
            { stoppedNote: say('reply.stoppedNote') },
          ).post(say('stop.nothing'));
      } catch (err) {
        this.deps.log.log('warn', 'reply.stop_ack_failed', { messageId, error: toLarkApiError(err).message });
      }
    })();
  }
}
