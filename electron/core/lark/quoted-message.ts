import * as lark from '@larksuiteoapi/node-sdk';
import type { LarkApi, ReadMessageItem } from './api';
import type { BotIdentity, InboundMessage } from './inbound';
import { describeAttachmentsBriefly } from './attachments';

/** How much of a quoted message the agent is shown. */
export const MAX_QUOTE_CHARS = 1_000;

/** A message read back through the API, in the shape `normalize()` takes. */
function asEvent(item: ReadMessageItem, chat: Pick<InboundMessage, 'chatId' | 'chatType'>): lark.RawMessageEvent {
  return {
    sender: { sender_id: item.sender.idType === 'open_id' ? { open_id: item.sender.id } : {}, sender_type: item.sender.senderType },
    message: {
      message_id: item.messageId,
      chat_id: chat.chatId,
      chat_type: chat.chatType,
      message_type: item.msgType,
      content: item.content,
      create_time: item.createTime,
      mentions: item.mentions.map((m) => ({
        key: m.key,
        id: m.idType === 'open_id' ? { open_id: m.id } : { user_id: m.id },
        name: m.name,
      })),
    },
  } as unknown as lark.RawMessageEvent;
}

/** The sub-messages of a merged forward, for `normalize()`'s `fetchSubMessages`. */
export function subMessageFetcher(api: LarkApi): (messageId: string) => Promise<lark.ApiMessageItem[]> {
  return async (messageId) =>
    (await api.readMessage(messageId)).map((item) => ({
      message_id: item.messageId,
      upper_message_id: item.upperMessageId,
      msg_type: item.msgType,
      body: { content: item.content },
      sender: { id: item.sender.id, id_type: item.sender.idType, sender_type: item.sender.senderType },
      create_time: item.createTime,
      mentions: item.mentions.map((m) => ({
        key: m.key,
        id: m.idType === 'open_id' ? { open_id: m.id } : { user_id: m.id },
        name: m.name,
      })),
    }));
}

/**
 * The message the user replied to (`parent_id`), as a quoted block to put before their message:
 * `> Replying to <who>:` then the parent's text (attachments named, not fetched), trimmed.
 * Throws when the parent cannot be read; the caller goes on without it.
 */
export async function quoteParent(
  api: LarkApi,
  message: InboundMessage,
  identity: BotIdentity | undefined,
  appId: string,
): Promise<string | undefined> {
  const parentId = message.parentId;
  if (!parentId) return undefined;
  const items = await api.readMessage(parentId);
  const parent = items.find((i) => i.messageId === parentId) ?? items[0];
  if (!parent) return undefined;
  const normalized = await lark.normalize(asEvent(parent, message), {
    botIdentity: { openId: identity?.openId ?? '', name: identity?.name ?? '' },
    stripBotMentions: false,
  });
  let text = describeAttachmentsBriefly(normalized, parent.content).trim();
  if (!text) return undefined;
  if (text.length > MAX_QUOTE_CHARS) text = `${text.slice(0, MAX_QUOTE_CHARS).trimEnd()}…`;
  return `> Replying to ${who(parent, message, identity, appId)}:\n${text
    .split('\n')
    .map((line) => (line ? `> ${line}` : '>'))
    .join('\n')}`;
}

/** Who wrote the parent, as far as the message tells without a contact lookup. */
function who(parent: ReadMessageItem, message: InboundMessage, identity: BotIdentity | undefined, appId: string): string {
  if (parent.sender.senderType === 'app') {
    return parent.sender.id === appId ? 'your earlier answer' : 'a message from another bot';
  }
  if (parent.sender.id && parent.sender.id === message.sender.openId) return 'their own earlier message';
  const mentioned = message.mentions.find((m) => m.openId === parent.sender.id && m.openId !== identity?.openId);
  return mentioned?.name ? `a message from ${mentioned.name}` : 'a message';
}
