import type { LarkApi } from '../api';
import type { InboundMessage } from '../inbound';
import { replyUuid } from './idempotency';
import { postContent, splitMarkdown } from './markdown';
import type { ReplyTarget } from './reply-sink';
import type { Sanitize } from './sanitize';

/**
 * Markdown already made safe, as `post` replies to `target`, split before the platform's size
 * limit. Each part's uuid names the message replied to and the part, so a reply sent just before
 * a crash is not sent twice.
 */
export async function postReplies(
  api: Pick<LarkApi, 'replyMessage'>,
  target: ReplyTarget,
  markdown: string,
): Promise<{ replyId: string; parts: number }> {
  const parts = splitMarkdown(markdown);
  let replyId = '';
  for (const [i, part] of parts.entries()) {
    const sent = await api.replyMessage(target.messageId, {
      msgType: 'post',
      content: postContent(part),
      uuid: replyUuid(target.messageId, i),
      replyInThread: target.inThread,
      ...(target.chatId ? { chatId: target.chatId } : {}),
    });
    replyId = sent.messageId;
  }
  return { replyId, parts: parts.length };
}

/**
 * The bot's own words in reply to `message` (a notice, a command's answer; answers go through a
 * reply sink): in its thread when it is in one, and through `sanitize` like everything sent.
 */
export function sayTo(
  api: Pick<LarkApi, 'replyMessage'>,
  message: Pick<InboundMessage, 'messageId' | 'threadId' | 'chatId'>,
  text: string,
  sanitize: Sanitize,
): Promise<{ replyId: string; parts: number }> {
  const target = { messageId: message.messageId, inThread: Boolean(message.threadId), chatId: message.chatId };
  return postReplies(api, target, sanitize(text, true));
}
