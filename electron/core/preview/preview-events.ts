import { randomBytes, randomUUID } from 'node:crypto';
import { CARD_CALLBACK } from '@shared/lark-console';
import type { PreviewMessage } from '@shared/preview';

/** The event a member's message arrives as (lark/README.md §3.2). */
export const MESSAGE_EVENT = 'im.message.receive_v1';

/** Who is in a preview: the bot, and the one person writing (the owner, as a member of the team). */
export interface PreviewCast {
  appId: string;
  appSecret: string;
  tenantKey: string;
  bot: { openId: string; name: string };
  me: { openId: string; name: string };
}

/** A member's message as the event carries it. */
export interface SentByMember {
  messageId: string;
  chatId: string;
  chatType: 'p2p' | 'group';
  at: number;
  msgType: string;
  content: string;
  mentions?: PreviewMessage['mentions'];
}

/**
 * `im.message.receive_v1` as the runtime's handlers receive it: header and event flattened into one
 * object, as the SDK's EventDispatcher and the webhook listener hand it over (lark/README.md §3.1–3.2).
 */
export function messageEvent(cast: PreviewCast, m: SentByMember): Record<string, unknown> {
  const createTime = String(m.at);
  return {
    schema: '2.0',
    ...header(cast, MESSAGE_EVENT, createTime),
    sender: { sender_id: { open_id: cast.me.openId, union_id: unionOf(cast.me.openId) }, sender_type: 'user', tenant_key: cast.tenantKey },
    message: {
      message_id: m.messageId,
      create_time: createTime,
      update_time: createTime,
      chat_id: m.chatId,
      chat_type: m.chatType,
      message_type: m.msgType,
      content: m.content,
      ...(m.mentions
        ? {
            mentions: m.mentions.map((x) => ({
              key: x.key,
              // Bot mentions carry user_id: null (lark/README.md §3.2).
              id: { open_id: x.openId, union_id: unionOf(x.openId), user_id: null },
              mentioned_type: 'bot',
              name: x.name,
              tenant_key: cast.tenantKey,
            })),
          }
        : {}),
    },
  };
}

/** `card.action.trigger` for the member's press of a button (lark/README.md §3.5; its create_time is in microseconds). */
export function cardActionEvent(
  cast: PreviewCast,
  press: { messageId: string; chatId: string; value: Record<string, unknown>; at: number },
): Record<string, unknown> {
  return {
    schema: '2.0',
    ...header(cast, CARD_CALLBACK, String(press.at * 1000)),
    operator: { tenant_key: cast.tenantKey, open_id: cast.me.openId, union_id: unionOf(cast.me.openId) },
    token: `c-${randomUUID()}`,
    action: { value: press.value, tag: 'button' },
    host: 'im_message',
    context: { open_message_id: press.messageId, open_chat_id: press.chatId },
  };
}

function header(cast: PreviewCast, eventType: string, createTime: string) {
  return {
    event_id: randomBytes(16).toString('hex'),
    event_type: eventType,
    create_time: createTime,
    token: '',
    app_id: cast.appId,
    tenant_key: cast.tenantKey,
  };
}

/** A union_id for an open_id: stable, opaque (the runtime does not read it). */
const unionOf = (openId: string): string => `on_${openId.slice(3)}`;
